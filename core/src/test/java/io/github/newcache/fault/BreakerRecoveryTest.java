package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.AsyncCache;
import io.github.newcache.NewcacheCache;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A stalled server's breaker closes once the server answers again, whatever path carried the
 * probe: the server is frozen (SIGSTOP), one put times out and opens the breaker, and after the
 * cool-down a batch operation (putAll, getAll of one key, removeAll of keys, removeAll()) takes the
 * probe while the server is still frozen. Then the server is thawed (SIGCONT), and every path must
 * find it again within stallCooldown plus one operation. Before, the batch paths kept the probe
 * slot forever and every operation for that server failed "stalled" for as long as anyone looked.
 */
class BreakerRecoveryTest {

  private static final int OP_TIMEOUT = 250;
  private static final int COOLDOWN = 500;

  static List<Arguments> paths() {
    Map<String, Consumer<Cache<String, String>>> probes = Map.of(
        "putAll", c -> c.putAll(Map.of("a", "1", "b", "2", "c", "3")),
        "getAll of one key", c -> c.getAll(Set.of("a")),
        "removeAll of keys", c -> c.removeAll(Set.of("a", "b", "c")),
        "removeAll()", Cache::removeAll,
        "non-blocking getAll of one key", c -> join(async(c).getAll(Set.of("a"))),
        "non-blocking put", c -> join(async(c).put("a", "1")));
    List<Arguments> out = new java.util.ArrayList<>();
    for (Protocol p : Protocol.values()) {
      probes.forEach((name, probe) -> out.add(Arguments.of(p, name, probe)));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static AsyncCache<String, String> async(Cache<String, String> c) {
    return c.unwrap(NewcacheCache.class).async();
  }

  /** The future's value, or its failure as thrown by the blocking form. */
  private static <T> T join(CompletableFuture<T> f) {
    try {
      return f.get(10, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw (RuntimeException) e.getCause();
    } catch (InterruptedException | TimeoutException e) {
      throw new AssertionError(e);
    }
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("paths")
  void everyPathFindsTheServerAgainAfterItAnswers(Protocol p, String path, Consumer<Cache<String, String>> probe)
      throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&flavor=probe"
          + "&opTimeout=" + OP_TIMEOUT + "&stallTimeouts=1&stallWindow=0&stallCooldown=" + COOLDOWN
          + "&listTimeout=1000");
      CacheManager m = Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
      try {
        Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>());
        c.put("a", "0");
        server.pause();
        try {
          CacheException timedOut = assertThrows(CacheException.class, () -> c.put("a", "1"));
          assertTrue(timedOut.getMessage().contains("timed out"), timedOut.getMessage());
          CacheException stalled = assertThrows(CacheException.class, () -> c.get("a"));
          assertTrue(stalled.getMessage().contains("is stalled"), stalled.getMessage());
          Thread.sleep(COOLDOWN + 100); // the next operation is the probe
          assertThrows(CacheException.class, () -> probe.accept(c), path + " on a frozen server");
        } finally {
          server.resume();
        }
        long resumed = System.nanoTime();
        long recovered = -1;
        while (System.nanoTime() - resumed < 5_000_000_000L) {
          try {
            c.get("a");
            recovered = (System.nanoTime() - resumed) / 1_000_000;
            break;
          } catch (CacheException stillStalled) {
            Thread.sleep(10);
          }
        }
        System.out.printf("%s, %s: served again %d ms after SIGCONT%n", p, path, recovered);
        assertTrue(recovered >= 0, "still failing 5 s after the server answers again");
        assertTrue(recovered < COOLDOWN + OP_TIMEOUT + 500,
            "served again only after " + recovered + " ms; stallCooldown is " + COOLDOWN + " ms");
        // every path works again
        c.put("a", "2");
        c.putAll(Map.of("b", "3", "c", "4"));
        assertEquals(Map.of("a", "2", "b", "3", "c", "4"), c.getAll(Set.of("a", "b", "c")));
        c.removeAll(Set.of("b"));
        c.removeAll();
        assertEquals(Map.of(), c.getAll(Set.of("a", "b", "c")));
      } finally {
        m.close();
      }
    }
  }
}
