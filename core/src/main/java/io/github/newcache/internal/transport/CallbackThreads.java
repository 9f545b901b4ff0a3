package io.github.newcache.internal.transport;

import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The callback threads of a client ({@link AsyncFlights}) or of the transport that follows its
 * servers ({@link FollowingTransport}): where completions of the futures handed out, and the
 * stages callers add to them, run; how a stage runs once they are stopped; and how they stop.
 */
final class CallbackThreads {

  /** Threads running completions: continuations of the futures handed out run there. */
  static final int CALLBACK_THREADS = 2;
  /** How long closing waits for the callback threads to run what they were handed. */
  static final long CLOSE_DRAIN_MILLIS = 200;

  private CallbackThreads() {}

  /** True on a callback thread (of any client). */
  static boolean isCurrent() {
    return Thread.currentThread() instanceof CallbackThread;
  }

  /** {@value #CALLBACK_THREADS} daemon threads named {@code newcache-callback-N}. */
  static ExecutorService pool() {
    AtomicInteger threads = new AtomicInteger();
    return Executors.newFixedThreadPool(CALLBACK_THREADS, r -> {
      Thread t = new CallbackThread(r, "newcache-callback-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** A thread of a {@link #pool}: closing from one does not wait for the pool to stop. */
  private static final class CallbackThread extends Thread {
    CallbackThread(Runnable r, String name) {
      super(r, name);
    }
  }

  /**
   * {@code pool}, or the calling thread once {@code pool} is shut down: a stage a caller added to a
   * future that completes after the manager closed (a loader's future that answers late) then
   * runs where it completes. Refused, it would fail without running, and a {@code handle} or
   * {@code whenComplete} that recovers or cleans up would be skipped. No thread of the client
   * completes a future after the close ({@link AsyncFlights#close} settles what is in flight first).
   */
  static Executor orInline(ExecutorService pool) {
    return r -> {
      try {
        pool.execute(r);
      } catch (RejectedExecutionException closed) {
        r.run();
      }
    };
  }

  /**
   * Stops a {@link #pool}: lets it run what it was handed, for at most {@value
   * #CLOSE_DRAIN_MILLIS} ms, then runs what it did not start in this thread; called from one of
   * its threads, it stops once it ran it all.
   */
  static void stop(ExecutorService pool) {
    pool.shutdown();
    if (Thread.currentThread() instanceof CallbackThread) {
      return;
    }
    boolean interrupted = false;
    try {
      if (pool.awaitTermination(CLOSE_DRAIN_MILLIS, TimeUnit.MILLISECONDS)) {
        return;
      }
    } catch (InterruptedException e) {
      interrupted = true;
    }
    for (Runnable left : pool.shutdownNow()) {
      try {
        left.run();
      } catch (RuntimeException ignored) {
        // a stage's own failure, as on a callback thread
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt();
    }
  }
}
