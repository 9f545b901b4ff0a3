package io.github.newcache.internal.management;

import java.util.concurrent.atomic.LongAdder;
import javax.cache.management.CacheStatisticsMXBean;

/**
 * A cache's statistics, kept in this JVM: what this JVM's operations did. Counters are cheap
 * {@link LongAdder}s and do nothing while statistics are disabled.
 */
public final class CacheStatistics implements CacheStatisticsMXBean {

  private volatile boolean enabled;
  private final LongAdder hits = new LongAdder();
  private final LongAdder misses = new LongAdder();
  private final LongAdder puts = new LongAdder();
  private final LongAdder removals = new LongAdder();
  private final LongAdder evictions = new LongAdder();
  private final LongAdder getNanos = new LongAdder();
  private final LongAdder putNanos = new LongAdder();
  private final LongAdder removeNanos = new LongAdder();

  public CacheStatistics(boolean enabled) {
    this.enabled = enabled;
  }

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  /** {@code System.nanoTime()} when enabled, else 0, so disabled statistics cost no clock read. */
  public long start() {
    return enabled ? System.nanoTime() : 0;
  }

  public void hits(long n) {
    if (enabled && n > 0) {
      hits.add(n);
    }
  }

  public void misses(long n) {
    if (enabled && n > 0) {
      misses.add(n);
    }
  }

  public void puts(long n) {
    if (enabled && n > 0) {
      puts.add(n);
    }
  }

  public void removals(long n) {
    if (enabled && n > 0) {
      removals.add(n);
    }
  }

  public void getTime(long start) {
    if (enabled) {
      getNanos.add(System.nanoTime() - start);
    }
  }

  public void putTime(long start) {
    if (enabled) {
      putNanos.add(System.nanoTime() - start);
    }
  }

  public void removeTime(long start) {
    if (enabled) {
      removeNanos.add(System.nanoTime() - start);
    }
  }

  @Override
  public void clear() {
    for (LongAdder a : new LongAdder[] {hits, misses, puts, removals, evictions, getNanos, putNanos, removeNanos}) {
      a.reset();
    }
  }

  @Override
  public long getCacheHits() {
    return hits.sum();
  }

  @Override
  public float getCacheHitPercentage() {
    long h = getCacheHits();
    long total = h + getCacheMisses();
    return total == 0 ? 0 : h * 100f / total;
  }

  @Override
  public long getCacheMisses() {
    return misses.sum();
  }

  @Override
  public float getCacheMissPercentage() {
    long m = getCacheMisses();
    long total = m + getCacheHits();
    return total == 0 ? 0 : m * 100f / total;
  }

  @Override
  public long getCacheGets() {
    return getCacheHits() + getCacheMisses();
  }

  @Override
  public long getCachePuts() {
    return puts.sum();
  }

  @Override
  public long getCacheRemovals() {
    return removals.sum();
  }

  @Override
  public long getCacheEvictions() {
    return evictions.sum();
  }

  @Override
  public float getAverageGetTime() {
    return average(getNanos.sum(), getCacheGets());
  }

  @Override
  public float getAveragePutTime() {
    return average(putNanos.sum(), getCachePuts());
  }

  @Override
  public float getAverageRemoveTime() {
    return average(removeNanos.sum(), getCacheRemovals());
  }

  /** Microseconds per operation, as the spec's MXBean reports. */
  private static float average(long nanos, long count) {
    return count == 0 ? 0 : nanos / 1000f / count;
  }
}
