package io.github.newcache.testing;

import io.github.newcache.internal.expiry.TimeSource;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/** A clock that moves only when the test moves it. */
public final class ManualClock implements TimeSource, LongSupplier {

  private final AtomicLong millis = new AtomicLong(1_800_000_000_000L);

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public long getAsLong() {
    return millis.get();
  }

  /** The same clock in nanoseconds: durations move only when the test moves the clock. */
  @Override
  public long nanos() {
    return millis.get() * 1_000_000;
  }

  public void advance(long byMillis) {
    millis.addAndGet(byMillis);
  }
}
