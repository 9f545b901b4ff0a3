package io.github.newcache.bench;

/**
 * How long the report measures, from system properties.
 *
 * <ul>
 *   <li>Full run (default): 1 s iterations; warmup 3 rounds (each side 3 s, round robin: the
 *       clients are compiled by then, Redisson being the slowest to warm up); measurement 2
 *       rotation blocks (each side twice per block: 4 s per side).
 *   <li>{@code -Dbench.quick=true}: 200 ms iterations, 1 warmup round, 1 block. A smoke test that
 *       every side works and the report renders; the numbers mean nothing.
 *   <li>{@code -Dbench.blocks=N}, {@code -Dbench.iterationMillis=M}: override either.
 * </ul>
 *
 * @param iterationMillis length of one JMH iteration, warmup and measurement alike
 * @param warmupRounds warmup iterations per side
 * @param blocks measurement blocks of the rotation ({@link Rotation#blockLength} iterations each)
 */
record Settings(boolean quick, long iterationMillis, int warmupRounds, int blocks) {

  /** JVM start, server start and preload of one fork, for time estimates only. */
  static final long FORK_OVERHEAD_MILLIS = 5_000;

  static Settings fromSystemProperties() {
    boolean quick = Boolean.getBoolean("bench.quick");
    long iteration = Long.getLong("bench.iterationMillis", quick ? 200 : 1000);
    int blocks = Integer.getInteger("bench.blocks", quick ? 1 : 2);
    return new Settings(quick, iteration, quick ? 1 : 3, blocks);
  }

  int warmupIterations(int sides) {
    return warmupRounds * sides;
  }

  int measurementIterations(int sides) {
    return blocks * Rotation.blockLength(sides);
  }

  /** Rough length of one case with {@code sides} sides, including the fork's start. */
  long estimateMillis(int sides) {
    return (warmupIterations(sides) + measurementIterations(sides)) * iterationMillis + FORK_OVERHEAD_MILLIS;
  }

  /** Plain JMH stages: warmup and measurement iterations per benchmark. */
  int plainWarmupIterations() {
    return quick ? 1 : 2;
  }

  int plainMeasurementIterations() {
    return quick ? 2 : 3;
  }

  /** Rough length of a plain stage of {@code benchmarks} benchmarks (one fork each). */
  long estimatePlainMillis(int benchmarks) {
    return benchmarks * ((plainWarmupIterations() + plainMeasurementIterations()) * iterationMillis + FORK_OVERHEAD_MILLIS / 2);
  }
}
