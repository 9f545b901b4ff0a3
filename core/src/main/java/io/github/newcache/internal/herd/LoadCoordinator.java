package io.github.newcache.internal.herd;

import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.integration.LoaderPool;
import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.internal.transport.BestEffort;
import io.github.newcache.internal.transport.Item;
import io.github.newcache.internal.transport.MemcachedTransport;
import io.github.newcache.internal.transport.Unanswered;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
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
 * waiting JVM adds an {@code add} (taking the lease when it is gone), a read of the value and one
 * {@code gets} of the lease per poll (every 2 to 25 ms) while the load runs.
 */
public final class LoadCoordinator {

  static final long FIRST_POLL_MILLIS = 2;
  static final long MAX_POLL_MILLIS = 25;

  final MemcachedTransport transport;
  final long leaseMillis;
  final HerdStatistics stats;
  private final LoaderPool executor;
  /** Leases this thread holds through {@link FleetLocks}, so that it never waits for itself. */
  static final ThreadLocal<Set<String>> HELD = ThreadLocal.withInitial(HashSet::new);

  /** This JVM's turns on keys ({@link #exclusive}, {@link FleetLocks}). */
  final KeyTurns turns;
  private final ConcurrentHashMap<String, Flight> flights = new ConcurrentHashMap<>();
  /** The non-blocking loads' flights and polls. */
  private final AsyncLoads asyncLoads;
  private final FleetLocks fleetLocks = new FleetLocks(this);
  /** Leases whose add or release memcached did not answer, released once it does. */
  private final LateReleases lateReleases;

  /**
   * @param transport the cache's transport (leases go through the same signing and failure policy)
   * @param leaseMillis how long a lease lasts, and so the longest anyone waits for another's load
   * @param executor runs background refreshes for stale-while-revalidate
   * @param scheduler times the polls of non-blocking loads ({@link AsyncLoads})
   */
  public LoadCoordinator(
      MemcachedTransport transport,
      long leaseMillis,
      HerdStatistics stats,
      LoaderPool executor,
      ScheduledExecutorService scheduler) {
    this.transport = transport;
    this.leaseMillis = leaseMillis;
    this.stats = stats;
    this.turns = new KeyTurns();
    this.executor = executor;
    this.asyncLoads = new AsyncLoads(this, scheduler);
    this.lateReleases = new LateReleases(transport, scheduler, leaseTtl());
  }

  /**
   * Asks for {@code lease} with {@code token} ({@code add}). When memcached may still apply the add
   * (it timed out: a frozen server applies it once it resumes), the lease is released once it
   * answers again ({@link LateReleases}) before the failure is thrown; an add refused before it was
   * sent, or cancelled for a server not connected, took nothing ({@link Unanswered}).
   */
  boolean addLease(String lease, byte[] token) {
    try {
      return transport.add(lease, leaseTtl(), token);
    } catch (CacheException e) {
      releaseLaterIfApplied(lease, token, e);
      throw e;
    }
  }

  /** {@link #addLease} without blocking: a failure that may leave the add applied schedules the late release; a refusal to send throws. */
  // FutureReturnValueIgnored: whenComplete's future only schedules the late release.
  @SuppressWarnings("FutureReturnValueIgnored")
  CompletableFuture<Boolean> addLeaseAsync(String lease, byte[] token) {
    CompletableFuture<Boolean> added = transport.addAsync(lease, leaseTtl(), token);
    added.whenComplete((held, e) -> {
      if (e != null) {
        releaseLaterIfApplied(lease, token, e);
      }
    });
    return added;
  }

  /** Hands {@code lease} to {@link LateReleases} when the add that failed with {@code failure} may still be applied. */
  private void releaseLaterIfApplied(String lease, byte[] token, Throwable failure) {
    if (Unanswered.mayBeApplied(failure)) {
      lateReleases.retry(lease, token);
    }
  }

  /** How many leases given up on wait for their late release ({@link LateReleases}); for tests. */
  int lateReleasesWaiting() {
    return lateReleases.waiting();
  }

  /** The fleet locks of write-through operations, on this coordinator's turns and leases. */
  public FleetLocks fleetLocks() {
    return fleetLocks;
  }

  public HerdStatistics statistics() {
    return stats;
  }

  /** A caller's wait for others on a key that starts now: one lease timeout for all it waits for. */
  public BoundedWait waitForOthers() {
    return BoundedWait.fromNow(leaseMillis, stats);
  }

  /** A wait for others on a key until {@code deadline} ({@link System#nanoTime}), shared with a batch's other keys. */
  BoundedWait waitUntil(long deadline) {
    return new BoundedWait(deadline, stats);
  }

