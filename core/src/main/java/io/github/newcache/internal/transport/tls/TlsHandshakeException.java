package io.github.newcache.internal.transport.tls;

import javax.net.ssl.SSLException;

/**
 * A TLS connection to a memcached server failed, with a message that names the server and says why
 * in the user's terms (see {@link TlsContext#describe}). {@link #kind()} lets callers and tests
 * tell the causes apart without parsing the message.
 */
public final class TlsHandshakeException extends SSLException {

  /** Why the connection failed. */
  public enum Kind {
    /** The server's certificate does not chain to a trusted CA. */
    UNTRUSTED,
    /** The certificate is trusted but does not name the server (or {@code tlsHostname}). */
    HOSTNAME,
    /** The server answered in plain text: no TLS on that port. */
    NOT_TLS,
    /** The server refused the client's certificate, or wants one (mutual TLS). */
    CLIENT_REFUSED,
    /** The server closed the connection during the handshake. */
    CLOSED,
    /** No answer within the timeout. */
    TIMEOUT,
    /** Anything else (protocol versions, cipher suites…): the message has the JDK's reason. */
    OTHER
  }

  private final Kind kind;

  public TlsHandshakeException(String message, Kind kind, Throwable cause) {
    super(message, cause);
    this.kind = kind;
  }

  public Kind kind() {
    return kind;
  }
}
