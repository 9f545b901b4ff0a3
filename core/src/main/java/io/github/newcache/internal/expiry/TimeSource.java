package io.github.newcache.internal.expiry;

/** Where a cache reads the time: the system clock in production, a settable one in tests. */
@FunctionalInterface
public interface TimeSource {

  /** The wall clock, in epoch milliseconds. */
  TimeSource SYSTEM = System::currentTimeMillis;

  /** The current time in epoch milliseconds. */
  long millis();
}
