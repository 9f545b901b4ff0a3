package io.github.newcache.bench;

import io.github.newcache.NewcacheCachingProvider;
import io.github.newcache.NewcacheConfiguration;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.integration.CacheLoader;
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

/**
 * Readers' latency while a hot entry keeps expiring and being reloaded (issue: thundering herds).
 * One key, read by every thread, on a read-through cache whose loader takes 20 ms and whose
 * entries expire 100 ms after creation:
 *
 * <ul>
 *   <li>{@code hit}: the entry never expires (eternal): the latency of a plain cache hit;
 *   <li>{@code refresh}: without stale-while-revalidate, each expiry makes readers wait for the one
 *       shared load (single flight);
 *   <li>{@code stale}: with stale-while-revalidate, readers get the previous value at once while one
 *       caller reloads in the background.
 * </ul>
 *
 * Run: {@code java -cp target/benchmarks.jar org.openjdk.jmh.Main HerdLatencyBench -t 16}; compare
 * the p99 and p99.9 of {@code stale} with {@code hit}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class HerdLatencyBench {

  @Param({"hit", "refresh", "stale"})
  public String mode;

  MemcachedServer server;
  CacheManager manager;
  Cache<String, String> cache;

  /** Takes 20 ms, like a quick database query. */
  public static final class SlowLoader implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "value of " + key;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }
  }

  @Setup(Level.Trial)
  public void setUp() {
    server = MemcachedServer.start();
    // By class name: Redisson's provider is on the same class path.
    manager =
        Caching.getCachingProvider(NewcacheCachingProvider.class.getName())
            .getCacheManager(URI.create(server.uri(true)), getClass().getClassLoader());
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setReadThrough(true);
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(SlowLoader.class));
    if (!mode.equals("hit")) {
      config.setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 100)));
    }
    if (mode.equals("stale")) {
      config.setStaleWhileRevalidateMillis(60_000);
    }
    cache = manager.createCache("herd", config);
    cache.get("hot");
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    manager.close();
    server.close();
  }

  @Benchmark
  public String get() {
    return cache.get("hot");
  }
}