  /**
   * The value for a key found missing: loaded once for the whole fleet. Callers of this JVM that
   * ask while a load of the key runs here share its outcome, the value or the exception (or null
   * when the loader found nothing), bounded by twice the lease timeout; past it they give up on that
   * load together and form one new flight, as callers arriving then would, and past that flight's
   * bound each loads by itself: a caller waits at most two such rounds. Across JVMs the lease
   * decides who loads (see {@link #underLease}).
   *
   * @param mkey the entry's memcached key
   * @param fetch reads the entry again; returns its live value or null
   * @param loadAndStore runs the loader, stores a non-null result, and returns it
   */
  @SuppressWarnings("unchecked")
  public <V> V load(String mkey, Supplier<V> fetch, Supplier<V> loadAndStore) {
    boolean gaveUp = false;
    while (true) {
      Flight mine = new Flight(Thread.currentThread());
      Flight running = flights.putIfAbsent(mkey, mine);
      if (running == null) {
        return lead(mkey, mine, fetch, loadAndStore);
      }
      if (running.owner == Thread.currentThread()) {
        return loadAndStore.get(); // the loader of this very flight asked for its own key
      }
      Object outcome = join(running, mkey);
      if (outcome == GAVE_UP) {
        if (gaveUp) {
          // A second flight outlived its bound too (a loader slower than the lease timeout whose
          // value never shows: it loads null, or its store is refused or skipped): no third round,
          // whose waiters would each wait again; this caller loads, as every waiter once did.
          V v = fetch.get();
          return v != null ? v : loadAndStore.get();
        }
        gaveUp = true;
        continue;
      }
      if (outcome != AGAIN) {
        return (V) outcome;
      }
    }
  }

  /**
   * This thread's flight of {@code mkey}: takes the lease, loads, and hands the outcome to the
   * flight's waiters. A value that appears while it waits for another client's lease is the answer
   * as it was read ({@code LoadsSaved}), not read again: before, an entry gone again by then (an
   * expiry on access, an eviction, a removal) was loaded without the lease, a load counted neither
   * as a leader's load nor as a lease timeout. So every load here is one of the two.
   */
  private <V> V lead(String mkey, Flight mine, Supplier<V> fetch, Supplier<V> loadAndStore) {
    try {
      AtomicReference<V> appeared = new AtomicReference<>();
      V value =
          underLease(
              mkey,
              waitForOthers(),
              () -> {
                appeared.set(fetch.get());
                return appeared.get() != null;
              },
              leased -> {
                V v = !leased && appeared.get() != null ? appeared.get() : fetch.get();
                if (v != null) {
                  stats.loadsSaved.increment();
                  return v;
                }
                if (leased) {
                  stats.leaderLoads.increment(); // past the lease timeout it counts as a lease timeout alone
                }
                return loadAndStore.get();
              });
      mine.outcome.complete(value);
      return value;
    } catch (RuntimeException | Error e) {
      if (interruptedBy(e)) {
        // This thread's own failure: its waiters try again, and must not find this flight then.
        flights.remove(mkey, mine);
        mine.outcome.completeExceptionally(new LeaderInterrupted(e));
      } else {
        mine.outcome.completeExceptionally(e);
      }
      throw e;
    } finally {
      flights.remove(mkey, mine);
    }
  }

