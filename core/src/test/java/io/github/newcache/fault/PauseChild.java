package io.github.newcache.fault;

import io.github.newcache.AsyncCache;
import io.github.newcache.NewcacheCache;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;

/**
 * The client of {@link ClientPauseTest}, in its own JVM so the test can freeze it: 8 threads of
 * gets and puts on 480 keys for the given time, half of them through the non-blocking view, then
 * {@code RESULT ok=<n> errors=<n> first=<error>}.
 */
public final class PauseChild {

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    long millis = Long.parseLong(args[1]);
    CacheManager m = Caching.getCachingProvider().getCacheManager(uri, PauseChild.class.getClassLoader());
    Cache<String, String> c = m.createCache("pause", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 480; i++) {
      keys.add("k" + i);
      c.put("k" + i, "0");
    }
    LongAdder ok = new LongAdder();
    LongAdder errors = new LongAdder();
    AtomicLong slowest = new AtomicLong();
    AtomicReference<String> first = new AtomicReference<>("none");
    long end = System.nanoTime() + millis * 1_000_000L;
    System.out.println("READY");
    List<Thread> threads = new ArrayList<>();
    AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
    for (int t = 0; t < 8; t++) {
      boolean nonBlocking = t % 2 == 1;
      Thread th = new Thread(() -> {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        while (System.nanoTime() < end) {
          String key = keys.get(r.nextInt(keys.size()));
          long start = System.nanoTime();
          try {
            if (nonBlocking) {
              if (r.nextInt(4) == 0) {
                async.put(key, Long.toString(start)).get(30, TimeUnit.SECONDS);
              } else {
                async.get(key).get(30, TimeUnit.SECONDS);
              }
            } else if (r.nextInt(4) == 0) {
              c.put(key, Long.toString(start));
            } else {
              c.get(key);
            }
            ok.increment();
          } catch (RuntimeException | InterruptedException | ExecutionException | TimeoutException e) {
            errors.increment();
            first.compareAndSet("none", e.toString());
          }
          slowest.accumulateAndGet(System.nanoTime() - start, Math::max);
        }
      });
      threads.add(th);
      th.start();
    }
    for (Thread th : threads) {
      th.join();
    }
    System.out.println("RESULT ok=" + ok.sum() + " errors=" + errors.sum() + " slowest=" + slowest.get() / 1_000_000
        + "ms first=" + first.get());
    m.close();
  }
}
