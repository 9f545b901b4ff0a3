package io.github.newcache.internal.transport.discovery;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * How the followers of a server list stop: interrupt their one thread, then wait for it, bounded.
 * Their close() is what keeps a closed manager from leaving threads behind.
 */
final class Stopping {

  /**
   * How long close() waits for a follower's thread: past the close of a generation it was building
   * when interrupted (its connections drain for at most 250 ms), not for a DNS lookup that hangs
   * (nothing can stop one; the thread then ends with it, later).
   */
  static final long WAIT_MILLIS = 2000;

  private Stopping() {}

  /**
   * Interrupts {@code executor}'s threads and waits at most {@link #WAIT_MILLIS} for them to end,
   * keeping the caller's interrupt (which would otherwise end the wait at once). Returns at once
   * when called from {@code own}, the executor's thread, which ends once the caller returns.
   *
   * @return true when the threads ended
   */
  static boolean stop(ExecutorService executor, Thread own) {
    executor.shutdownNow();
    if (Thread.currentThread() == own) {
      return false;
    }
    boolean interrupted = Thread.interrupted();
    try {
      return executor.awaitTermination(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      interrupted = true;
      return false;
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
