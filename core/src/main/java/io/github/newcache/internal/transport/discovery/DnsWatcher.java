package io.github.newcache.internal.transport.discovery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Re-resolves the servers' host names so a name that moves to another address is followed.
 *
 * <p>Why: spymemcached 2.12.3 resolves each server once, when the client is made, and reconnects
 * to that same {@link InetSocketAddress} forever (its node's address is final, and {@code
 * MemcachedConnection.attemptReconnects} connects to {@code node.getSocketAddress()}). A server
 * replaced behind its DNS name is never found again. (The fork re-resolves on reconnect: it
 * connects to {@code new InetSocketAddress(hostName, port)}.) The owner calls {@link #check()}
 * when a server's connection is being re-established, and/or lets {@link #start} check on an
 * interval; the {@link Listener} gets the new addresses and rebuilds what needs them.
 *
 * <p>Addresses keep the host as written ({@link #resolve}), because ketama places servers by
 * {@code host:port} (libmemcached's rule) and TLS verifies the host: only the IP moves. IP
 * literals are never looked up. A name that does not resolve keeps its last address. The JVM
 * caches lookups ({@code networkaddress.cache.ttl}, 30 s by default): a move is seen after that.
 */
public final class DnsWatcher implements AutoCloseable {

  /** Told when at least one server's address changed, on the checking thread. */
  @FunctionalInterface
  public interface Listener {
    void moved(List<InetSocketAddress> before, List<InetSocketAddress> after);
  }

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");
  private static final System.Logger LOG = System.getLogger("io.github.newcache.dns");

  private final List<String> hosts;
  private final List<Integer> ports;
  private final Listener listener;
  private final ScheduledExecutorService timer;
  private volatile List<InetSocketAddress> current;

  private DnsWatcher(List<InetSocketAddress> servers, Listener listener, long intervalMillis) {
    this.hosts = new ArrayList<>();
    this.ports = new ArrayList<>();
    List<InetSocketAddress> first = new ArrayList<>();
    for (InetSocketAddress s : servers) {
      hosts.add(s.getHostString());
      ports.add(s.getPort());
      first.add(resolveOr(s.getHostString(), s.getPort(), null));
    }
    this.current = List.copyOf(first);
    this.listener = listener;
    if (intervalMillis > 0) {
      timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "newcache-dns");
        t.setDaemon(true);
        return t;
      });
      timer.scheduleWithFixedDelay(this::check, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    } else {
      timer = null;
    }
  }

  /**
   * Resolves {@code servers} (host as written, port) now, and again every {@code intervalMillis}
   * when it is positive (0: only when {@link #check()} is called).
   */
  public static DnsWatcher start(List<InetSocketAddress> servers, long intervalMillis, Listener listener) {
    return new DnsWatcher(servers, listener, intervalMillis);
  }

  /** The servers' current addresses, in the order given. */
  public List<InetSocketAddress> current() {
    return current;
  }

  /** Re-resolves every name now; returns true (after telling the listener) when one moved. */
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
    current = List.copyOf(after);
    LOG.log(System.Logger.Level.INFO, "memcached servers moved: " + before + " -> " + after);
    try {
      listener.moved(before, current);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.ERROR, "following moved servers failed", e);
    }
    return true;
  }

  /**
   * {@code host:port} resolved now, keeping {@code host} as the address's host string (no
   * reverse lookup later); unresolved when the name does not resolve.
   */
  public static InetSocketAddress resolve(String host, int port) {
    try {
      InetAddress resolved = InetAddress.getByName(host);
      return new InetSocketAddress(InetAddress.getByAddress(host, resolved.getAddress()), port);
    } catch (UnknownHostException e) {
      return InetSocketAddress.createUnresolved(host, port);
    }
  }

  private static InetSocketAddress resolveOr(String host, int port, InetSocketAddress previous) {
    if (previous != null && IP_LITERAL.matcher(host).matches()) {
      return previous;
    }
    InetSocketAddress a = resolve(host, port);
    return a.isUnresolved() && previous != null && !previous.isUnresolved() ? previous : a;
  }

  private static boolean sameAddress(InetSocketAddress a, InetSocketAddress b) {
    if (a.isUnresolved() || b.isUnresolved()) {
      return a.isUnresolved() == b.isUnresolved();
    }
    return Arrays.equals(a.getAddress().getAddress(), b.getAddress().getAddress());
  }

  @Override
  public void close() {
    if (timer != null) {
      timer.shutdownNow();
    }
  }

  @Override
  public String toString() {
    Map<String, InetSocketAddress> m = new LinkedHashMap<>();
    for (int i = 0; i < hosts.size(); i++) {
      m.put(hosts.get(i) + ":" + ports.get(i), current.get(i));
    }
    return "DnsWatcher" + m;
  }
}
