package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.Secret;
import io.github.newcache.internal.transport.tls.OpenSockets;
import io.github.newcache.internal.transport.tls.ServerConnector;
import io.github.newcache.internal.transport.tls.TlsHandshakeException;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import javax.cache.CacheException;

/**
 * Asks one server, on a short-lived socket and within {@link #TIMEOUT_MILLIS}, what the client
 * must know before using it: whether it answers at all, whether it accepts the SASL credentials
 * (when they are set), the largest item it stores ({@code item_size_max}, its {@code -I}) and, in
 * the text protocol, whether it speaks the meta get ({@link MetaGetOperation}).
 *
 * <p>Why: spymemcached connects in the background and hides each of these. A manager opened while a
 * server is down used to wait the whole {@code opTimeout} for it (up to ten minutes) and then say
 * nothing; a wrong password, or credentials sent to a server without SASL, only showed as timeouts
 * and "did not store the item"; and a server whose {@code -I} is below {@code maxItemSize} refused
 * large items in ways spymemcached reports badly (a dropped connection in the text protocol). The
 * check speaks the manager's protocol: SASL needs the binary protocol, and a server started with
 * {@code -S} refuses the text protocol.
 *
 * <p>With TLS the check's connection is TLS with the client's verification, so a wrong CA, a wrong
 * host name, a server without TLS or a refused client certificate fails the start with a message
 * naming the server and the cause; a server that accepts TCP but never answers the handshake is a
 * silent one, left to the failure mode like any other. The handshake gets its own time ({@link
 * io.github.newcache.internal.transport.tls.TlsContext#MIN_HANDSHAKE_MILLIS}), so a busy machine's
 * slow first handshakes are not taken for silence.
 */
final class ServerCheck {

  /** The most one check waits for a server: connecting, authenticating and asking. */
  static final int TIMEOUT_MILLIS = 1000;

  private static final byte REQUEST = (byte) 0x80;
  private static final byte STAT = 0x10;
  private static final byte SASL_AUTH = 0x21;
  private static final int AUTH_ERROR = 0x20;
  private static final int UNKNOWN_COMMAND = 0x81;

  /**
   * What a server told: {@code itemSizeMax} 0 when unknown, {@code metaGet} whether it said it
   * speaks the meta get (only asked in the text protocol), {@code problem} null when it answered.
   */
  record Result(InetSocketAddress server, int itemSizeMax, boolean metaGet, String problem) {
    Result(InetSocketAddress server, int itemSizeMax, String problem) {
      this(server, itemSizeMax, false, problem);
    }

    boolean reachable() {
      return problem == null;
    }
  }

  /** The problem of a check whose socket was closed under it: its owner is closing. */
  static final String STOPPED = "its check was stopped (closing)";

  private ServerCheck() {}

  /**
   * Checks {@code server} over a connection from {@code connector} (plain or TLS). Throws {@link
   * CacheException} when it refuses the credentials, does not do SASL although credentials are
   * set, or fails TLS; an unreachable or silent server is a result, left to the failure mode. The
   * password never appears in a message.
   */
  static Result check(
      InetSocketAddress server, boolean binary, String username, Secret password, ServerConnector connector) {
    return check(server, binary, username, password, connector, OpenSockets.none());
  }

  /**
   * {@link #check(InetSocketAddress, boolean, String, Secret, ServerConnector)} on a socket
   * registered in {@code sockets}: closing them ends the check at once, with a result that says
   * it was stopped (never an error about the server).
   */
  static Result check(InetSocketAddress server, boolean binary, String username, Secret password,
      ServerConnector connector, OpenSockets sockets) {
    try (Socket socket = connector.open(server, TIMEOUT_MILLIS, sockets)) {
      // with TLS the handshake is done: the budget covers authenticating and asking
      long deadline = System.nanoTime() + TIMEOUT_MILLIS * 1_000_000L;
      socket.setSoTimeout(remaining(deadline));
      OutputStream out = socket.getOutputStream();
      DataInputStream in = new DataInputStream(socket.getInputStream());
      if (username != null) {
        authenticate(server, out, in, username, password);
        socket.setSoTimeout(remaining(deadline));
      }
      return binary ? new Result(server, binaryItemSizeMax(out, in), null) : textFacts(server, out, in);
    } catch (SocketTimeoutException e) {
      return silent(server);
    } catch (IOException e) {
      if (sockets.closed()) {
        return new Result(server, 0, STOPPED);
      }
      IOException explained = connector.explain(server, e, TIMEOUT_MILLIS);
      if (explained instanceof TlsHandshakeException tls) {
        if (tls.kind() == TlsHandshakeException.Kind.TIMEOUT) {
          return new Result(server, 0, explained.getMessage());
        }
        if (tls.kind() == TlsHandshakeException.Kind.NOT_TLS || tls.kind() == TlsHandshakeException.Kind.CLOSED) {
          String busy = notServingNow(server, sockets);
          if (busy != null || sockets.closed()) {
            return new Result(server, 0, busy != null ? busy : STOPPED);
          }
        }
        throw new CacheException(explained.getMessage(), explained);
      }
      return new Result(server, 0, "it is unreachable (" + e.getMessage() + ")");
    }
  }

  /** How long {@link #notServingNow} waits for a plain answer from a TLS port. */
  private static final int BUSY_PROBE_MILLIS = 300;

