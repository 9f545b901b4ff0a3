package io.github.newcache.internal.transport.discovery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Resolves the servers' host names again, so a name that moves to another address is followed.
 *
 * <p>Why: spymemcached 2.12.3 resolves each server once, when its client is made, and reconnects to
 * that same address forever (a node's address is final; {@code attemptReconnects} connects to
 * {@code node.getSocketAddress()}). A server replaced behind its name (a Kubernetes pod, a managed
 * failover) would never be found again.
 *
 * <p>When: whenever a server's connection is lost ({@link #lost}), at once and then every {@code
 * retryMillis} until it is connected again ({@link #connected}) — the times spymemcached tries to
 * re-establish it —, and every {@code intervalMillis} when that is positive (setting {@code
 * dnsRefresh}), for a name that moves while its old address still answers. All lookups run on
 * this watcher's own daemon thread (started on first use), never on the thread that reports.
 *
 * <p>What: addresses keep the host as written ({@link #resolve}), because ketama places servers by
 * {@code host:port} (libmemcached's rule) and TLS verifies the host: only the IP moves. IP literals
 * are never looked up. A name that does not resolve keeps its last address. A name has moved only
 * when the address in use is no longer among all those it resolves to: a name with several
 * addresses whose order changes between lookups (DNS round robin, ElastiCache Serverless's one
 * address per subnet) keeps its address, else every new order would rebuild every connection;
 * one that moved takes the first address given. When an address changed, the {@link Listener}
 * gets the new list; only when it returns normally does the watcher
 * take the list over, so a change it could not apply is offered again at the next check. The
 * JVM's own cache ({@code networkaddress.cache.ttl}, 30 s by default) delays what a lookup sees.
 */
public final class DnsWatcher implements AutoCloseable {

  /** Told when at least one server's address changed, on the watcher's thread. */
  @FunctionalInterface
  public interface Listener {
    /**
     * Applies a move; throwing means "not applied", and the move is offered again later.
     *
     * @param before the addresses in use
     * @param after the addresses now resolved, in the same order
     */
    void moved(List<InetSocketAddress> before, List<InetSocketAddress> after);
  }

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");
  private static final System.Logger LOG = System.getLogger("io.github.newcache.dns");

  private final List<String> hosts = new ArrayList<>();
  private final List<Integer> ports = new ArrayList<>();
  private final Listener listener;
  private final long retryMillis;
  private final ScheduledThreadPoolExecutor timer;
  private volatile Thread thread;
  /** Servers ({@code host:port}) whose connection is down. */
  private final Set<String> down = ConcurrentHashMap.newKeySet();
  private volatile List<InetSocketAddress> current;
  /** Guards {@link #retries}; never held during a lookup, so {@link #lost} never waits for one. */
  private final Object scheduling = new Object();
  private ScheduledFuture<?> retries;

  private DnsWatcher(List<InetSocketAddress> servers, long intervalMillis, long retryMillis, Listener listener) {
    List<InetSocketAddress> first = new ArrayList<>();
    for (InetSocketAddress s : servers) {
      hosts.add(s.getHostString());
      ports.add(s.getPort());
      first.add(s.isUnresolved() ? resolve(s.getHostString(), s.getPort()) : s);
    }
    this.current = List.copyOf(first);
    this.listener = listener;
    this.retryMillis = retryMillis;
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "newcache-dns");
      t.setDaemon(true);
      thread = t;
      return t;
    });
    timer.setRemoveOnCancelPolicy(true);
    if (intervalMillis > 0) {
      Future<?> unused = timer.scheduleWithFixedDelay(this::check, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    }
  }

  /**
   * Resolves {@code servers} (those already resolved are kept as given) and watches them.
   *
   * @param servers the servers as configured: host as written, port
   * @param intervalMillis check every name this often; 0: only while a connection is down
   * @param retryMillis while a connection is down, check this often
   * @param listener applies a move
   * @return the watcher; {@link #current()} holds the first addresses
   */
  public static DnsWatcher start(
      List<InetSocketAddress> servers, long intervalMillis, long retryMillis, Listener listener) {
    return new DnsWatcher(servers, intervalMillis, retryMillis, listener);
  }

  /** The servers' addresses in use, in the order given. */
  public List<InetSocketAddress> current() {
    return current;
  }

  /**
   * A server's connection was lost: check its name now and every {@code retryMillis} until it is
   * connected again. Returns at once (may be called on a client's IO thread).
   *
   * @param server the server as its client knows it
   */
  public void lost(InetSocketAddress server) {
    down.add(server.getHostString() + ":" + server.getPort());
    synchronized (scheduling) {
      if (timer.isShutdown()) {
        return;
      }
      timer.execute(this::check);
      if (retries == null) {
        retries = timer.scheduleWithFixedDelay(this::retry, retryMillis, retryMillis, TimeUnit.MILLISECONDS);
      }
    }
  }

  /**
   * A server is connected (again).
   *
   * @param server the server as its client knows it
   */
  public void connected(InetSocketAddress server) {
    down.remove(server.getHostString() + ":" + server.getPort());
  }

  private void retry() {
    if (down.isEmpty()) {
      synchronized (scheduling) {
        if (down.isEmpty() && retries != null) {
          retries.cancel(false);
          retries = null;
        }
      }
      return;
    }
    check();
  }

  /**
   * Resolves every name now; when one moved, tells the listener and, if it applied the move, uses
   * the new addresses from then on.
   *
   * @return true when a move was applied
   */
  public synchronized boolean check() {
    List<InetSocketAddress> before = current;
    List<InetSocketAddress> after = new ArrayList<>(before.size());
    boolean moved = false;
    for (int i = 0; i < hosts.size(); i++) {
      InetSocketAddress old = before.get(i);
      InetSocketAddress now = resolveOr(hosts.get(i), ports.get(i), old);
      after.add(now);
      moved |= !sameAddress(old, now);
    }
    if (!moved) {
      return false;
    }
    LOG.log(System.Logger.Level.INFO, "memcached server names moved: " + before + " -> " + after);
    try {
      listener.moved(before, List.copyOf(after));
      current = List.copyOf(after);
      return true;
    } catch (RuntimeException | Error e) {
      // also after an Error (say no native thread left for the new connections): a periodic check
      // that throws is never run again, and moves would stop being followed without a word
      LOG.log(System.Logger.Level.WARNING, "cannot follow the moved names yet (trying again at the next check)", e);
      return false;
    }
  }

  /**
   * {@code host:port} resolved now, keeping {@code host} as the address's host string (so nothing
   * ever looks it up in reverse); unresolved when the name does not resolve.
   *
   * @param host a name or an IP literal
   * @param port the port
   * @return the address
   */
  public static InetSocketAddress resolve(String host, int port) {
    try {
      InetAddress resolved = InetAddress.getByName(host);
      return new InetSocketAddress(InetAddress.getByAddress(host, resolved.getAddress()), port);
    } catch (UnknownHostException e) {
      return InetSocketAddress.createUnresolved(host, port);
    }
  }

  /**
   * {@code previous} while {@code host} still resolves to its address (among others, in any
   * order) or does not resolve at all; else the first address {@code host} resolves to now.
   */
  private static InetSocketAddress resolveOr(String host, int port, InetSocketAddress previous) {
    if (!previous.isUnresolved() && IP_LITERAL.matcher(host).matches()) {
      return previous;
    }
    InetAddress[] all;
    try {
      all = InetAddress.getAllByName(host);
    } catch (UnknownHostException e) {
      return previous.isUnresolved() ? InetSocketAddress.createUnresolved(host, port) : previous;
    }
    if (!previous.isUnresolved()) {
      for (InetAddress a : all) {
        if (Arrays.equals(a.getAddress(), previous.getAddress().getAddress())) {
          return previous;
        }
      }
    }
    try {
      return new InetSocketAddress(InetAddress.getByAddress(host, all[0].getAddress()), port);
    } catch (UnknownHostException e) {
      throw new IllegalStateException("a resolved address of " + host + " is not one: " + all[0], e);
    }
  }

  private static boolean sameAddress(InetSocketAddress a, InetSocketAddress b) {
    if (a.isUnresolved() || b.isUnresolved()) {
      return a.isUnresolved() == b.isUnresolved();
    }
    return Arrays.equals(a.getAddress().getAddress(), b.getAddress().getAddress());
  }

  /**
   * Stops watching and waits (at most {@value Stopping#WAIT_MILLIS} ms) for the watcher's thread to
   * end: the interrupt ends a move being applied (the listener's build of a generation). A DNS
   * lookup cannot be interrupted; a thread still in one after the wait ends with it (logged).
   */
  @Override
  public void close() {
    synchronized (scheduling) {
      timer.shutdownNow(); // under the lock: lost() schedules nothing more
    }
    if (!Stopping.stop(timer, thread) && Thread.currentThread() != thread) {
      LOG.log(System.Logger.Level.WARNING, "the DNS watcher did not stop within " + Stopping.WAIT_MILLIS
          + " ms (a DNS lookup that does not return?); it ends with it");
    }
  }

  @Override
  public String toString() {
    return "DnsWatcher" + current;
  }
}
