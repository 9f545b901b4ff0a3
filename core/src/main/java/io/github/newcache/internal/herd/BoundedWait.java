package io.github.newcache.internal.herd;

import java.util.concurrent.TimeUnit;

/**
 * One caller's wait for others on one key, bounded by a deadline that all its waits for that key
 * share (this JVM's turn, then the fleet's lease, then the key's turn for events) and, in a batch,
 * the other keys' waits too. Past the deadline the caller goes on without what it still lacks, and
 * that counts as one lease timeout, however many of those waits it cut short. Before, a key that
 * another thread of this JVM and another client both held counted two (the turn's timeout, then
 * the lease's), and a write-through write or an entry processor with a listener waited the lease
 * timeout for its hold, then again for its turn for events. Used by one thread at a time.
 */
public final class BoundedWait {

  /** No wait before: a wait that takes it ({@link #deadline}) starts its own lease timeout. */
  public static final BoundedWait NONE = new BoundedWait(0, null);

  private final long deadline;
  private final HerdStatistics stats;
  private boolean timedOut;
  /** When the wait was cut short ({@link #cutShort}), a {@link System#nanoTime} value; meaningful once {@link #cut}. */
  private long cutAt;
  private boolean cut;

  /** A wait until {@code deadline}, a {@link System#nanoTime} value. */
  BoundedWait(long deadline, HerdStatistics stats) {
    this.deadline = deadline;
    this.stats = stats;
  }

  /** A wait that starts now and lasts {@code leaseMillis}. */
  static BoundedWait fromNow(long leaseMillis, HerdStatistics stats) {
    return new BoundedWait(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis), stats);
  }

  /**
   * The deadline of the caller's waits (a {@link System#nanoTime} value), for a later wait of the
   * same caller on the key to share; {@code otherwise} for {@link #NONE}. Passed already once the
   * wait was cut short.
   */
  public long deadline(long otherwise) {
    if (this == NONE) {
      return otherwise;
    }
    return cut ? cutAt : deadline;
  }

  /** Nanoseconds left before the deadline; zero or less once it has passed or the wait was cut short. */
  long nanosLeft() {
    return cut ? 0 : deadline - System.nanoTime();
  }

  /** True once the deadline has passed. */
  boolean over() {
    return nanosLeft() <= 0;
  }

  /** The caller goes on without what it waited for: one lease timeout, counted once per wait. */
  void timedOut() {
    if (!timedOut && stats != null) {
      timedOut = true;
      stats.leaseTimeouts.increment();
    }
  }

  /**
   * Ends the wait now: the caller would close a cycle of threads of this JVM waiting for each other
   * ({@link WaitsFor}), so it goes on at once without what it still lacks, and without waiting in
   * its later waits on the key. Not a lease timeout: nothing more is counted for it.
   */
  void cutShort() {
    cutAt = System.nanoTime();
    cut = true;
    timedOut = true;
  }
}
