package io.github.newcache.bench;

import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
 * Operations whose cost does not depend on the value size: get of an absent key, an entry processor
 * incrementing a counter (raw: gets + cas loop) and removeAll of 100 present keys (raw: pipelined
 * deletes). By default ours against raw spymemcached; the report runs getMiss with every side
 * ({@code sides=}{@value Sides#ALL}), invoke and removeAll exist only for these two.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KeyOpsBench {

  static final int KEYS = 1000;
  static final int BATCH = 100;
  static final int VALUE_SIZE = 100;

  /** The sides taking turns in this fork, in rotation order (see {@link Rotation}). */
  @Param({Sides.OURS_VS_RAW})
  public String sides;

  @Param({"text", "binary"})
  public String protocol;

  Target target;
  byte[] value;
  String[] missing;
  List<Set<String>> batches;
  final AtomicInteger threads = new AtomicInteger();

  @Setup(Level.Trial)
  public void setUp() {
    target = Target.open(sides, protocol);
    value = Data.value(VALUE_SIZE, 42);
    missing = Data.keys("absent:", KEYS);
    batches = Data.batches(Data.keys("gone:", KEYS), BATCH);
  }

  final Rotation rotation = new Rotation();

  @Setup(Level.Iteration)
  public void side(IterationParams params) {
    rotation.next(target, params);
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    target.close();
  }

  @State(Scope.Thread)
  public static class Cursor {
    int next = ThreadLocalRandom.current().nextInt(KEYS);
    String counter;

    @Setup(Level.Trial)
    public void setUp(KeyOpsBench b) {
      counter = "counter:" + b.threads.getAndIncrement();
    }

    int next(int bound) {
      int i = next++;
      if (next >= KEYS) {
        next = 0;
      }
      return i % bound;
    }
  }

  /** Before each removeAll call, stores the 100 entries it will remove (not timed). */
  @State(Scope.Thread)
  public static class Refill {
    Set<String> batch;
    int next;

    @Setup(Level.Invocation)
    public void refill(KeyOpsBench b) {
      batch = b.batches.get(next++ % b.batches.size());
      b.target.side.putAll(Data.entries(batch, b.value));
    }
  }

  @Benchmark
  public byte[] getMiss(Cursor c) {
    byte[] v = target.side.get(missing[c.next(KEYS)]);
    if (v != null) {
      throw new IllegalStateException("expected a miss");
    }
    return v;
  }

  @Benchmark
  public long invoke(Cursor c) {
    return target.side.increment(c.counter);
  }

  @Benchmark
  public int removeAll(Refill r) {
    target.side.removeAll(r.batch);
    return r.batch.size();
  }
}
