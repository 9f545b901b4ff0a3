package io.github.newcache.bench;

import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;

/**
 * The near cache against our plain cache: keys drawn from a Zipf distribution (s = {@value #S})
 * over {@value #KEYS} keys, 100-byte values, a share of the calls ({@code writePercent}) puts
 * instead of gets. Both sides are ours over the same memcached, taking turns in one fork: {@code
 * ours} without and {@code near} with a near cache ({@link OursNearSide}).
 *
 * <p>The draws are made once, before measuring: one sequence of {@value #DRAWS} key indexes (a
 * write stored as a negative index) that every thread walks from its own random start, so the
 * measured loop costs an array read besides the call.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class NearCacheBench {

  static final int KEYS = 10_000;
  static final double S = 0.99;
  static final int DRAWS = 1 << 20;
  static final int VALUE_SIZE = 100;

  /** The sides taking turns in this fork, in rotation order (see {@link Rotation}). */
  @Param({Sides.NEAR})
  public String sides;

  @Param({"binary"})
  public String protocol;

  /** Calls that are puts, in percent. */
  @Param({"0", "10"})
  public int writePercent;

  Target target;
  byte[] value;
  String[] keys;
  List<Set<String>> batches;
  int[] draws;

  @Setup(Level.Trial)
  public void setUp() {
    value = Data.value(VALUE_SIZE, 42);
    keys = Data.keys("key:", KEYS);
    draws = draws(new Random(7), writePercent);
    batches = Data.batches(keys, 100);
    target = Target.open(sides, protocol).prepared(t -> Data.preload(t, batches, value));
  }

  /** {@value #DRAWS} Zipf-distributed key indexes; a write is stored as {@code -(index + 1)}. */
  static int[] draws(Random random, int writePercent) {
    double[] cdf = new double[KEYS];
    double sum = 0;
    for (int rank = 1; rank <= KEYS; rank++) {
      sum += 1 / Math.pow(rank, S);
      cdf[rank - 1] = sum;
    }
    int[] out = new int[DRAWS];
    for (int i = 0; i < DRAWS; i++) {
      int found = Arrays.binarySearch(cdf, random.nextDouble() * sum);
      int index = Math.min(KEYS - 1, found >= 0 ? found : -found - 1);
      out[i] = random.nextInt(100) < writePercent ? -(index + 1) : index;
    }
    return out;
  }

  final Rotation rotation = new Rotation();

  /**
   * Switches the side, then has it read every key once, untimed. Sides take turns of one
   * iteration, so when the near side's turn comes its entries have not been read for at least one
   * other side's turn, longer than the staleness bound: without this pass the first read of every
   * key in each turn would revalidate, a cost of taking turns that a service reading all the time
   * never pays. Keys read less often than once per bound still revalidate on read in the timed
   * part. The plain side does the same pass, which changes nothing for it. The pass's CPU time is
   * left out of the CPU per call (its allocation is not: JMH's GC profiler counts it).
   */
  @Setup(Level.Iteration)
  public void side(IterationParams params) {
    rotation.next(target, params);
    CpuProfiler.excluding(() -> {
      for (Set<String> batch : batches) {
        target.side.getAll(batch);
      }
    });
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    target.close();
  }

  /** Each thread walks the draws from its own random start. */
  @State(Scope.Thread)
  public static class Cursor {
    int next = ThreadLocalRandom.current().nextInt(DRAWS);

    int next(int[] draws) {
      int d = draws[next];
      next = (next + 1) & (DRAWS - 1);
      return d;
    }
  }

  /**
   * A get of one of the 100 hottest keys: for the near side a near hit, except the one read per key
   * and staleness bound (1 s) that revalidates it. The latency case measures this.
   */
  @Benchmark
  public byte[] hotGet(Cursor c) {
    int d = c.next(draws);
    byte[] v = target.side.get(keys[(d < 0 ? -d - 1 : d) % 100]);
    if (v == null) {
      throw new IllegalStateException("expected a hit");
    }
    return v;
  }

  /** A get, or a put where the draw says so, of a Zipf-distributed key. */
  @Benchmark
  public byte[] zipf(Cursor c) {
    int d = c.next(draws);
    if (d < 0) {
      target.side.put(keys[-d - 1], value);
      return value;
    }
    byte[] v = target.side.get(keys[d]);
    if (v == null) {
      throw new IllegalStateException("expected a hit for " + keys[d]);
    }
    return v;
  }
}
