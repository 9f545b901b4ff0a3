package io.github.newcache.internal.transport;

import java.util.function.Consumer;
import javax.cache.CacheException;

/**
 * Work that goes on from a non-blocking operation on the callback threads (decoding an answer that
 * is too slow for the IO thread, or sending an operation called on the IO thread) while the
 * operation's deadline stays armed: it runs on a callback thread, or, when none has started it by
 * the operation's deadline, {@code fail} gets a {@link CacheException} instead, from the thread of
 * {@link Deadlines}. Exactly one of the two runs.
 *
 * <p>Why: the callback threads also run the stages callers add to the manager's futures, and a stage
 * that blocks waiting for one of those futures holds its thread. With every callback thread so held,
 * work handed to them never starts; without a deadline, a future waiting for it (the very one those
 * stages wait for) would stay pending for ever, and so would every other read handed to them.
 *
 * <p>The deadline counts from when the operation was sent ({@link Deadlines.Deadline#Deadline(long)}),
 * moved out by the client's pauses as the operation's own.
 */
final class Relay extends Deadlines.Deadline implements Runnable {

  /** The deadline {@code d} waits for now that its first one passed; 0 when it is due. */
  @FunctionalInterface
  interface Due {
    long later(Deadlines.Deadline d, long now);
  }

  private final String what;
  private final long timeoutMillis;
  private final Due due;
  /** Both let go of once it is settled: a settled deadline may wait in the queue. */
  private Runnable work;
  private Consumer<? super CacheException> fail;

  /**
   * @param start when the operation was sent ({@link System#nanoTime})
   * @param what the work, for the message: "the answer of memcached get of k"
   * @param timeoutMillis the operation timeout, for the message
   * @param due the deadline's extension by the client's pauses
   * @param work what runs on a callback thread; must not throw
   * @param fail takes the failure when no callback thread started {@code work} in time; must not throw
   */
  Relay(long start, String what, long timeoutMillis, Due due, Runnable work, Consumer<? super CacheException> fail) {
    super(start);
    this.what = what;
    this.timeoutMillis = timeoutMillis;
    this.due = due;
    this.work = work;
    this.fail = fail;
  }

  /** Runs the work, unless the deadline failed it first. */
  @Override
  public void run() {
    if (settle()) {
      Runnable w = work;
      letGo();
      quietly(w);
    }
  }

  @Override
  long expire(long now) {
    long later = due.later(this, now);
    if (later == 0 && settle()) {
      Consumer<? super CacheException> f = fail;
      letGo();
      quietly(() -> f.accept(starved()));
    }
    return later;
  }

  /** The manager closed before a callback thread took it: it runs here (the close runs what was handed off). */
  @Override
  void closed() {
    run();
  }

  /** The failure of work that no callback thread started within the operation timeout. */
  CacheException starved() {
    return new CacheException(what + " waited more than the operation timeout (" + timeoutMillis + " ms) for one of the"
        + " manager's callback threads (newcache-callback-*), all busy: stages added to the manager's futures were"
        + " holding them, most likely blocked waiting for its futures (get() or join() in a stage). Hand blocking work"
        + " in stages to your own executor (thenApplyAsync(fn, executor)).");
  }

  private void letGo() {
    work = null;
    fail = null;
  }

  /** Runs {@code r}; what it throws stays here, as a stage's does, rather than reaching the thread's loop. */
  private static void quietly(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException ignored) {
      // the work's own failure, as on a callback thread
    }
  }
}
