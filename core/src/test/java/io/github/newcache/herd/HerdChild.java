package io.github.newcache.herd;

import io.github.newcache.NewcacheConfiguration;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.integration.CacheLoader;

/**
 * A separate JVM for the fleet tests: opens its own manager, waits for the go file, then misses
 * one key from 16 threads at once and prints {@code LOADS=<n> VALUES=<v>}. With {@code die}, its
 * loader halts the JVM in the middle of the load, leaving the lease behind.
 */
public final class HerdChild {

  static final AtomicInteger LOADS = new AtomicInteger();
  static volatile boolean die;

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    String key = args[1];
    Path go = Path.of(args[2]);
    die = args.length > 3 && args[3].equals("die");
    CacheManager m = Caching.getCachingProvider().getCacheManager(uri, HerdChild.class.getClassLoader());
    Cache<String, String> c = m.createCache("herd", config());
    System.out.println("READY");
    System.out.flush();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(go) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    ExecutorService pool = Executors.newFixedThreadPool(16);
    List<Future<String>> results = new ArrayList<>();
    for (int i = 0; i < 16; i++) {
      results.add(pool.submit(() -> c.get(key)));
    }
    StringBuilder values = new StringBuilder();
    for (Future<String> f : results) {
      values.append(f.get(30, TimeUnit.SECONDS)).append(',');
    }
    pool.shutdown();
    System.out.println("LOADS=" + LOADS.get() + " VALUES=" + values);
    System.out.flush();
    m.close();
  }

  static NewcacheConfiguration<String, String> config() {
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setReadThrough(true);
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(SlowLoader.class));
    config.setLeaseTimeoutMillis(3000);
    return config;
  }

  /** Takes 200 ms per load, counts its loads, and halts the JVM mid-load when told to die. */
  public static final class SlowLoader implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      LOADS.incrementAndGet();
      if (die) {
        Runtime.getRuntime().halt(3);
      }
      try {
        Thread.sleep(200);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return "loaded:" + key;
    }

    @Override
    public java.util.Map<String, String> loadAll(Iterable<? extends String> keys) {
      java.util.Map<String, String> out = new java.util.HashMap<>();
      for (String k : keys) {
        out.put(k, load(k));
      }
      return out;
    }
  }
}
