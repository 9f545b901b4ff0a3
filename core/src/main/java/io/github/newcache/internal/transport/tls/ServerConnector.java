package io.github.newcache.internal.transport.tls;

import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.UnknownHostException;

/**
 * Opens the short-lived blocking connections the library makes besides the client's own: the key
 * listing ({@code lru_crawler metadump}), the server checks at start and on reconnect, the
 * configuration endpoint. One per transport, so all of them use TLS — with the same verification
 * as the client — exactly when the client does.
 */
@FunctionalInterface
public interface ServerConnector {

  /**
   * A connected socket to {@code server} with {@code timeoutMillis} as connect timeout and read
   * timeout. With TLS the handshake is done, and a failure is a {@link TlsHandshakeException}.
   * The socket is registered in {@code sockets} before it connects, so closing them ends its
   * connect, handshake or read at once.
   */
  Socket open(InetSocketAddress server, int timeoutMillis, OpenSockets sockets) throws IOException;

  /** {@link #open(InetSocketAddress, int, OpenSockets)} for an exchange nobody stops from outside. */
  default Socket open(InetSocketAddress server, int timeoutMillis) throws IOException {
    return open(server, timeoutMillis, OpenSockets.none());
  }

  /**
   * {@code e}, a failure on a connection from this connector, in the user's terms: with TLS a
   * {@link TlsHandshakeException} saying what went wrong (with TLS 1.3 a server that refuses the
   * client's certificate says so only at the first read after the handshake); else {@code e}.
   */
  default IOException explain(InetSocketAddress server, IOException e, int timeoutMillis) {
    return e;
  }

  /** Plain TCP. */
  static ServerConnector plain() {
    return (server, timeoutMillis, sockets) -> {
      Socket s = sockets.add(new Socket());
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
    return new ServerConnector() {
      @Override
      public Socket open(InetSocketAddress server, int timeoutMillis, OpenSockets sockets) throws IOException {
        return context.connect(server, timeoutMillis, sockets);
      }

      @Override
      public IOException explain(InetSocketAddress server, IOException e, int timeoutMillis) {
        if (e instanceof ConnectException || e instanceof NoRouteToHostException || e instanceof UnknownHostException) {
          return e; // no TCP connection: nothing to do with TLS
        }
        return context.describe(server, e, timeoutMillis);
      }
    };
  }

  /** {@link #tls} when {@code context} is non-null, else {@link #plain}. */
  static ServerConnector of(TlsContext context) {
    return context == null ? plain() : tls(context);
  }
}
