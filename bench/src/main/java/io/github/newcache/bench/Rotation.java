package io.github.newcache.bench;

import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

/**
 * The order in which one fork's sides take turns, one iteration each.
 *
 * <p>Machine speed drifts by 20–40% over tens of seconds here, so sides measured at different
 * times cannot be compared; sides taking turns within one JVM can. Warmup iterations go round
 * robin (A B C D A B C D …) so every side is compiled and warm before measuring. Measurement runs
 * in palindromic blocks of two turns per side, A B C D D C B A: within a block every side's mean
 * position is the same, so a drift that is linear over the block cancels out of every ratio
 * (with two sides this is the A/B/B/A order of earlier runs). Each block also gives one ratio
 * per pair of sides, whose spread over the blocks shows how noisy the machine was.
 */
final class Rotation {

  private int warmup;
  private int measurement;

  /** Iterations per block of {@code sides} sides. */
  static int blockLength(int sides) {
    return 2 * sides;
  }

  /** The side (index into the fork's side list) measured in measurement iteration {@code i}. */
  static int sideAt(int i, int sides) {
    int m = i % blockLength(sides);
    return m < sides ? m : blockLength(sides) - 1 - m;
  }

  /** The side warmed up in warmup iteration {@code i}. */
  static int warmupSideAt(int i, int sides) {
    return i % sides;
  }

  /** Points {@code target} at the side for the iteration about to start. */
  void next(Target target, IterationParams params) {
    int n = target.size();
    if (params.getType() == IterationType.WARMUP) {
      target.use(warmupSideAt(warmup++, n));
    } else {
      target.use(sideAt(measurement++, n));
    }
  }
}
