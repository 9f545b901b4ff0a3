package io.github.newcache.bench;

import java.util.List;
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

/** 500 KB values (512,000 incompressible bytes) on every side, none of them compressing. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LargeValueBench {

  static final int KEYS = 8;

  /** The sides taking turns in this fork, in rotation order (see {@link Rotation}). */
  @Param({Sides.ALL})
  public String sides;

  @Param({"text", "binary"})
  public String protocol;

  @Param({"512000"})
  public int valueSize;

  Target target;
  byte[] value;
  String[] keys;

  @Setup(Level.Trial)
  public void setUp() {
    value = Data.value(valueSize, 7);
    keys = Data.keys("large:", KEYS);
    List<Set<String>> all = Data.batches(keys, KEYS);
    target = Target.open(sides, protocol).prepared(t -> Data.preload(t, all, value));
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

    String key(String[] keys) {
      return keys[next++ % keys.length];
    }
  }

  @Benchmark
  public byte[] get(Cursor c) {
    byte[] v = target.side.get(c.key(keys));
    if (v == null || v.length != valueSize) {
      throw new IllegalStateException("expected a " + valueSize + "-byte hit");
    }
    return v;
  }

  @Benchmark
  public void put(Cursor c) {
    target.side.put(c.key(keys), value);
  }
}
