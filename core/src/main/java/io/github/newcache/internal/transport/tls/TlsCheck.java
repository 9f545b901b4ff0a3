package io.github.newcache.internal.transport.tls;

import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import javax.cache.CacheException;
import javax.net.ssl.SSLSocket;

/**
 * Checks TLS to every server when a manager starts, with one short exchange per server, so a wrong
 * CA, a wrong host name, a server without TLS or a refused client certificate fails {@code
 * getCacheManager} at once with an error that names the server and the reason. Without it the
 * client only retries in the background (spymemcached's fork logs "TLS handshake failure" and every
 * operation fails or times out).
 *
 * <p>The exchange is a handshake and then one {@code version} request in the manager's protocol:
 * with TLS 1.3 a server that refuses the client's certificate says so only after the client's
 * handshake is done, at the first read. A server that cannot be reached at all is left to the
 * failure mode, like a server that is down, and so is one that accepts but stays silent (stall
 * detection reports it). A server without TLS is not silent: memcached answers the ClientHello
 * with {@code ERROR} (the hello always holds a newline byte), which the JDK reports at once.
 */
public final class TlsCheck {

  private TlsCheck() {}

  /**
   * Throws a {@link CacheException} naming {@code server} when TLS to it fails; returns normally
   * when it answered, or when it could not be reached (no listener, no route, unknown host).
   */
  public static void verify(TlsContext context, InetSocketAddress server, boolean binary, int timeoutMillis) {
    try (SSLSocket socket = context.connect(server, timeoutMillis)) {
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      if (binary) {
        byte[] request = new byte[24];
        request[0] = (byte) 0x80; // request magic
        request[1] = 0x0b; // VERSION
        out.write(request);
        out.flush();
        byte[] header = new byte[24];
        new DataInputStream(in).readFully(header);
        if ((header[0] & 0xff) != 0x81) {
          throw new CacheException(
              "memcached at " + name(server) + " answered the TLS check with something that is not "
                  + "the binary protocol (first byte 0x" + Integer.toHexString(header[0] & 0xff) + ")");
        }
      } else {
        out.write("version\r\n".getBytes(StandardCharsets.US_ASCII));
        out.flush();
        int c = in.read();
        if (c < 0) {
          throw new CacheException(
              "memcached at " + name(server) + " closed the TLS connection instead of answering");
        }
      }
    } catch (ConnectException | NoRouteToHostException | UnknownHostException unreachable) {
      // down or not there: the failure mode reports it on use, as without TLS
    } catch (IOException e) {
      TlsHandshakeException t = context.describe(server, e, timeoutMillis);
      if (t.kind() == TlsHandshakeException.Kind.TIMEOUT) {
        return; // silent (frozen): stall detection reports it on use, as without TLS
      }
      throw new CacheException(t.getMessage(), t);
    }
  }

  private static String name(InetSocketAddress server) {
    return server.getHostString() + ":" + server.getPort();
  }
}
