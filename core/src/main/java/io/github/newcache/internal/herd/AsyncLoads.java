package io.github.newcache.internal.herd;

import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.internal.transport.HandOffFuture;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.cache.CacheException;

/**
 * The non-blocking side of {@link LoadCoordinator}: one flight per key in this JVM, the lease
 * across JVMs, and, for a caller that does not hold the lease, polls of memcached timed by the
 * scheduler instead of a sleeping thread. Uses the coordinator's transport, leases and counters.
 */
final class AsyncLoads {

  private final LoadCoordinator herd;
  private final ScheduledExecutorService scheduler;
  private final ConcurrentHashMap<String, CompletableFuture<Object>> asyncFlights = new ConcurrentHashMap<>();
  /**
   * Polls of non-blocking loads waiting for the scheduler: failed at {@link #close} (a shut-down
   * scheduler drops them).
   */
  private final Set<CompletableFuture<Void>> polls = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  AsyncLoads(LoadCoordinator herd, ScheduledExecutorService scheduler) {
    this.herd = herd;
    this.scheduler = scheduler;
  }

  /**
   * {@link LoadCoordinator#load} without blocking, for a loader that answers with a future: callers of this JVM
   * share one flight per key; across JVMs the lease decides, and a caller that does not hold it
   * polls memcached on the scheduler (every 2 ms, backing off to 25 ms) instead of sleeping, until
   * the entry appears, the lease disappears (it then takes it over), or the lease timeout passes
   * (it then loads by itself). No thread waits while the flight is in progress.
   *
   * @param fetch reads the entry again: a future of its live value or null
   * @param loadAndStore runs the loader, stores a non-null result, and returns it
   */
  // FutureReturnValueIgnored: the future whenComplete returns is dropped because the callback hands
  // the flight's outcome, value or failure, to `mine`, which every caller of the flight waits on.
  @SuppressWarnings({"unchecked", "FutureReturnValueIgnored"})
  <V> CompletableFuture<V> load(
      String mkey, Supplier<CompletableFuture<V>> fetch, Supplier<CompletableFuture<V>> loadAndStore) {
    CompletableFuture<Object> mine = new CompletableFuture<>();
    CompletableFuture<Object> running = asyncFlights.putIfAbsent(mkey, mine);
    if (running != null) {
      herd.stats.loadsSaved.increment();
      return (CompletableFuture<V>) joinAsync(running, mkey, fetch, loadAndStore);
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(herd.leaseMillis);
    attempt(mkey, fetch, loadAndStore, deadline, LoadCoordinator.FIRST_POLL_MILLIS)
        .whenComplete((v, e) -> {
          asyncFlights.remove(mkey, mine);
          if (e != null) {
            mine.completeExceptionally(e);
          } else {
            mine.complete(v);
          }
        });
    return (CompletableFuture<V>) mine.thenApply(v -> v);
  }

  /**
   * Another caller's flight of this JVM, waited for up to twice the lease timeout as {@link LoadCoordinator#load}
   * waits; past it the flight is given up on (a loader's future that never completes would
   * otherwise pin every non-blocking miss of the key in this JVM): it leaves the map, and this
   * caller loads as a newcomer would, starting a new flight or joining the one another late caller
   * started.
   */
  // FutureReturnValueIgnored: the futures whenComplete returns are dropped; their actions complete out.
  @SuppressWarnings("FutureReturnValueIgnored")
  private <V> CompletableFuture<Object> joinAsync(
      CompletableFuture<Object> running, String mkey, Supplier<CompletableFuture<V>> fetch,
      Supplier<CompletableFuture<V>> loadAndStore) {
    CompletableFuture<Object> out = new CompletableFuture<>();
    CompletableFuture<Void> overdue = after(2 * herd.leaseMillis);
    running.whenComplete((v, e) -> {
      HandOffFuture.completing(out).accept(v, e);
      overdue.cancel(false);
    });
    overdue.whenComplete((x, e) -> {
      if (out.isDone()) {
        return;
      }
      if (e != null) {
        out.completeExceptionally(e); // the cache closed
        return;
      }
      herd.stats.leaseTimeouts.increment();
      asyncFlights.remove(mkey, running);
      try {
        load(mkey, fetch, loadAndStore).whenComplete(HandOffFuture.completing(out));
      } catch (RuntimeException f) {
        out.completeExceptionally(f);
      }
    });
    return out;
  }

  private <V> CompletableFuture<V> attempt(
      String mkey, Supplier<CompletableFuture<V>> fetch, Supplier<CompletableFuture<V>> loadAndStore,
      long deadline, long poll) {
    String lease = LeaseKeys.of(mkey);
    byte[] token = LoadCoordinator.token();
    return herd.addLeaseAsync(lease, token).thenCompose(held -> {
      if (held) {
        return fetch.get()
            .thenCompose(v -> {
              if (v != null) {
                herd.stats.loadsSaved.increment();
                return CompletableFuture.completedFuture(v);
              }
              herd.stats.leaderLoads.increment();
              return loadAndStore.get();
            })
            .whenComplete((v, e) -> herd.releaseAsync(lease, token));
      }
      return fetch.get().thenCompose(v -> {
        if (v != null) {
          herd.stats.loadsSaved.increment();
          return CompletableFuture.completedFuture(v);
        }
        if (System.nanoTime() >= deadline) {
          herd.stats.leaseTimeouts.increment();
          return loadAndStore.get();
        }
        // gets, not get: a lease item is another client's whatever it holds (a signing client's get
        // reads an item the secret does not sign as no item, and would take the lease over in a loop)
        return herd.transport.getsAsync(lease).thenCompose(present -> present == null
            ? attempt(mkey, fetch, loadAndStore, deadline, poll) // the holder is gone: take the lease over
            : after(poll).thenCompose(x -> attempt(mkey, fetch, loadAndStore, deadline, Math.min(LoadCoordinator.MAX_POLL_MILLIS, poll * 2))));
      });
    });
  }

  /** A future completed by the scheduler after {@code millis}. */
  // FutureReturnValueIgnored: the scheduled task only completes f, which is what the caller gets;
  // its ScheduledFuture would add nothing (it is never cancelled).
  // CollectionUndefinedEquality: polls holds each future once, by identity, which is what
  // CompletableFuture's equals is.
  @SuppressWarnings({"FutureReturnValueIgnored", "CollectionUndefinedEquality"})
  private CompletableFuture<Void> after(long millis) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    polls.add(f);
    f.whenComplete((v, e) -> polls.remove(f));
    if (closed) {
      f.completeExceptionally(closedWhileWaiting());
      return f;
    }
    try {
      ScheduledFuture<?> wakeUp = scheduler.schedule(() -> f.complete(null), millis, TimeUnit.MILLISECONDS);
      f.whenComplete((v, e) -> wakeUp.cancel(false)); // completed early (cancelled): leaves the scheduler's queue
    } catch (RuntimeException e) {
      f.completeExceptionally(new CacheException("the cache manager is closed", e));
    }
    return f;
  }

  private static CacheException closedWhileWaiting() {
    return new CacheException("the cache closed while this load waited for another client's load of the key");
  }

  /**
   * The cache closed: non-blocking loads waiting to poll again fail now (the manager's scheduler,
   * shut down next, would drop their wake-ups and leave them pending for ever).
   */
  void close() {
    closed = true;
    for (CompletableFuture<Void> f : polls) {
      f.completeExceptionally(closedWhileWaiting());
    }
  }
}
