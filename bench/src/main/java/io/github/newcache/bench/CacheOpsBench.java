package io.github.newcache.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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
 * Value-carrying operations, raw spymemcached against our cache: get of a present key, put,
 * getAll of 100 keys (raw: getBulk) and putAll of 100 entries (raw: pipelined sets).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CacheOpsBench {

  static final int KEYS = 1000;
  static final int BATCH = 100;

  /** {@code raw}, {@code newcache}, or {@code abba} for both in one fork (see {@link Alternation}). */
  @Param({"raw", "newcache"})
  public String side;

  @Param({"text", "binary"})
  public String protocol;

  @Param({"100", "10240"})
  public int valueSize;

  Target target;
  byte[] value;
  String[] keys;
  List<Set<String>> batches;
  List<Map<String, byte[]>> entries;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    target = Target.open(side, protocol);
    value = Data.value(valueSize, 42);
    keys = Data.keys("key:", KEYS);
    batches = Data.batches(keys, BATCH);
    entries = new ArrayList<>();
    for (Set<String> b : batches) {
      entries.add(Data.entries(b, value));
    }
    Data.preload(target, batches, value);
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

  /** Each thread walks the key space from its own random start. */
  @State(Scope.Thread)
  public static class Cursor {
    int next = ThreadLocalRandom.current().nextInt(KEYS);

    int next(int bound) {
      int i = next++;
      if (next >= KEYS) {
        next = 0;
      }
      return i % bound;
    }
  }

  @Benchmark
  public byte[] getHit(Cursor c) {
    byte[] v = Data.get(target, keys[c.next(KEYS)]);
    if (v == null) {
      throw new IllegalStateException("expected a hit");
    }
    return v;
  }

  @Benchmark
  public void put(Cursor c) throws Exception {
    Data.put(target, keys[c.next(KEYS)], value);
  }

  @Benchmark
  public Map<String, byte[]> getAll(Cursor c) {
    Set<String> batch = batches.get(c.next(batches.size()));
    Map<String, byte[]> found = target.raw ? target.client.getBulk(batch, Target.BYTES) : target.cache.getAll(batch);
    if (found.size() != batch.size()) {
      throw new IllegalStateException("expected " + batch.size() + " hits, got " + found.size());
    }
    return found;
  }

  @Benchmark
  public void putAll(Cursor c) throws Exception {
    Map<String, byte[]> m = entries.get(c.next(entries.size()));
    if (target.raw) {
      Data.rawSetAll(target.client, m);
    } else {
      target.cache.putAll(m);
    }
  }
}
