package io.github.newcache.internal.herd;

import io.github.newcache.HerdStatisticsMXBean;
import java.util.concurrent.atomic.LongAdder;

/** Counters of {@link HerdStatisticsMXBean}; always on, since each count is one adder increment. */
public final class HerdStatistics implements HerdStatisticsMXBean {

  final LongAdder leaderLoads = new LongAdder();
  final LongAdder loadsSaved = new LongAdder();
  final LongAdder leaseTimeouts = new LongAdder();
  final LongAdder staleReads = new LongAdder();
  final LongAdder refreshes = new LongAdder();

  @Override
  public long getLeaderLoads() {
    return leaderLoads.sum();
  }

  @Override
  public long getLoadsSaved() {
    return loadsSaved.sum();
  }

  @Override
  public long getLeaseTimeouts() {
    return leaseTimeouts.sum();
  }

  @Override
  public long getStaleReads() {
    return staleReads.sum();
  }

  @Override
  public long getRefreshes() {
    return refreshes.sum();
  }
}
