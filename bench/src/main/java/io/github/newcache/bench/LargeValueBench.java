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

/** 500 KB values (512,000 incompressible bytes): raw spymemcached without compression against ours. */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class LargeValueBench {

  static final int KEYS = 8;

  /** {@code raw}, {@code newcache}, or {@code abba} for both in one fork (see {@link Alternation}). */
  @Param({"raw", "newcache"})
  public String side;

  @Param({"text", "binary"})
  public String protocol;

  @Param({"512000"})
  public int valueSize;

  Target target;
  byte[] value;
  String[] keys;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    target = Target.open(side, protocol);
    value = Data.value(valueSize, 7);
    keys = Data.keys("large:", KEYS);
    List<Set<String>> all = Data.batches(keys, KEYS);
    Data.preload(target, all, value);
  }

  final Alternation alternation = Alternation.start();

  @Setup(Level.Iteration)
  public void side(IterationParams params) {
    alternation.next(target, params);
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
    byte[] v = Data.get(target, c.key(keys));
    if (v == null || v.length != valueSize) {
      throw new IllegalStateException("expected a " + valueSize + "-byte hit");
    }
    return v;
  }

  @Benchmark
  public void put(Cursor c) throws Exception {
    Data.put(target, c.key(keys), value);
  }
}
