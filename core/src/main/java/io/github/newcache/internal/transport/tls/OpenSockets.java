package io.github.newcache.internal.transport.tls;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The sockets of blocking exchanges that another thread may have to end at once: the
 * configuration endpoint's poll, the checks of a generation being built. An interrupt does not end
 * a blocking connect, read or TLS handshake; closing its socket does, with a {@link
 * SocketException}. {@link ServerConnector} registers each socket here before it connects, so
 * {@link #close} reaches a connect and a handshake as well as a read.
 *
 * <p>Once closed, every socket registered later is closed at once (its exchange fails): what
 * closes these is going away. Closed sockets leave the set when the next one comes, so a poller
 * that opens one per poll holds at most the one in use.
 */
public final class OpenSockets implements AutoCloseable {

  private static final OpenSockets NONE = new OpenSockets(false);

  private final boolean tracking;
  private final Set<Socket> open = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  private OpenSockets(boolean tracking) {
    this.tracking = tracking;
  }

  /** A set that {@link #close} ends at once. */
  public static OpenSockets create() {
    return new OpenSockets(true);
  }

  /** Sockets nobody will close from outside (a caller that never needs to stop an exchange). */
  public static OpenSockets none() {
    return NONE;
  }

  /**
   * Registers {@code socket}, not yet connected; when these are closed already, closes it and
   * throws.
   *
   * @param socket a new socket
   * @return {@code socket}
   * @throws SocketException when {@link #close} came first
   */
  Socket add(Socket socket) throws IOException {
    if (!tracking) {
      return socket;
    }
    open.removeIf(Socket::isClosed);
    open.add(socket);
    if (closed) { // after the add: close() either sees the socket or is seen here
      open.remove(socket);
      socket.close();
      throw new SocketException("stopped: the exchange's owner is closing");
    }
    return socket;
  }

  /** True once {@link #close} was called: a failure on one of these sockets is that, not the server. */
  public boolean closed() {
    return closed;
  }

  /** Closes every registered socket (their blocked calls fail at once) and every one registered later. */
  @Override
  public void close() {
    if (!tracking) {
      return; // shared: nothing of anyone's to close
    }
    closed = true;
    for (Socket s : open) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    open.clear();
  }
}
