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
 * Value-carrying operations on every side: get of a present key, put, getAll of 100 keys (raw
 * clients: their multi-get) and putAll of 100 entries (raw clients: pipelined sets).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class CacheOpsBench {

  static final int KEYS = 1000;
  static final int BATCH = 100;

  /** The sides taking turns in this fork, in rotation order (see {@link Rotation}). */
  @Param({Sides.ALL})
  public String sides;

  @Param({"text", "binary"})
  public String protocol;

  @Param({"100", "10240"})
  public int valueSize;

  /**
   * memcached's {@code -R}: the most requests it serves of one connection before it turns to the
   * others and writes what it has (its default, 20, unless a stage says otherwise).
   */
  @Param({MemcachedServer.DEFAULT_REQUESTS_PER_EVENT})
  public String requestsPerEvent;

  Target target;
  byte[] value;
  String[] keys;
  List<Set<String>> batches;
  List<Map<String, byte[]>> entries;

  @Setup(Level.Trial)
  public void setUp() {
    value = Data.value(valueSize, 42);
    keys = Data.keys("key:", KEYS);
    batches = Data.batches(keys, BATCH);
    entries = new ArrayList<>();
    for (Set<String> b : batches) {
      entries.add(Data.entries(b, value));
    }
    target = Target.open(sides, protocol, MemcachedServer.requestsPerEvent(requestsPerEvent))
        .prepared(t -> Data.preload(t, batches, value));
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
    byte[] v = target.side.get(keys[c.next(KEYS)]);
    if (v == null) {
      throw new IllegalStateException("expected a hit");
    }
    return v;
  }

  @Benchmark
  public void put(Cursor c) {
    target.side.put(keys[c.next(KEYS)], value);
  }

  @Benchmark
  public Map<String, byte[]> getAll(Cursor c) {
    Set<String> batch = batches.get(c.next(batches.size()));
    Map<String, byte[]> found = target.side.getAll(batch);
    if (found.size() != batch.size()) {
      throw new IllegalStateException("expected " + batch.size() + " hits, got " + found.size());
    }
    return found;
  }

  @Benchmark
  public void putAll(Cursor c) {
    target.side.putAll(entries.get(c.next(entries.size())));
  }
}
