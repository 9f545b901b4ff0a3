package io.github.newcache.internal.transport.tls;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Opens the short-lived blocking connections the library makes besides the client's own: the key
 * listing ({@code lru_crawler metadump}), the SASL check and the TLS check at start, the
 * configuration endpoint. One instance per manager, so all of them use TLS — with the same
 * verification as the client — exactly when the client does.
 */
@FunctionalInterface
public interface ServerConnector {

  /**
   * A connected socket to {@code server} with {@code timeoutMillis} as connect timeout and read
   * timeout. With TLS the handshake is done, and a failure is a {@link TlsHandshakeException}.
   */
  Socket open(InetSocketAddress server, int timeoutMillis) throws IOException;

  /** Plain TCP. */
  static ServerConnector plain() {
    return (server, timeoutMillis) -> {
      Socket s = new Socket();
      try {
        s.connect(server, timeoutMillis);
        s.setSoTimeout(timeoutMillis);
        s.setTcpNoDelay(true);
        return s;
      } catch (IOException e) {
        s.close();
        throw e;
      }
    };
  }

  /** TLS with {@code context}'s trust, client certificate and host name verification. */
  static ServerConnector tls(TlsContext context) {
    return context::connect;
  }

  /** {@link #tls} when {@code context} is non-null, else {@link #plain}. */
  static ServerConnector of(TlsContext context) {
    return context == null ? plain() : tls(context);
  }
}
