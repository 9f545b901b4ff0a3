package io.github.newcache.internal.near;

import io.github.newcache.NearCacheStatisticsMXBean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/** Counters of {@link NearCacheStatisticsMXBean}; always on, since each count is one adder increment. */
public final class NearStatistics implements NearCacheStatisticsMXBean {

  final LongAdder hits = new LongAdder();
  final LongAdder misses = new LongAdder();
  final LongAdder unchanged = new LongAdder();
  final LongAdder changed = new LongAdder();
  final LongAdder evictions = new LongAdder();
  final LongAdder waits = new LongAdder();
  final LongAdder ahead = new LongAdder();
  private final LongSupplier entries;
  private final Runnable maintenance;

  /** @param maintenance runs the near cache's pending maintenance, so that counts read are settled */
  NearStatistics(LongSupplier entries, Runnable maintenance) {
    this.entries = entries;
    this.maintenance = maintenance;
  }

  @Override
  public long getNearHits() {
    return hits.sum();
  }

  @Override
  public long getNearMisses() {
    return misses.sum();
  }

  @Override
  public long getRevalidationsUnchanged() {
    return unchanged.sum();
  }

  @Override
  public long getRevalidationsChanged() {
    return changed.sum();
  }

  @Override
  public long getNearEvictions() {
    maintenance.run();
    return evictions.sum();
  }

  @Override
  public long getRevalidationsAhead() {
    return ahead.sum();
  }

  @Override
  public long getSharedFetches() {
    return waits.sum();
  }

  @Override
  public long getNearEntries() {
    maintenance.run();
    return entries.getAsLong();
  }
}
