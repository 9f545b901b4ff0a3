package io.github.newcache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
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
 * returns still holds its key's later writes, as it holds a blocking caller.
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

  private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
  /** Where a write that waited for an earlier one starts. */
  private final Executor next;
  /** How long a write may wait for its turn; one that waited longer fails when its turn comes. */
  private final long waitLimitNanos;

  /**
   * @param next where a write that waited for an earlier one starts
   * @param waitLimitMillis how long a write may wait for the key's earlier writes: when its turn
   *     comes later than that, it fails without being applied, so a key's writes piling up behind a
   *     server that stopped answering (each earlier one waiting out its timeout) drain at once
   *     instead of one timeout after another, and each caller hears within the limit plus its own
   *     timeouts
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
    Runnable release;
    try {
      release = charge.get();
    } catch (RuntimeException refused) {
      return CompletableFuture.failedFuture(refused);
    }
    long calledAt = System.nanoTime();
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> earlier = tails.put(mkey, mine);
    CompletableFuture<T> out =
        earlier == null ? start(write) : earlier.thenComposeAsync(x -> startInTime(write, calledAt), next);
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
    return tails.containsKey(mkey) ? run(mkey, charge, write) : start(write);
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
    CompletableFuture<Void> mine = new CompletableFuture<>();
    List<CompletableFuture<Void>> earlier = new ArrayList<>();
    synchronized (this) {
      for (String mkey : mkeys) {
        CompletableFuture<Void> e = tails.put(mkey, mine);
        if (e != null && e != mine) { // two keys sharing a memcached key: not a wait for itself
          earlier.add(e);
        }
      }
    }
    CompletableFuture<T> out =
        earlier.isEmpty()
            ? start(write)
            : CompletableFuture.allOf(earlier.toArray(new CompletableFuture<?>[0]))
                .thenComposeAsync(x -> startInTime(write, calledAt), next);
    return finishing(out, mine, release, mkeys.toArray(new String[0]));
  }

  /** {@code write} started; what it throws fails its future, so the key's next write still gets its turn. */
  private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> write) {
    try {
      return write.get();
    } catch (Throwable e) { // an Error or an undeclared checked exception too: the turn is handed on
      return CompletableFuture.failedFuture(e);
    }
  }

  /** {@link #start}, unless the write, called at {@code calledAt}, waited longer than the limit for its turn. */
  private <T> CompletableFuture<T> startInTime(Supplier<CompletableFuture<T>> write, long calledAt) {
    long waited = System.nanoTime() - calledAt;
    if (waited > waitLimitNanos) {
      return CompletableFuture.failedFuture(new CacheException(
          "a non-blocking write waited " + TimeUnit.NANOSECONDS.toMillis(waited) + " ms for the earlier writes of its key,"
              + " more than the cache's leaseTimeout (" + TimeUnit.NANOSECONDS.toMillis(waitLimitNanos)
              + " ms), and was not applied"));
    }
    return start(write);
  }

  /**
   * {@code out}, completed once it has let the next write of its keys start and released its
   * charge, whether it failed or not: when the caller hears of a write, its key's entry is gone or
   * belongs to a later write, and its bytes are no longer counted.
   */
  private <T> CompletableFuture<T> finishing(
      CompletableFuture<T> out, CompletableFuture<Void> mine, Runnable release, String... mkeys) {
    return out.whenComplete((v, e) -> {
      release.run();
      for (String mkey : mkeys) {
        tails.remove(mkey, mine);
      }
      mine.complete(null);
    });
  }

  /** How many keys have a write in flight (for tests: the map empties when writes finish). */
  int keysInFlight() {
    return tails.size();
  }
}
