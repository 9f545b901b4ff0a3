package io.github.newcache.internal.herd;

import java.util.concurrent.TimeUnit;

/**
 * One caller's wait for others on one key, bounded by a deadline that all its waits for that key
 * share (this JVM's turn, then the fleet's lease) and, in a batch, the other keys' waits too. Past
 * the deadline the caller goes on without what it still lacks, and that counts as one lease
 * timeout, however many of those waits it cut short. Before, a key that another thread of this JVM
 * and another client both held counted two (the turn's timeout, then the lease's). Used by one
 * thread at a time.
 */
final class BoundedWait {

  private final long deadline;
  private final HerdStatistics stats;
  private boolean timedOut;

  /** A wait until {@code deadline}, a {@link System#nanoTime} value. */
  BoundedWait(long deadline, HerdStatistics stats) {
    this.deadline = deadline;
    this.stats = stats;
  }

  /** A wait that starts now and lasts {@code leaseMillis}. */
  static BoundedWait fromNow(long leaseMillis, HerdStatistics stats) {
    return new BoundedWait(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis), stats);
  }

  /** Nanoseconds left before the deadline; zero or less once it has passed. */
  long nanosLeft() {
    return deadline - System.nanoTime();
  }

  /** True once the deadline has passed. */
  boolean over() {
    return nanosLeft() <= 0;
  }

  /** The caller goes on without what it waited for: one lease timeout, counted once per wait. */
  void timedOut() {
    if (!timedOut) {
      timedOut = true;
      stats.leaseTimeouts.increment();
    }
  }
}