  /**
   * Why a TLS port that just answered in plain text, or closed the handshake, is not serving now,
   * or null when it is a TLS setup problem after all. A memcached at its connection limit ({@code
   * -c}) writes {@code ERROR Too many open connections} in plain text on every port and closes, so
   * the handshake reads plain text; a memcached restarting closes, then refuses connections. Both
   * are a server not serving now, left to the failure mode as over plain TCP, not a TLS setup
   * error that stops the start. Told apart by one plain connection: a TLS port that serves sends
   * nothing before the client's hello.
   */
  private static String notServingNow(InetSocketAddress server, OpenSockets sockets) {
    try (Socket plain = ServerConnector.plain().open(server, BUSY_PROBE_MILLIS, sockets)) {
      byte[] line = new byte[64];
      int n = plain.getInputStream().read(line);
      String said = n <= 0 ? "" : new String(line, 0, n, StandardCharsets.US_ASCII);
      return said.startsWith("ERROR Too many open connections")
          ? "it is at its connection limit (memcached answered 'ERROR Too many open connections'; see its -c)"
          : null;
    } catch (ConnectException refused) {
      return "it is unreachable (" + refused.getMessage() + ")";
    } catch (IOException other) {
      return null; // silent, as a TLS port that serves is until the client speaks
    }
  }

  private static Result silent(InetSocketAddress server) {
    return new Result(server, 0, "it accepts connections but does not answer within "
        + TIMEOUT_MILLIS + " ms (a frozen or overloaded process?)");
  }

  private static int remaining(long deadline) {
    return (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
  }

  private static void authenticate(
      InetSocketAddress server, OutputStream out, DataInputStream in, String username, Secret password)
      throws IOException {
    byte[] user = username.getBytes(StandardCharsets.UTF_8);
    byte[] pass = password.bytes();
    byte[] value = new byte[2 + user.length + pass.length];
    try {
      System.arraycopy(user, 0, value, 1, user.length);
      System.arraycopy(pass, 0, value, 2 + user.length, pass.length);
      out.write(request(SASL_AUTH, "PLAIN".getBytes(StandardCharsets.US_ASCII), value));
      out.flush();
    } finally {
      Arrays.fill(value, (byte) 0);
      Arrays.fill(pass, (byte) 0);
    }
    int status = response(in).status;
    String name = NodeBreakers.name(server);
    if (status == AUTH_ERROR) {
      throw new CacheException(
          "memcached at " + name + " rejected the SASL credentials of user '" + username
              + "' (authentication failed; check username and password)");
    }
    if (status == UNKNOWN_COMMAND) {
      throw new CacheException(
          "memcached at " + name + " does not do SASL (it does not know the authentication command: "
              + "it was started without -S), but username '" + username + "' is set: remove "
              + "username and password, or start memcached with -S");
    }
  }

  private static int binaryItemSizeMax(OutputStream out, DataInputStream in) throws IOException {
    out.write(request(STAT, "settings".getBytes(StandardCharsets.US_ASCII), new byte[0]));
    out.flush();
    int limit = 0;
    for (int i = 0; i < 1000; i++) {
      Response r = response(in);
      if (r.status != 0 || r.key.isEmpty()) {
        return limit;
      }
      if (r.key.equals("item_size_max")) {
        limit = parse(r.value);
      }
    }
    return limit;
  }

  /** The text protocol's check: {@code stats settings} and {@code version}, sent together. */
  private static Result textFacts(InetSocketAddress server, OutputStream out, DataInputStream in) throws IOException {
    out.write("stats settings\r\nversion\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
    int limit = 0;
    String line;
    while ((line = lines.readLine()) != null && !line.equals("END")) {
      List<String> parts = List.of(line.split(" "));
      if (parts.size() == 3 && parts.get(1).equals("item_size_max")) {
        limit = parse(parts.get(2));
      } else if (!line.startsWith("STAT ")) {
        break; // ERROR: too old to tell
      }
    }
    return new Result(server, limit, speaksMetaGet(lines.readLine()), null);
  }

  /**
   * True when {@code versionLine}, a text {@code version} answer, names memcached 1.6.0 or later:
   * its meta get answers {@code VA <bytes>} or {@code EN} (doc/protocol.txt since 1.6.0; 1.5's
   * experimental meta commands answered otherwise). Anything else, a proxy's version among them,
   * keeps the classic get.
   */
  static boolean speaksMetaGet(String versionLine) {
    if (versionLine == null || !versionLine.startsWith("VERSION ")) {
      return false;
    }
    String[] parts = versionLine.substring("VERSION ".length()).trim().split("\\.", 3);
    if (parts.length < 3) {
      return false;
    }
    int major = parse(parts[0]);
    int minor = parse(parts[1]);
    return major > 1 || (major == 1 && minor >= 6);
  }

  private static int parse(String number) {
    try {
      return Integer.parseInt(number.trim());
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static byte[] request(byte opcode, byte[] key, byte[] value) {
    return ByteBuffer.allocate(24 + key.length + value.length)
        .put(REQUEST).put(opcode).putShort((short) key.length).put((byte) 0).put((byte) 0)
        .putShort((short) 0).putInt(key.length + value.length).putInt(0).putLong(0)
        .put(key).put(value).array();
  }

  private record Response(int status, String key, String value) {}

  private static Response response(DataInputStream in) throws IOException {
    byte[] header = new byte[24];
    in.readFully(header);
    ByteBuffer h = ByteBuffer.wrap(header);
    int keyLength = h.getShort(2) & 0xffff;
    int extras = h.get(4) & 0xff;
    int status = h.getShort(6) & 0xffff;
    int body = h.getInt(8);
    if (body < 0 || body > 1 << 20) {
      throw new IOException("an answer of " + body + " bytes");
    }
    byte[] b = new byte[body];
    in.readFully(b);
    String key = new String(b, extras, Math.min(keyLength, body - extras), StandardCharsets.US_ASCII);
    String value = new String(b, extras + keyLength, Math.max(0, body - extras - keyLength), StandardCharsets.US_ASCII);
    return new Response(status, key, value);
  }
}
