package io.github.newcache.internal.near;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The near cache's fetches in flight, at most one per key: a reader of a key that another thread
 * is fetching (a miss, or a revalidation after δ) waits for that fetch instead of sending its own,
 * so a hot key costs one round trip per δ however many threads read it.
 *
 * <p>A local change of the key forgets its flight, so a reader that comes after the change never
 * waits for a fetch sent before it (which may answer the item the change replaced).
 *
 * <p>A fetch that failed because its own thread was interrupted fails that reader alone: the
 * readers waiting for it fetch again ({@link LeaderInterrupted}), as if they had come after it.
 * Under {@code failures=miss} that failure comes back as an empty answer with the thread's flag
 * set ({@link #absorbedInterrupt}), and is treated the same.
 */
final class Flights {

  private final ConcurrentHashMap<String, CompletableFuture<byte[]>> flights = new ConcurrentHashMap<>();

  /** The flight already under way for {@code key}, or null when {@code mine} is now the key's flight. */
  CompletableFuture<byte[]> join(String key, CompletableFuture<byte[]> mine) {
    return flights.putIfAbsent(key, mine);
  }

  /** {@code mine} has landed: later readers fetch anew. */
  void landed(String key, CompletableFuture<byte[]> mine) {
    flights.remove(key, mine);
  }

  /** The key changed here: readers from now on must not wait for a fetch sent before. */
  void forget(String key) {
    flights.remove(key);
  }

  void forgetAll() {
    flights.clear();
  }

  /**
   * What a fetch that failed with {@code e} in the calling thread hands to the readers waiting for
   * it: {@code e}, unless the failure was this thread's own interrupt (the client refuses to send
   * for an interrupted thread, or its wait for the answer ended): then {@link LeaderInterrupted},
   * on which they fetch for themselves.
   */
  static Throwable shared(Throwable e) {
    return Thread.currentThread().isInterrupted() || causedByInterrupt(e) ? new LeaderInterrupted(e) : e;
  }

  /**
   * Whether a fetch that answered {@code raw} in the calling thread may have failed on that
   * thread's interrupt instead: it answered nothing while the thread is interrupted. Under {@code
   * failures=miss} the policy answers a failed read with "no item", so an interrupted reader's
   * failure (the client sends nothing for an interrupted thread, and a wait for the answer ends on
   * the interrupt, leaving the flag set either way) reaches the near cache as a miss. An answer
   * that came before the interrupt and was empty is taken as doubtful too: its waiters fetch
   * again, which costs a round trip and is never wrong.
   */
  static boolean absorbedInterrupt(byte[] raw) {
    return raw == null && Thread.currentThread().isInterrupted();
  }

  private static boolean causedByInterrupt(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof InterruptedException) {
        return true;
      }
    }
    return false;
  }

  /**
   * A fetch failed because the thread that sent it was interrupted: that thread's failure, not its
   * waiters', who fetch again instead.
   */
  static final class LeaderInterrupted extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LeaderInterrupted(Throwable cause) {
      super("the reader whose fetch this was is interrupted", cause, false, false);
    }
  }

  /**
   * What another thread's fetch answered; its failure is thrown as it was thrown there ({@link
   * LeaderInterrupted} when it was that thread's interrupt).
   */
  static byte[] await(CompletableFuture<byte[]> flight) {
    try {
      return flight.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException) {
        throw (RuntimeException) e.getCause();
      }
      if (e.getCause() instanceof Error) {
        throw (Error) e.getCause();
      }
      throw e;
    }
  }
}
