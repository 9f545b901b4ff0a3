package io.github.newcache;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

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
 * it costs a map insertion and removal and one future, no round trip; only a write behind an
 * unfinished one waits, and without a thread. The alternatives cost more: a lock or semaphore per
 * key blocks a thread while it waits; one chain for all keys would put every write behind every
 * other; and handing a key's writes to one thread orders their first commands but not the steps
 * that follow memcached's answers (the add or cas, the listener step).
 *
 * <p>Only writes are ordered: a read called after a write but before its future completes may
 * see the entry as it was. A synchronous listener must not wait for a later non-blocking write of
 * the key it is being told about: that write starts once the listener returns.
 */
final class WriteOrder {

  private final ConcurrentHashMap<String, CompletableFuture<Void>> tails = new ConcurrentHashMap<>();
  /** Where a write that waited for an earlier one starts. */
  private final Executor next;

  WriteOrder(Executor next) {
    this.next = next;
  }

  /** Runs {@code write}, of the memcached key {@code mkey}, once the key's earlier writes are done. */
  <T> CompletableFuture<T> run(String mkey, Supplier<CompletableFuture<T>> write) {
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> earlier = tails.put(mkey, mine);
    CompletableFuture<T> out = earlier == null ? start(write) : earlier.thenComposeAsync(x -> start(write), next);
    return finishing(out, mine, mkey);
  }

  /**
   * {@link #run} of a write of several keys (a write-through putAll): it starts once the earlier
   * writes of all of them are done. Such writes take their places under a lock, so two of them
   * never each wait for the other (one of a, b and one of b, a).
   */
  <T> CompletableFuture<T> runAll(List<String> mkeys, Supplier<CompletableFuture<T>> write) {
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
            : CompletableFuture.allOf(earlier.toArray(new CompletableFuture<?>[0])).thenComposeAsync(x -> start(write), next);
    return finishing(out, mine, mkeys.toArray(new String[0]));
  }

  /** {@code write} started; what it throws fails its future, so the key's next write still gets its turn. */
  private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> write) {
    try {
      return write.get();
    } catch (RuntimeException | Error e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * {@code out}, completed once it has let the next write of its keys start, whether it failed or
   * not: when the caller hears of a write, its key's entry is gone or belongs to a later write.
   */
  private <T> CompletableFuture<T> finishing(CompletableFuture<T> out, CompletableFuture<Void> mine, String... mkeys) {
    return out.whenComplete((v, e) -> {
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
