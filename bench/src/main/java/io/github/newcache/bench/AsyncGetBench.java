package io.github.newcache.bench;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.IterationParams;

/**
 * Non-blocking reads of present keys (100-byte values), a window at a time: one thread starts them
 * all, then waits for every answer.
 *
 * <ul>
 *   <li>{@link #getWindow}: {@value #IN_FLIGHT} gets, each counted as one operation. Ours: {@code
 *       cache.unwrap(NewcacheCache.class).async().get(key)}, a {@code CompletableFuture} completed
 *       on the client's callback; raw: spymemcached's {@code asyncGet}.
 *   <li>{@link #getAllWindow}: {@value #CALLS_IN_FLIGHT} multi-gets of {@value #BATCH} keys, each
 *       counted as one operation. Ours: {@code async().getAll(keys)}; raw: spymemcached's {@code
 *       asyncGetBulk}.
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AsyncGetBench {

  static final int KEYS = 1000;
  static final int IN_FLIGHT = 256;
  static final int VALUE_SIZE = 100;
  static final int BATCH = 100;
  static final int CALLS_IN_FLIGHT = 8;

  @Param({Sides.OURS_VS_RAW})
  public String sides;

  @Param({"text", "binary"})
  public String protocol;

  Target target;
  String[] keys;
  List<Set<String>> batches;

  @Setup(Level.Trial)
  public void setUp() {
    keys = Data.keys("key:", KEYS);
    byte[] value = Data.value(VALUE_SIZE, 42);
    batches = Data.batches(keys, BATCH);
    target = Target.open(sides, protocol).prepared(t -> Data.preload(t, batches, value));
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

  private final Future<?>[] window = new Future<?>[IN_FLIGHT];

  @Benchmark
  @OperationsPerInvocation(IN_FLIGHT)
  public int getWindow() throws ExecutionException, InterruptedException {
    Side side = target.side;
    int start = ThreadLocalRandom.current().nextInt(KEYS);
    for (int i = 0; i < IN_FLIGHT; i++) {
      window[i] = side.getAsync(keys[(start + i) % KEYS]);
    }
    int bytes = 0;
    for (Future<?> f : window) {
      byte[] v = (byte[]) f.get();
      if (v == null) {
        throw new IllegalStateException("expected a hit");
      }
      bytes += v.length;
    }
    return bytes;
  }

  private final Future<?>[] calls = new Future<?>[CALLS_IN_FLIGHT];

  @Benchmark
  @OperationsPerInvocation(CALLS_IN_FLIGHT)
  public int getAllWindow() throws ExecutionException, InterruptedException {
    Side side = target.side;
    int start = ThreadLocalRandom.current().nextInt(batches.size());
    for (int i = 0; i < CALLS_IN_FLIGHT; i++) {
      calls[i] = side.getAllAsync(batches.get((start + i) % batches.size()));
    }
    int found = 0;
    for (Future<?> f : calls) {
      Map<?, ?> values = (Map<?, ?>) f.get();
      if (values.size() != BATCH) {
        throw new IllegalStateException("expected " + BATCH + " hits, got " + values.size());
      }
      found += values.size();
    }
    return found;
  }
}
