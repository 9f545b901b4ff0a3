package io.github.newcache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.CacheException;

/**
 * The order of one cache's non-blocking writes of a key: they take effect, and tell their
 * listeners, in the order they were called. Without it, two writes of a key called back to back
 * ran side by side: a put's {@code gets} then {@code add} (a compute) let a remove's blind {@code
 * delete}, sent between them, land first and find nothing; two computes raced from two callback
 * threads; writes through a writer ran on loader-pool threads in no fixed order; and listener
 * steps on different pool threads could deliver the later write's event first.
 *
 * <p>The scheme is a chain per memcached key: a map from the key to a future that completes when
 * the last write called for it is done (applied, its listeners told, or failed). A write registers
 * itself as the new tail and starts at once when it found none, else when the one it found is
 * done, whatever its outcome, on the continuation threads (never on the thread that completed
 * it: a deadline's, or a closing one). Its entry leaves the map when it finishes and is still the
 * tail, so the map holds only keys with a write in flight. A write with no unfinished one before
 * it costs a map insertion and removal and one future, no round trip (a blind write, none of
 * that: {@link #runBlind}); only a write behind an unfinished one waits, and without a thread. The alternatives cost more: a lock or semaphore per
 * key blocks a thread while it waits; one chain for all keys would put every write behind every
 * other; and handing a key's writes to one thread orders their first commands but not the steps
 * that follow memcached's answers (the add or cas, the listener step).
 *
 * <p>A write's turn may come late only because an earlier write of the key is slow: one that waited
 * longer than the cache's {@code leaseTimeout} (the longest anyone waits for another's work) fails
 * without being applied when its turn comes, which keeps the order (nothing later lands before
 * it). Writes that each end within their timeouts (every memcached command does) so drain at once
 * behind a frozen server, instead of one timeout after another; a writer or listener that never
 * returns still holds its key's later writes, as it holds a blocking caller. The time the writes
 * before it in the line spent waiting for the key's turn for events (a blocking writer's slow
 * listener holding it, each such wait bounded by the lease timeout) is not held against it, up to
 * one more lease timeout ({@link Place#waitedForTurn}): a write queued behind one that waited
 * legitimately goes on, and each write's waits for others (its place in line and its turn, which
 * ends by {@link Place#turnDeadline}) still come to twice the lease timeout at most. Before, a
 * write queued behind one that had waited most of the lease timeout for its turn failed.
 *
 * <p>Memory: a write holds its value from the moment it is called until it is done, waiting for
 * its turn here or for the {@code gets} of its compute, outside the server's queues. So a write
 * that takes a turn is first charged to its server's budget of pending writes ({@link
 * io.github.newcache.internal.transport.MemcachedTransport#charge}: up to {@code opQueueWait} for
 * room, then refused with the queue's error, before it joins the line), and released when it is
 * done; behind a frozen server one hot key's line grew by 12,000 puts (251 MB) in half a second
 * before. A blind write that starts at once takes no charge: it is queued as it is called, and the
 * queues count it. A write that runs on the loader pool is charged for what it holds there ({@link
 * PooledWrites}).
 *
 * <p>Only writes are ordered: a read called after a write but before its future completes may
 * see the entry as it was. A synchronous listener must not wait for a later non-blocking write of
 * the key it is being told about: that write starts once the listener returns.
 */
final class WriteOrder {

  private final ConcurrentHashMap<String, Place> tails = new ConcurrentHashMap<>();
  /** Where a write that waited for an earlier one starts. */
  private final Executor next;
  /** How long a write may wait for its turn; one that waited longer fails when its turn comes. */
  private final long waitLimitNanos;

  /**
   * @param next where a write that waited for an earlier one starts
   * @param waitLimitMillis how long a write may wait for the key's earlier writes: when its turn
   *     comes later than that (beside up to the limit once more that those writes waited for the
   *     key's turn for events), it fails without being applied, so a key's writes piling up behind
   *     a server that stopped answering (each earlier one waiting out its timeout) drain at once
   *     instead of one timeout after another, and each caller hears within twice the limit plus its
   *     own timeouts
   */
  WriteOrder(Executor next, long waitLimitMillis) {
    this.next = next;
    this.waitLimitNanos = TimeUnit.MILLISECONDS.toNanos(waitLimitMillis);
  }

  /**
   * Runs {@code write}, of the memcached key {@code mkey}, once the key's earlier writes are done,
   * charged what {@code charge} takes until it is done; refused (a failed future) when the charge is.
   */
  <T> CompletableFuture<T> run(String mkey, Supplier<Runnable> charge, Supplier<CompletableFuture<T>> write) {
    return run(mkey, charge, place -> write.get());
  }

  /**
   * {@link #run}, handing {@code write} its place in the key's line: a write that waits for the
   * key's turn for events reports it there ({@link Place#waitedForTurn}), and ends that wait by
   * {@link Place#turnDeadline}.
   */
  <T> CompletableFuture<T> run(String mkey, Supplier<Runnable> charge, Function<Place, CompletableFuture<T>> write) {
    Runnable release;
    try {
      release = charge.get();
    } catch (RuntimeException refused) {
      return CompletableFuture.failedFuture(refused);
    }
    long calledAt = System.nanoTime();
    Place[] earlier = {null};
    Place mine = tails.compute(mkey, (k, e) -> {
      earlier[0] = e;
      return new Place(calledAt, e == null ? new AtomicLong() : e.lineTurnWaits);
    });
    CompletableFuture<T> out =
        earlier[0] == null ? start(write, mine) : earlier[0].done.thenComposeAsync(x -> startInTime(write, mine), next);
    return finishing(out, mine, release, mkey);
  }

