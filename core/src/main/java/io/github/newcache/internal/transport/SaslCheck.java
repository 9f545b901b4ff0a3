package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.Secret;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import javax.cache.CacheException;

/**
 * Verifies SASL credentials when a manager starts, with one binary-protocol {@code SASL_AUTH
 * PLAIN} exchange per server on a short-lived socket. spymemcached hides a wrong password: it
 * retries authentication in the background and every operation just times out. This turns it into
 * a clear error within a second. A server that cannot be reached is left to the failure mode; the
 * password never appears in a message.
 */
final class SaslCheck {

  private static final byte REQUEST = (byte) 0x80;
  private static final byte SASL_AUTH = 0x21;
  private static final int AUTH_ERROR = 0x20;
  private static final int TIMEOUT_MILLIS = 800;

  private SaslCheck() {}

  static void verify(InetSocketAddress server, String username, Secret password) {
    byte[] mech = "PLAIN".getBytes(StandardCharsets.US_ASCII);
    byte[] user = username.getBytes(StandardCharsets.UTF_8);
    byte[] pass = password.bytes();
    byte[] value = new byte[2 + user.length + pass.length];
    System.arraycopy(user, 0, value, 1, user.length);
    System.arraycopy(pass, 0, value, 2 + user.length, pass.length);
    ByteBuffer request = ByteBuffer.allocate(24 + mech.length + value.length);
    request.put(REQUEST).put(SASL_AUTH).putShort((short) mech.length).put((byte) 0).put((byte) 0)
        .putShort((short) 0).putInt(mech.length + value.length).putInt(0).putLong(0)
        .put(mech).put(value);
    int status;
    try (Socket socket = new Socket()) {
      socket.connect(server, TIMEOUT_MILLIS);
      socket.setSoTimeout(TIMEOUT_MILLIS);
      OutputStream out = socket.getOutputStream();
      out.write(request.array());
      out.flush();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      byte[] header = new byte[24];
      in.readFully(header);
      status = ((header[6] & 0xff) << 8) | (header[7] & 0xff);
    } catch (IOException e) {
      return; // unreachable or silent: the failure mode reports it on use
    } finally {
      java.util.Arrays.fill(value, (byte) 0);
      java.util.Arrays.fill(pass, (byte) 0);
    }
    if (status == AUTH_ERROR) {
      throw new CacheException(
          "memcached at " + server.getHostString() + ":" + server.getPort()
              + " rejected the SASL credentials of user '" + username
              + "' (authentication failed; check username and password)");
    }
  }
}