  /**
   * Whether a leader's failure {@code e} came from its own thread's interrupt: the flag is set (a
   * poll's sleep, a memcached command the client would not send or stopped waiting for, a loader
   * that gave up and restored it), or the failure was an {@link InterruptedException}.
   */
  private static boolean interruptedBy(Throwable e) {
    if (Thread.currentThread().isInterrupted()) {
      return true;
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedException) {
        return true;
      }
    }
    return false;
  }

  /** A flight's leader failed on its own interrupt: its waiters try again instead of taking the failure. */
  private static final class LeaderInterrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LeaderInterrupted(Throwable cause) {
      super("the leader of this flight was interrupted", cause, false, false);
    }
  }

  /** What {@link #join} answers when the caller should try again: start a new flight or join one. */
  private static final Object AGAIN = new Object();
  /**
   * What {@link #join} answers when the flight outlived twice the lease timeout: the caller tries
   * again once (a new flight of the callers that gave up), and loads by itself if that one outlives
   * its bound too.
   */
  private static final Object GAVE_UP = new Object();

  /**
   * Waits for another thread's flight and takes its outcome. Past twice the lease timeout, gives up
   * on it: the flight leaves this JVM's table and the caller tries again ({@link #GAVE_UP}), so the
   * callers that waited form one new flight, whose leader takes the lease or waits for it (and
   * finds the first load's value once it is stored), and which the others wait for. Twice: the
   * flight's leader may wait one lease timeout for another client's lease and then load; waiting
   * only one, every thread of this JVM waiting for that key gave up at the moment the leader loaded.
   * Before, each waiter past the bound ran the loader itself: a loader slower than the bound ran
   * once per waiting thread. A leader that failed on its own interrupt fails alone: its waiters try
   * again ({@link #AGAIN}) as callers arriving now would, each waiting at most twice the lease
   * timeout for the flight it joins. Before, they all failed with the leader's interrupt.
   */
  private Object join(Flight running, String mkey) {
    try {
      Object value = running.outcome.get(2 * leaseMillis, TimeUnit.MILLISECONDS);
      stats.loadsSaved.increment();
      return value;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof LeaderInterrupted) {
        return AGAIN; // the leader's own interrupt: take the flight over, or join whoever did
      }
      if (cause instanceof RuntimeException unchecked) {
        throw unchecked;
      }
      if (cause instanceof Error error) {
        throw error;
      }
      throw new CacheException("the load of " + mkey + " failed: " + cause, cause);
    } catch (TimeoutException e) {
      stats.leaseTimeouts.increment();
      flights.remove(mkey, running);
      return GAVE_UP;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CacheException("interrupted while waiting for another thread's load of " + mkey, e);
    }
  }

  /**
   * {@link #load} without blocking, for a loader that answers with a future (see {@link
   * AsyncLoads#load}).
   *
   * @param fetch reads the entry again: a future of its live value or null
   * @param loadAndStore runs the loader, stores a non-null result, and returns it
   */
  public <V> CompletableFuture<V> loadAsync(
      String mkey, Supplier<CompletableFuture<V>> fetch, Supplier<CompletableFuture<V>> loadAndStore) {
    return asyncLoads.load(mkey, fetch, loadAndStore);
  }

  /**
   * The cache closed: non-blocking loads waiting to poll again fail now (the manager's scheduler,
   * shut down next, would drop their wake-ups and leave them pending for ever).
   */
  public void close() {
    asyncLoads.close();
  }

  /**
   * Releases a lease without blocking, nor waiting for room in a full queue ({@link BestEffort}):
   * it runs after a load, in whichever thread completed it (often a callback thread, where a wait
   * holds up every answer queued behind it), or for a holder whose thread was interrupted. Best
   * effort, as the lease expires by itself.
   */
  // FutureReturnValueIgnored: nobody waits for the release, and a failed one changes nothing that
  // the lease's own expiry does not repair.
  @SuppressWarnings("FutureReturnValueIgnored")
  void releaseAsync(String lease, byte[] token) {
    releasing(lease, token, true);
  }

  /**
   * Sends the release of a lease ({@code gets}, then a removal by CAS when it still holds {@code
   * token}); the future completes when memcached has answered, normally or not. A release that
   * fails, refused or unanswered, leaves the lease held: it is tried again once memcached answers
   * ({@link LateReleases}).
   */
  CompletableFuture<Void> releasing(String lease, byte[] token) {
    return releasing(lease, token, false);
  }

  private CompletableFuture<Void> releasing(String lease, byte[] token, boolean bestEffort) {
    try {
      return send(bestEffort, () -> transport.getsAsync(lease))
          .thenCompose(item -> item != null && Arrays.equals(item.value(), token)
              ? send(bestEffort, () -> transport.casAsync(lease, item.cas(), Ttl.EXPIRED, new byte[] {0}))
                  .thenApply(o -> (Void) null)
              : CompletableFuture.<Void>completedFuture(null))
          .exceptionally(failed -> {
            lateReleases.retry(lease, token);
            return null;
          });
    } catch (RuntimeException e) {
      lateReleases.retry(lease, token); // refused to send (a full queue): tried again later
      return CompletableFuture.completedFuture(null);
    }
  }

  private static <T> T send(boolean bestEffort, Supplier<T> send) {
    return bestEffort ? BestEffort.send(send) : send.get();
  }

  /** One thread's load of a key in this JVM, whose outcome its waiters share. */
  private static final class Flight {
    final Thread owner;
    final CompletableFuture<Object> outcome = new CompletableFuture<>();

    Flight(Thread owner) {
      this.owner = owner;
    }
  }

  /**
   * Runs {@code body} with the key's lease when it can be had within {@code wait}: for an absent
   * entry, so that one client at a time creates it. While another client holds the lease, polls
   * until the entry {@code appeared}, then runs {@code body} without the lease; takes the lease
   * over if it vanishes first. Past the wait's deadline, runs {@code body} without the lease (the
   * wait's lease timeout). {@code body} is told whether it runs under the lease.
   */
  private <T> T underLease(String mkey, BoundedWait wait, BooleanSupplier appeared, Function<Boolean, T> body) {
    String lease = LeaseKeys.of(mkey);
    long poll = FIRST_POLL_MILLIS;
    while (true) {
      byte[] token = token();
      if (addLease(lease, token)) {
        try {
          return body.apply(true);
        } finally {
          release(lease, token);
        }
      }
      if (appeared.getAsBoolean()) {
        return body.apply(false);
      }
      if (wait.over()) {
        wait.timedOut();
        return body.apply(false);
      }
      if (transport.gets(lease) == null) { // gets: see attempt()
        continue; // the holder finished without creating it, or failed: take the lease over
      }
      sleep(poll);
      poll = Math.min(MAX_POLL_MILLIS, poll * 2);
    }
  }

  /**
   * Runs {@code body} while no other thread of this JVM runs a body for the same key; later
   * callers wait for the earlier one. The same thread may enter again (an entry processor touching
   * its own key). {@code body} gets its {@link Turn}, whose {@link Turn#withLease} waits for the
   * key's lease within the same bound: one lease timeout in all for the turn and the lease, counted
   * once when it runs out. Before, each had its own, and an entry processor could wait twice the
   * lease timeout.
   */
  public <T> T exclusive(String mkey, Function<Turn, T> body) {
    BoundedWait wait = waitForOthers();
    KeyTurns.Gate gate = turns.enter(mkey, wait);
    try {
      return body.apply(new Turn(mkey, wait));
    } finally {
      turns.leave(mkey, gate);
    }
  }

  /** A turn of {@link #exclusive} on a key: the caller's wait for others, which its lease shares. */
  public final class Turn {
    private final String mkey;
    private final BoundedWait wait;

    private Turn(String mkey, BoundedWait wait) {
      this.mkey = mkey;
      this.wait = wait;
    }

    /**
     * Runs {@code body} for an absent entry while holding the key's lease, so that one client at a
     * time creates it; while another client holds it, waits (within what is left of this turn's
     * wait) until the entry {@code appeared}, then runs {@code body} without the lease, and so it
     * does past the wait. {@code body} must read the entry itself.
     */
    public <T> T withLease(BooleanSupplier appeared, Supplier<T> body) {
      return underLease(mkey, wait, appeared, leased -> body.get());
    }

    /** This turn's wait for others, whose deadline the caller's later waits on the key share (its turn for events). */
    public BoundedWait waited() {
      return wait;
    }
  }

  /**
   * Starts a background refresh of a stale entry unless some client is already refreshing it;
   * returns at once either way.
   */
  public void refreshInBackground(String mkey, Runnable refresh) {
    String lease = LeaseKeys.of(mkey);
    byte[] token = token();
    if (!addLease(lease, token)) {
      return;
    }
    try {
      executor.execute(
          () -> {
            try {
              refresh.run();
            } finally {
              release(lease, token);
            }
          },
          // dropped at the close: release the lease, so that other clients need not wait for its TTL
          closing -> releaseAsync(lease, token));
    } catch (RuntimeException e) {
      release(lease, token);
    }
  }

  /** Counts a read answered with a stale value. */
  public void staleRead() {
    stats.staleReads.increment();
  }

  /** Counts a background refresh that goes on to run the loader. */
  public void refreshing() {
    stats.refreshes.increment();
  }

  /**
   * Removes the lease if it is still {@code token}'s. A holder whose thread was interrupted (a
   * loader that restored the flag, a cancelled task, a closing pool) releases it without blocking:
   * the flag is set aside while the release is sent and restored at once, so an interrupted thread
   * never waits on memcached here (a closing manager's would wait for its timeout). Before, the
   * release failed at once on the flag and every other client waited for the lease's TTL.
   */
  void release(String lease, byte[] token) {
    if (Thread.interrupted()) {
      try {
        releaseAsync(lease, token);
      } finally {
        Thread.currentThread().interrupt();
      }
      return;
    }
    try {
      Item item = transport.gets(lease);
      if (item != null && Arrays.equals(item.value(), token)) {
        transport.cas(lease, item.cas(), Ttl.EXPIRED, new byte[] {0});
      }
    } catch (CacheException e) {
      lateReleases.retry(lease, token); // the lease is still held: tried again once memcached answers
    }
  }

  /**
   * The lease's TTL in seconds: the lease timeout rounded up, plus one. memcached's clock ticks once
   * a second, so an item with a TTL of n seconds may vanish after n - 1; without the extra second a
   * lease of 1 s could vanish at once, letting a second client load.
   */
  int leaseTtl() {
    return (int) ((leaseMillis + 999) / 1000 + 1);
  }


  static byte[] token() {
    return ByteBuffer.allocate(16)
        .putLong(ThreadLocalRandom.current().nextLong())
        .putLong(System.nanoTime())
        .array();
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CacheException("interrupted while waiting for another client's load");
    }
  }
}
