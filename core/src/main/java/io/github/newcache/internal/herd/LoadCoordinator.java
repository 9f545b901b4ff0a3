package io.github.newcache.internal.herd;

import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.transport.Item;
import io.github.newcache.internal.transport.MemcachedTransport;
import io.github.newcache.key.Md5KeyMangler;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.CacheException;

/**
 * Thundering-herd protection: at most one load per missing key across the whole fleet.
 *
 * <p>Within a JVM, callers for one key take turns ({@link #exclusive}): the first loads, the rest
 * wait for it and then find the value in memcached. Across JVMs, the flight's leader first takes the key's <em>lease</em>, a
 * small memcached item {@code <memcached key>.lease} created with {@code add} (which only one client
 * can win) and a TTL of the lease timeout. The lease holder loads and stores the value, then
 * removes the lease with a CAS so it never removes a successor's lease. Everyone else polls
 * memcached for the value with a short back-off (there is no notification to wait on), and takes
 * the lease over when it disappears without a value (the holder failed). Nobody waits forever:
 * after the lease timeout a waiter loads by itself, and that is counted.
 *
 * <p>Cost per miss: the leader adds one {@code add}, one {@code gets} and one {@code cas}; each
 * waiting JVM adds one {@code get} per poll (every 2 to 25 ms) while the load runs.
 */
public final class LoadCoordinator {

  private static final long FIRST_POLL_MILLIS = 2;
  private static final long MAX_POLL_MILLIS = 25;

  private final MemcachedTransport transport;
  private final long leaseMillis;
  private final HerdStatistics stats;
  private final ExecutorService executor;
  private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();

  /**
   * @param transport the cache's transport (leases go through the same signing and failure policy)
   * @param leaseMillis how long a lease lasts, and so the longest anyone waits for another's load
   * @param executor runs background refreshes for stale-while-revalidate
   */
  public LoadCoordinator(MemcachedTransport transport, long leaseMillis, HerdStatistics stats, ExecutorService executor) {
    this.transport = transport;
    this.leaseMillis = leaseMillis;
    this.stats = stats;
    this.executor = executor;
  }

  public HerdStatistics statistics() {
    return stats;
  }

  /**
   * The value for a key found missing: loaded once for the whole fleet.
   *
   * @param mkey the entry's memcached key
   * @param fetch reads the entry again; returns its live value or null
   * @param loadAndStore runs the loader, stores a non-null result, and returns it
   */
  public <V> V load(String mkey, Supplier<V> fetch, Supplier<V> loadAndStore) {
    Supplier<V> fetchOrLoad =
        () -> {
          V v = fetch.get();
          if (v != null) {
            stats.loadsSaved.increment();
            return v;
          }
          stats.leaderLoads.increment();
          return loadAndStore.get();
        };
    return exclusive(
        mkey,
        waited -> {
          if (waited) {
            V v = fetch.get();
            if (v != null) {
              stats.loadsSaved.increment();
              return v;
            }
          }
          return withLease(mkey, () -> fetch.get() != null, fetchOrLoad);
        });
  }

  /**
   * Runs {@code body} for an absent entry while holding the key's lease, so that one client at a
   * time creates it. While another client holds the lease, polls (bounded by the lease timeout)
   * until the entry {@code appeared}, then runs {@code body} without the lease; takes the lease
   * over if it vanishes first. {@code body} must read the entry itself.
   */
  public <T> T withLease(String mkey, BooleanSupplier appeared, Supplier<T> body) {
    String lease = leaseKey(mkey);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    long poll = FIRST_POLL_MILLIS;
    while (true) {
      byte[] token = token();
      if (transport.add(lease, leaseTtl(), token)) {
        try {
          return body.get();
        } finally {
          release(lease, token);
        }
      }
      if (appeared.getAsBoolean()) {
        return body.get();
      }
      if (System.nanoTime() >= deadline) {
        stats.leaseTimeouts.increment();
        return body.get();
      }
      if (transport.get(lease) == null) {
        continue; // the holder finished without creating it, or failed: take the lease over
      }
      sleep(poll);
      poll = Math.min(MAX_POLL_MILLIS, poll * 2);
    }
  }

  /**
   * Runs {@code body} while no other thread of this JVM runs a body for the same key; later
   * callers wait for the earlier one (bounded by the lease timeout) and are told they waited. The
   * same thread may enter again (an entry processor touching its own key).
   */
  public <T> T exclusive(String mkey, Function<Boolean, T> body) {
    Gate mine = new Gate(Thread.currentThread());
    boolean waited = false;
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
    while (true) {
      Gate running = gates.putIfAbsent(mkey, mine);
      if (running == null) {
        break;
      }
      if (running.owner == Thread.currentThread()) {
        return body.apply(waited);
      }
      waited = true;
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        stats.leaseTimeouts.increment();
        return body.apply(true);
      }
      try {
        running.done.get(left, TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // loop: the deadline decides
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CacheException("interrupted while waiting for another thread on " + mkey, e);
      }
    }
    try {
      return body.apply(waited);
    } finally {
      gates.remove(mkey, mine);
      mine.done.complete(null);
    }
  }

  /** One thread's turn on a key. */
  private static final class Gate {
    final Thread owner;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Gate(Thread owner) {
      this.owner = owner;
    }
  }

  /**
   * Starts a background refresh of a stale entry unless some client is already refreshing it;
   * returns at once either way.
   */
  public void refreshInBackground(String mkey, Runnable refresh) {
    String lease = leaseKey(mkey);
    byte[] token = token();
    if (!transport.add(lease, leaseTtl(), token)) {
      return;
    }
    stats.refreshes.increment();
    try {
      executor.execute(
          () -> {
            try {
              refresh.run();
            } finally {
              release(lease, token);
            }
          });
    } catch (RuntimeException e) {
      release(lease, token);
    }
  }

  /** Counts a read answered with a stale value. */
  public void staleRead() {
    stats.staleReads.increment();
  }

  private void release(String lease, byte[] token) {
    try {
      Item item = transport.gets(lease);
      if (item != null && java.util.Arrays.equals(item.value(), token)) {
        transport.cas(lease, item.cas(), Ttl.EXPIRED, new byte[] {0});
      }
    } catch (CacheException e) {
      // the lease expires by itself
    }
  }

  private int leaseTtl() {
    return (int) Math.max(1, (leaseMillis + 999) / 1000);
  }

  /** The lease's memcached key: beside the entry's key, and under the same prefix. */
  static String leaseKey(String mkey) {
    return mkey.length() <= 240 ? mkey + ".lease" : "lease-" + Md5KeyMangler.md5Hex(mkey.getBytes(java.nio.charset.StandardCharsets.UTF_8));
  }

  private static byte[] token() {
    return ByteBuffer.allocate(16)
        .putLong(ThreadLocalRandom.current().nextLong())
        .putLong(System.nanoTime())
        .array();
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CacheException("interrupted while waiting for another client's load");
    }
  }
}
