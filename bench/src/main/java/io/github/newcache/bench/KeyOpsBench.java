package io.github.newcache.bench;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.MutableEntry;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
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
 * deletes).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class KeyOpsBench {

  static final int KEYS = 1000;
  static final int BATCH = 100;
  static final int VALUE_SIZE = 100;
  static final int MAX_CAS_ATTEMPTS = 1000;

  /** {@code raw}, {@code newcache}, or {@code abba} for both in one fork (see {@link Alternation}). */
  @Param({"raw", "newcache"})
  public String side;

  @Param({"text", "binary"})
  public String protocol;

  Target target;
  byte[] value;
  String[] missing;
  List<Set<String>> batches;
  final AtomicInteger threads = new AtomicInteger();

  @Setup(Level.Trial)
  public void setUp() {
    target = Target.open(side, protocol);
    value = Data.value(VALUE_SIZE, 42);
    missing = Data.keys("absent:", KEYS);
    batches = Data.batches(Data.keys("gone:", KEYS), BATCH);
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
    public void refill(KeyOpsBench b) throws Exception {
      batch = b.batches.get(next++ % b.batches.size());
      if (b.target.raw) {
        Data.rawSetAll(b.target.client, Data.entries(batch, b.value));
      } else {
        b.target.cache.putAll(Data.entries(batch, b.value));
      }
    }
  }

  @Benchmark
  public byte[] getMiss(Cursor c) {
    byte[] v = Data.get(target, missing[c.next(KEYS)]);
    if (v != null) {
      throw new IllegalStateException("expected a miss");
    }
    return v;
  }

  @Benchmark
  public long invoke(Cursor c) throws Exception {
    if (!target.raw) {
      return target.cache.invoke(c.counter, INCREMENT);
    }
    for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      CASValue<byte[]> cur = target.client.gets(c.counter, Target.BYTES);
      if (cur == null) {
        if (target.client.add(c.counter, 0, counter(1), Target.BYTES).get(Target.OP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
          return 1;
        }
        continue;
      }
      long next = ByteBuffer.wrap(cur.getValue()).getLong() + 1;
      if (target.client.cas(c.counter, cur.getCas(), counter(next), Target.BYTES) == CASResponse.OK) {
        return next;
      }
    }
    throw new IllegalStateException("counter contended " + MAX_CAS_ATTEMPTS + " times");
  }

  @Benchmark
  public int removeAll(Refill r) throws Exception {
    if (target.raw) {
      return Data.rawDeleteAll(target.client, r.batch);
    }
    target.cache.removeAll(r.batch);
    return r.batch.size();
  }

  static byte[] counter(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }

  static final EntryProcessor<String, byte[], Long> INCREMENT = new Increment();

  /** Adds one to an 8-byte big-endian counter, starting at 1 when absent. */
  static final class Increment implements EntryProcessor<String, byte[], Long> {
    @Override
    public Long process(MutableEntry<String, byte[]> entry, Object... arguments) {
      long next = entry.exists() ? ByteBuffer.wrap(entry.getValue()).getLong() + 1 : 1;
      entry.setValue(counter(next));
      return next;
    }
  }
}
