package io.github.newcache.bench;

import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The A/B/B/A schedule used when {@code side=abba}: one fork holds both the raw client and our
 * cache over the same memcached, and the side switches between iterations, so both see the same
 * JIT state and the same background load. Warmup iterations alternate raw, ours; measurement
 * iterations run raw, ours, ours, raw, raw, ours, ours, raw, ... Iteration {@code i} (from 0) of
 * the measurement is raw exactly when {@link #rawAt(int)}.
 */
final class Alternation {

  static final String SIDE = "abba";

  private int warmup;
  private int measurement;

  private Alternation() {}

  static Alternation start() {
    return new Alternation();
  }

  static boolean rawAt(int measurementIndex) {
    int m = measurementIndex % 4;
    return m == 0 || m == 3;
  }

  /** Points {@code target} at the side for the iteration about to start (no-op for a single side). */
  void next(Target target, IterationParams params) {
    if (!target.both()) {
      return;
    }
    if (params.getType() == IterationType.WARMUP) {
      target.raw = warmup++ % 2 == 0;
    } else {
      target.raw = rawAt(measurement++);
    }
  }
}
