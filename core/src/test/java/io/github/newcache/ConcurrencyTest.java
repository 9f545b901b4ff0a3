package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.Duration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Atomicity across clients: two managers (two connections, like two JVMs) with eight threads
 * each. Every task starts at one gate and every wait is bounded.
 */
@ExtendWith(MemcachedExtension.class)
class ConcurrencyTest {

  private static final int MANAGERS = 2;
  private static final int THREADS_PER_MANAGER = 8;
  private static final int INCREMENTS = 50;

  private static <V> List<Cache<String, V>> caches(
      Protocol p, TestManagers managers, Class<V> valueType) {
    List<Cache<String, V>> caches = new ArrayList<>();
    for (int i = 0; i < MANAGERS; i++) {
      CacheManager m = managers.open(p, "opTimeout=" + (5000 + i));
      caches.add(m.createCache("race", new MutableConfiguration<String, V>().setTypes(String.class, valueType)));
    }
    return caches;
  }

  /** Runs every task at once behind one gate; returns their results, failing on any error. */
  static <T> List<T> race(List<Callable<T>> tasks) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch ready = new CountDownLatch(tasks.size());
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> task : tasks) {
        futures.add(pool.submit(() -> {
          ready.countDown();
          assertTrue(go.await(10, TimeUnit.SECONDS));
          return task.call();
        }));
      }
      assertTrue(ready.await(10, TimeUnit.SECONDS), "threads did not start");
      go.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(60, TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void invokeIncrementsAreNeverLost(Protocol p, TestManagers managers) throws Exception {
    List<Cache<String, Integer>> caches = caches(p, managers, Integer.class);
    List<Callable<Void>> tasks = new ArrayList<>();
    for (Cache<String, Integer> c : caches) {
      for (int t = 0; t < THREADS_PER_MANAGER; t++) {
        tasks.add(() -> {
          for (int i = 0; i < INCREMENTS; i++) {
            c.invoke("counter", (e, args) -> {
              e.setValue(e.exists() ? e.getValue() + 1 : 1);
              return null;
            });
          }
          return null;
        });
      }
    }
    race(tasks);
    int expected = MANAGERS * THREADS_PER_MANAGER * INCREMENTS;
    assertEquals(expected, caches.get(0).get("counter"));
    assertEquals(expected, caches.get(1).get("counter"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void putIfAbsentHasExactlyOneWinner(Protocol p, TestManagers managers) throws Exception {
    List<Cache<String, String>> caches = caches(p, managers, String.class);
    for (int round = 0; round < 10; round++) {
      String key = "key" + round;
      List<Callable<String>> tasks = new ArrayList<>();
      for (int m = 0; m < MANAGERS; m++) {
        Cache<String, String> c = caches.get(m);
        for (int t = 0; t < THREADS_PER_MANAGER; t++) {
          String me = "m" + m + "t" + t;
          tasks.add(() -> c.putIfAbsent(key, me) ? me : null);
        }
      }
      List<String> winners = new ArrayList<>();
      for (String r : race(tasks)) {
        if (r != null) {
          winners.add(r);
        }
      }
      assertEquals(1, winners.size(), "round " + round + ": winners " + winners);
      assertEquals(winners.get(0), caches.get(0).get(key));
      assertEquals(winners.get(0), caches.get(1).get(key));
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void racingReplaceOfOneOldValueHasOneWinner(Protocol p, TestManagers managers) throws Exception {
    List<Cache<String, String>> caches = caches(p, managers, String.class);
    caches.get(0).put("k", "start");
    List<Callable<String>> tasks = new ArrayList<>();
    for (int m = 0; m < MANAGERS; m++) {
      Cache<String, String> c = caches.get(m);
      for (int t = 0; t < THREADS_PER_MANAGER; t++) {
        String me = "m" + m + "t" + t;
        tasks.add(() -> c.replace("k", "start", me) ? me : null);
      }
    }
    List<String> winners = new ArrayList<>();
    for (String r : race(tasks)) {
      if (r != null) {
        winners.add(r);
      }
    }
    assertEquals(1, winners.size(), "winners " + winners);
    assertNotNull(caches.get(1).get("k"));
    assertEquals(winners.get(0), caches.get(1).get("k"));
  }

  /**
   * Under an access expiry policy every read moves the entry's expiry (a cas), which fails a
   * processor's pending cas; a processor that saw the same value is not run again for that. Before,
   * four threads reading the key made 20 increments run the processor thousands of times, and with a
   * little more load `invoke` gave up ("other clients kept changing it") on this JVM's own reads.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void readsThatOnlyMoveTheExpiryDoNotRunAProcessorAgain(Protocol p, TestManagers managers) throws Exception {
    Cache<String, Integer> c = managers.open(p).createCache("touched", new MutableConfiguration<String, Integer>()
        .setTypes(String.class, Integer.class)
        .setExpiryPolicyFactory(AccessedExpiryPolicy.factoryOf(new Duration(TimeUnit.MINUTES, 5))));
    c.put("k", 0);
    AtomicInteger runs = new AtomicInteger();
    AtomicBoolean done = new AtomicBoolean();
    AtomicInteger reads = new AtomicInteger();
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int r = 0; r < 4; r++) {
      tasks.add(() -> {
        while (!done.get()) {
          assertNotNull(c.get("k"));
          reads.incrementAndGet();
        }
        return null;
      });
    }
    tasks.add(() -> {
      try {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (reads.get() < 100) {
          assertTrue(System.nanoTime() < until, "the readers did not get under way: " + reads.get() + " reads");
          Thread.sleep(1);
        }
        for (int i = 0; i < 20; i++) {
          c.invoke("k", (entry, args) -> {
            runs.incrementAndGet();
            entry.setValue(entry.getValue() + 1);
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2)); // a processor that takes a moment
            return null;
          });
        }
      } finally {
        done.set(true);
      }
      return null;
    });
    race(tasks);
    assertEquals(20, c.get("k"));
    assertEquals(20, runs.get(), "processor runs for 20 invokes while the key's readers only moved its expiry");
  }
}
