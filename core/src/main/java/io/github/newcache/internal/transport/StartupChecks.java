package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.TransportSettings;
import io.github.newcache.internal.transport.tls.OpenSockets;
import io.github.newcache.internal.transport.tls.ServerConnector;
import io.github.newcache.internal.transport.tls.TlsContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import javax.cache.CacheException;

/**
 * Runs {@link ServerCheck} on every server at once when a manager starts, so starting costs at
 * most about {@link ServerCheck#TIMEOUT_MILLIS} however many servers are down, and says which
 * server is unreachable (logged at WARNING on {@code io.github.newcache.failures}; its operations
 * then fail as {@code failureMode} says until it answers). Credentials a server refuses,
 * credentials for a server without SASL, and TLS that fails (wrong CA, wrong host name, no TLS,
 * refused client certificate) fail the start, and so does a server name that does not resolve
 * ({@link #refuseUnresolved}). When a changed server list is followed, a server new to the ring that
 * does not answer fails the build too: the current ring keeps serving its keys meanwhile. Checks still running at the deadline, or when the caller is
 * interrupted (a manager closing while it builds a generation), are stopped by closing their
 * sockets and awaited: no check outlives {@link #run}.
 */
final class StartupChecks {

  private static final System.Logger LOG = System.getLogger("io.github.newcache.failures");

  /** The most run waits for checks it stopped by closing their sockets (they end in microseconds). */
  private static final long STOPPED_CHECKS_MILLIS = 1000;

  private StartupChecks() {}

  /**
   * Checks {@code servers} at once; an unreachable one is logged and left to the failure mode,
   * unless it is one of {@code joining}: then this throws a {@link NewServersSilent} naming it.
   *
   * @param joining servers new to a ring being followed that must answer before it is used ({@link
   *     FollowingTransport} stops awaiting one that has not answered at a few attempts in a row)
   */
  static List<ServerCheck.Result> run(List<InetSocketAddress> servers, TransportSettings settings,
      ServerConnector connector, List<InetSocketAddress> joining) {
    int n = servers.size();
    ServerCheck.Result[] results = new ServerCheck.Result[n];
    RuntimeException[] failures = new RuntimeException[n];
    List<Thread> threads = new ArrayList<>(n);
    OpenSockets sockets = OpenSockets.create();
    for (int i = 0; i < n; i++) {
      int at = i;
      Thread t = new Thread(() -> {
        try {
          results[at] = ServerCheck.check(
              servers.get(at), settings.binary(), settings.username(), settings.password(), connector, sockets);
        } catch (RuntimeException e) {
          failures[at] = e;
        }
      }, "newcache-server-check");
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    long handshake = settings.tls().enabled() ? TlsContext.MIN_HANDSHAKE_MILLIS : 0;
    long deadline = System.nanoTime() + (ServerCheck.TIMEOUT_MILLIS + handshake + 500) * 1_000_000L;
    for (Thread t : threads) {
      try {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    // Checks still running past the deadline, or when interrupted (the manager is closing): their
    // sockets closed, they end at once; nothing of them is left behind.
    sockets.close();
    awaitEnded(threads);
    List<ServerCheck.Result> out = new ArrayList<>(n);
    List<String> refused = new ArrayList<>();
    List<InetSocketAddress> silent = new ArrayList<>();
    boolean closing = Thread.currentThread().isInterrupted();
    for (int i = 0; i < n; i++) {
      if (failures[i] != null) {
        throw failures[i];
      }
      ServerCheck.Result r = results[i] != null && !ServerCheck.STOPPED.equals(results[i].problem())
          ? results[i]
          : new ServerCheck.Result(servers.get(i), 0, "it did not answer in time");
      if (!r.reachable() && !closing && joins(r.server(), joining)) {
        refused.add("memcached at " + NodeBreakers.name(r.server()) + ", new in the server list, is not usable: "
            + r.problem());
        silent.add(r.server());
      } else if (!r.reachable() && !closing) { // interrupted: the manager is closing
        LOG.log(System.Logger.Level.WARNING,
            "memcached at " + NodeBreakers.name(r.server()) + " is not usable at start: " + r.problem()
                + "; its keys' operations fail (failureMode " + settings.connection().failureMode()
                + ") until it answers");
      }
      out.add(r);
    }
    if (!refused.isEmpty()) {
      throw new NewServersSilent(String.join("; ", refused) + ": the new server list is used once "
          + (refused.size() > 1 ? "they answer" : "it answers") + " (its keys would fail until then, while the "
          + "current servers still serve them)", silent);
    }
    return out;
  }

  /** Servers new to the ring that did not answer their check: the list that adds them is not used yet. */
  static final class NewServersSilent extends CacheException {
    private static final long serialVersionUID = 1L;
    private final transient List<InetSocketAddress> servers;

    NewServersSilent(String message, List<InetSocketAddress> servers) {
      super(message);
      this.servers = List.copyOf(servers);
    }

    /** The servers that did not answer. */
    List<InetSocketAddress> servers() {
      return servers;
    }
  }

  private static boolean joins(InetSocketAddress server, List<InetSocketAddress> joining) {
    for (InetSocketAddress j : joining) {
      if (j.getHostString().equals(server.getHostString()) && j.getPort() == server.getPort()) {
        return true;
      }
    }
    return false;
  }

  /** Waits (at most {@link #STOPPED_CHECKS_MILLIS}) for checks whose sockets were closed. */
  private static void awaitEnded(List<Thread> threads) {
    awaitEnded(threads, STOPPED_CHECKS_MILLIS);
  }

  /**
   * Waits at most {@code millis} in all for {@code threads} to end (checks whose sockets were
   * closed); keeps the caller's interrupt, which would otherwise end the wait at once.
   */
  static void awaitEnded(Iterable<Thread> threads, long millis) {
    boolean interrupted = Thread.interrupted();
    long deadline = System.nanoTime() + millis * 1_000_000L;
    try {
      for (Thread t : threads) {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left <= 0) {
          break;
        }
        t.join(left);
      }
    } catch (InterruptedException e) {
      interrupted = true;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Refuses a server whose name does not resolve, before anything starts: spymemcached has no
   * address to connect to or to reconnect to, and a server left out would move its keys to the
   * others, where the clients that do reach it would not look for them.
   */
  static void refuseUnresolved(List<InetSocketAddress> servers) {
    List<String> all = new ArrayList<>();
    List<String> unresolved = new ArrayList<>();
    for (InetSocketAddress a : servers) {
      String name = a.getHostString() + ":" + a.getPort();
      all.add(name);
      if (a.isUnresolved()) {
        unresolved.add(name);
      }
    }
    if (!unresolved.isEmpty()) {
      throw new CacheException("cannot resolve the memcached server name" + (unresolved.size() > 1 ? "s " : " ")
          + String.join(", ", unresolved) + " (servers " + String.join(", ", all) + "): every server's name must"
          + " resolve when the client starts; check the name, or list the server by its IP address");
    }
  }
}