  /**
   * {@link #run} of a blind write: one command, sent as it starts, with no listener to tell (a
   * {@code set} or {@code delete}). With no unfinished write of the key before it, it starts at once
   * and takes no turn: the key's server connection keeps it ahead of everything sent after it, so
   * a later write of the key, whose commands all go later, needs no wait for it. Back-to-back blind
   * writes of a hot key go out pipelined, as without any order. Behind an unfinished write it waits
   * as any write does (the earlier one's last command is not sent yet), and takes its turn.
   */
  <T> CompletableFuture<T> runBlind(String mkey, Supplier<Runnable> charge, Supplier<CompletableFuture<T>> write) {
    return tails.containsKey(mkey) ? run(mkey, charge, write) : start(place -> write.get(), null);
  }

  /**
   * {@link #run} of a write of several keys (a write-through putAll): it starts once the earlier
   * writes of all of them are done, charged what {@code charge} takes until it is done (refused, a
   * failed future, when the charge is). Such writes take their places under a lock, so two of them
   * never each wait for the other (one of a, b and one of b, a).
   */
  <T> CompletableFuture<T> runAll(List<String> mkeys, Supplier<Runnable> charge, Supplier<CompletableFuture<T>> write) {
    Runnable release;
    try {
      release = charge.get();
    } catch (RuntimeException refused) {
      return CompletableFuture.failedFuture(refused);
    }
    long calledAt = System.nanoTime();
    // Its own line's count of turn waits: those of the lines it joins are not credited to it.
    Place mine = new Place(calledAt, new AtomicLong());
    List<CompletableFuture<Void>> earlier = new ArrayList<>();
    synchronized (this) {
      for (String mkey : mkeys) {
        Place e = tails.put(mkey, mine);
        if (e != null && e != mine) { // two keys sharing a memcached key: not a wait for itself
          earlier.add(e.done);
        }
      }
    }
    Function<Place, CompletableFuture<T>> w = place -> write.get();
    CompletableFuture<T> out =
        earlier.isEmpty()
            ? start(w, mine)
            : CompletableFuture.allOf(earlier.toArray(new CompletableFuture<?>[0]))
                .thenComposeAsync(x -> startInTime(w, mine), next);
    return finishing(out, mine, release, mkeys.toArray(new String[0]));
  }

  /** {@code write} started; what it throws fails its future, so the key's next write still gets its turn. */
  private static <T> CompletableFuture<T> start(Function<Place, CompletableFuture<T>> write, Place place) {
    try {
      return write.apply(place);
    } catch (Throwable e) { // an Error or an undeclared checked exception too: the turn is handed on
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * {@link #start}, unless the write waited longer than the limit for its turn in line, not counting
   * what the writes before it waited for the key's turn for events since it was called (up to the
   * limit once more).
   */
  private <T> CompletableFuture<T> startInTime(Function<Place, CompletableFuture<T>> write, Place place) {
    long waited = System.nanoTime() - place.calledAt;
    long forgiven = Math.min(waitLimitNanos, place.lineTurnWaits.get() - place.turnWaitsAtCall);
    if (waited - forgiven > waitLimitNanos) {
      return CompletableFuture.failedFuture(new CacheException(
          "a non-blocking write waited " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms for the earlier writes of its key ("
              + TimeUnit.NANOSECONDS.toMillis(forgiven) + " ms of it while they waited for the key's turn for events),"
              + " more than the cache's leaseTimeout (" + TimeUnit.NANOSECONDS.toMillis(waitLimitNanos)
              + " ms) beside that, and was not applied"));
    }
    return start(write, place);
  }

  /**
   * {@code out}, completed once it has let the next write of its keys start and released its
   * charge, whether it failed or not: when the caller hears of a write, its key's entry is gone or
   * belongs to a later write, and its bytes are no longer counted.
   */
  private <T> CompletableFuture<T> finishing(CompletableFuture<T> out, Place mine, Runnable release, String... mkeys) {
    return out.whenComplete((v, e) -> {
      release.run();
      for (String mkey : mkeys) {
        tails.remove(mkey, mine);
      }
      mine.done.complete(null);
    });
  }

  /**
   * A write's place in its key's line. The writes of one line (from when a write finds the key's
   * line empty until it is empty again) share one count of the time they waited for the key's turn
   * for events, which the writes behind them are not held to account for.
   */
  final class Place {
    /** Completes when the write is done: the next write of the key may start. */
    final CompletableFuture<Void> done = new CompletableFuture<>();
    private final long calledAt;
    private final AtomicLong lineTurnWaits;
    private final long turnWaitsAtCall;

    private Place(long calledAt, AtomicLong lineTurnWaits) {
      this.calledAt = calledAt;
      this.lineTurnWaits = lineTurnWaits;
      this.turnWaitsAtCall = lineTurnWaits.get();
    }

    /** The write waited {@code nanos} for the key's turn for events: the writes behind it are not held to that. */
    void waitedForTurn(long nanos) {
      lineTurnWaits.addAndGet(nanos);
    }

    /**
     * When the write stops waiting for the key's turn for events at the latest (a {@link
     * System#nanoTime} value): twice the lease timeout after it was called, so that its wait in line
     * and its wait for the turn come to that at most in all (each is bounded by the lease timeout
     * too).
     */
    long turnDeadline() {
      return calledAt + 2 * waitLimitNanos;
    }
  }

  /** How many keys have a write in flight (for tests: the map empties when writes finish). */
  int keysInFlight() {
    return tails.size();
  }
}
