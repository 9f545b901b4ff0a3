package io.github.newcache.internal.management;

import io.github.newcache.FailureStatisticsMXBean;
import io.github.newcache.internal.transport.FailureListener;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counts what one cache absorbed or refused, always on (the counters move only on failure paths),
 * and logs each kind at most once per {@link #LOG_INTERVAL_NANOS} with the number suppressed in
 * between, so a dead server or a flood of planted entries cannot flood the log. Messages never
 * hold values or secrets.
 */
public final class FailureStatistics implements FailureStatisticsMXBean, FailureListener {

  static final long LOG_INTERVAL_NANOS = 10_000_000_000L;
  private static final System.Logger LOG = System.getLogger("io.github.newcache.failures");

  private final String cacheName;
  private final Counter absorbed = new Counter("absorbed a memcached failure (failures=miss)");
  private final Counter rejected = new Counter("refused a stored entry it would not deserialize");
  private final Counter unsigned = new Counter("refused a stored entry without a valid signature");
  private volatile Consumer<String> skippedKeys = key -> {};

  public FailureStatistics(String cacheName) {
    this.cacheName = cacheName;
  }

  @Override
  public void absorbed(String what) {
    absorbed.add(what);
  }

  /** The deserialization filter refused an entry. */
  public void rejected(String what) {
    rejected.add(what);
  }

  @Override
  public void unsigned(String what) {
    unsigned.add(what);
  }

  /** Where the keys of skipped writes go: the cache's near cache drops them. Set once, before use. */
  public void onSkipped(Consumer<String> forget) {
    skippedKeys = forget;
  }

  @Override
  public void skipped(String key) {
    skippedKeys.accept(key);
  }

  @Override
  public long getAbsorbedFailures() {
    return absorbed.count.sum();
  }

  @Override
  public long getRejectedEntries() {
    return rejected.count.sum();
  }

  @Override
  public long getUnsignedEntries() {
    return unsigned.count.sum();
  }

  private final class Counter {
    final String label;
    final LongAdder count = new LongAdder();
    final AtomicLong lastLog = new AtomicLong(System.nanoTime() - LOG_INTERVAL_NANOS);
    final AtomicLong suppressed = new AtomicLong();

    Counter(String label) {
      this.label = label;
    }

    void add(String what) {
      count.increment();
      long now = System.nanoTime();
      long last = lastLog.get();
      if (now - last < LOG_INTERVAL_NANOS || !lastLog.compareAndSet(last, now)) {
        suppressed.incrementAndGet();
        return;
      }
      long more = suppressed.getAndSet(0);
      if (LOG.isLoggable(System.Logger.Level.WARNING)) {
        LOG.log(
            System.Logger.Level.WARNING,
            "cache " + cacheName + " " + label + ": " + what
                + (more > 0 ? " (and " + more + " more since the last report)" : ""));
      }
    }
  }
}
