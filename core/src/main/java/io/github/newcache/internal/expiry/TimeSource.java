package io.github.newcache.internal.expiry;

/** Where a cache reads the time: the system clock in production, a settable one in tests. */
@FunctionalInterface
public interface TimeSource {

  /** The wall clock, in epoch milliseconds. */
  TimeSource SYSTEM = System::currentTimeMillis;

  /** The current time in epoch milliseconds. */
  long millis();

  /**
   * A monotonic time in nanoseconds for measuring durations (the near cache's staleness bound),
   * which a change of the wall clock never moves; only differences between two values mean anything.
   */
  default long nanos() {
    return System.nanoTime();
  }
}
