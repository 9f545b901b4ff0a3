package io.github.newcache.internal.transport;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import io.github.newcache.internal.transport.tls.OpenSockets;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import net.spy.memcached.ConnectionObserver;

/**
 * What the transport does when spymemcached makes or loses a server's connection. When one is
 * made, a server whose connection was lost is judged afresh by the breakers, and its item limit is
 * learned again (it may be another process, with another {@code -I}, or an older memcached without
 * the meta get); so is a server that could not tell at start. Over TLS a connection is made once
 * its handshake is done ({@link #secured}), not at TCP connect: a server that accepts TCP and then
 * never finishes the handshake stays stalled across the client's new connections. Closing stops
 * the checks still running (their sockets closed) and waits for their threads.
 */
final class ConnectionEvents implements ConnectionObserver {

  private final boolean tls;
  private final ServerEvents events;
  private final NodeBreakers breakers;
  private final ItemLimits limits;
  private final BiFunction<InetSocketAddress, OpenSockets, ServerCheck.Result> check;
  /** The running checks' sockets and threads, ended by {@link #close}. */
  private final OpenSockets sockets = OpenSockets.create();
  private final Set<Thread> checking = ConcurrentHashMap.newKeySet();
  private final Consumer<InetSocketAddress> noMetaGet;
  /** Over TLS: servers connected by TCP whose handshake is not done, with their reconnect count. */
  private final Map<InetSocketAddress, Integer> handshaking = new ConcurrentHashMap<>();
  /**
   * Over TLS: servers whose handshake was done before spymemcached said TCP was connected (it
   * checks a new connection with a no-op first when {@code net.spy.verifyAliveOnConnect} is set).
   */
  private final Map<InetSocketAddress, Boolean> securedEarly = new ConcurrentHashMap<>();
  private volatile boolean closed;

  /**
   * @param tls whether connections are made over TLS (made once {@link #secured})
   * @param events told when a server's connection is made or lost
   * @param check checks a server that connected (its item limit, whether it knows the meta get),
   *     on a socket registered in the sockets given
   * @param noMetaGet told of a server that does not know the meta get
   */
  ConnectionEvents(boolean tls, ServerEvents events, NodeBreakers breakers, ItemLimits limits,
      BiFunction<InetSocketAddress, OpenSockets, ServerCheck.Result> check, Consumer<InetSocketAddress> noMetaGet) {
    this.tls = tls;
    this.events = events;
    this.breakers = breakers;
    this.limits = limits;
    this.check = check;
    this.noMetaGet = noMetaGet;
  }

  /**
   * From now on, connections made and lost are not acted on; checks still running end (their
   * sockets closed), waited for at most {@code waitMillis}.
   */
  void close(long waitMillis) {
    synchronized (checking) {
      closed = true;
    }
    sockets.close();
    StartupChecks.awaitEnded(checking, waitMillis);
  }

  @Override
  public void connectionEstablished(SocketAddress sa, int reconnectCount) {
    if (closed || !(sa instanceof InetSocketAddress server)) {
      return;
    }
    if (!tls || securedEarly.remove(server) != null) {
      established(server, reconnectCount);
    } else {
      handshaking.put(server, reconnectCount);
    }
  }

  /** {@code server}'s TLS handshake is done (on the IO thread). */
  void secured(InetSocketAddress server) {
    Integer reconnectCount = handshaking.remove(server);
    if (reconnectCount == null) {
      securedEarly.put(server, Boolean.TRUE);
    } else if (!closed) {
      established(server, reconnectCount);
    }
  }

  private void established(InetSocketAddress server, int reconnectCount) {
    events.connected(server);
    if (reconnectCount > 0) {
      breakers.reconnected(server);
    } else if (limits.knows(server)) {
      return;
    }
    Thread t = new Thread(() -> {
      try {
        ServerCheck.Result r = check.apply(server, sockets);
        if (r.reachable()) {
          limits.learned(server, r.itemSizeMax());
          if (!r.metaGet()) {
            noMetaGet.accept(server);
          }
        }
      } catch (RuntimeException e) {
        // credentials refused now: the operations will say so
      } finally {
        checking.remove(Thread.currentThread());
      }
    }, "newcache-server-check");
    t.setDaemon(true);
    synchronized (checking) { // close() either waits for this thread or it never starts
      if (closed) {
        return;
      }
      checking.add(t);
      t.start();
    }
  }

  @Override
  public void connectionLost(SocketAddress sa) {
    if (!closed && sa instanceof InetSocketAddress server) {
      events.lost(server);
    }
  }
}
