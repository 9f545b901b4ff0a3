package io.github.newcache.testing;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Looks at the JVM's live threads. */
public final class Threads {

  private Threads() {}

  /** Live threads whose name contains {@code part}. */
  public static List<Thread> named(String part) {
    List<Thread> found = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().contains(part)) {
        found.add(t);
      }
    }
    return found;
  }

  /**
   * Waits, at most {@code timeout}, until no live thread whose name contains {@code part} exists
   * besides those in {@code before}; returns the ones left (empty on success).
   */
  public static List<Thread> awaitGone(String part, Set<Thread> before, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      List<Thread> left = named(part);
      left.removeAll(before);
      if (left.isEmpty() || System.nanoTime() > deadline) {
        return left;
      }
      // A thread's end has no event to wait on from outside but join: join the first one left.
      left.get(0).join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
    }
  }

  /**
   * Waits, at most {@code timeout}, until {@code thread} has ended or waits (parked, sleeping,
   * blocked on a monitor): a thread the test expects to wait for something it holds back.
   */
  public static void awaitWaitingOrEnded(Thread thread, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      switch (thread.getState()) {
        case WAITING, TIMED_WAITING, BLOCKED, TERMINATED -> {
          return;
        }
        default -> thread.join(1); // ends early if the thread does
      }
    }
    throw new IllegalStateException(thread.getName() + " neither waits nor has ended: " + thread.getState());
  }

  /**
   * Waits, at most 10 s, for {@code latch} to open, from a thread the test started (a loader, a
   * fetch held until the test lets it go): unchecked, so it fits a lambda.
   */
  public static void awaitReleased(CountDownLatch latch) {
    try {
      if (!latch.await(10, TimeUnit.SECONDS)) {
        throw new IllegalStateException("not released");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
