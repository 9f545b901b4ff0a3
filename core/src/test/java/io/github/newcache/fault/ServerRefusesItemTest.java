package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.AsyncCache;
import io.github.newcache.FailurePolicy;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.io.Serializable;
import java.net.URI;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.integration.CacheWriter;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * memcached started with {@code -I 512k} while the client allows the default 1 MB: a 600 KB value
 * is refused at once, on every write path (set, add, cas), with an error naming the item's size
 * and the server's limit; never retried as contention (binary add was retried 10,000 times for
 * 13 s), and never at the cost of the connection (in the text protocol, memcached's refusal made
 * spymemcached drop it, failing the reads of other threads).
 */
class ServerRefusesItemTest {

  private static final int LIMIT = 512 * 1024;

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anItemLargerThanTheServersLimitIsRefusedAtOnceAndNamed(Protocol p) throws Exception {
    try (LocalMemcached server = LocalMemcached.start("-I", "512k")) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&flavor=big");
      CacheManager m = Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
      try {
        Cache<String, byte[]> c = m.createCache("c", new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
        byte[] small = new byte[100];
        byte[] big = new byte[600 * 1024];
        c.put("small", small);
        c.put("replaced", small);
        // other threads keep reading while the large writes are refused
        LongAdder reads = new LongAdder();
        AtomicReference<Throwable> readFailure = new AtomicReference<>();
        Thread reader = new Thread(() -> {
          long end = System.nanoTime() + 3_000_000_000L;
          while (System.nanoTime() < end && readFailure.get() == null) {
            try {
              assertArrayEquals(small, c.get("small"));
              reads.increment();
            } catch (Throwable t) {
              readFailure.set(t);
            }
          }
        });
        reader.start();
        Map<String, Consumer<Cache<String, byte[]>>> writes = Map.of(
            "put (set)", x -> x.put("big", big),
            "putIfAbsent (add)", x -> x.putIfAbsent("big2", big),
            "replace (gets + cas)", x -> x.replace("replaced", big),
            "putAll (pipelined sets)", x -> x.putAll(Map.of("big3", big, "big4", big)));
        for (Map.Entry<String, Consumer<Cache<String, byte[]>>> w : writes.entrySet()) {
          long start = System.nanoTime();
          CacheException e = assertThrows(CacheException.class, () -> w.getValue().accept(c), w.getKey());
          long millis = (System.nanoTime() - start) / 1_000_000;
          System.out.printf("%s %s: refused after %d ms: %s%n", p, w.getKey(), millis, e.getMessage());
          assertTrue(millis < 1000, w.getKey() + " took " + millis + " ms");
          assertTrue(e.getMessage().contains(Integer.toString(LIMIT)) && e.getMessage().contains("-I")
              && e.getMessage().contains("bytes"), w.getKey() + ": " + e.getMessage());
        }
        reader.join(10_000);
        assertEquals(null, readFailure.get(), "a read failed meanwhile");
        assertTrue(reads.sum() > 100, "reads went on: " + reads.sum());
        assertArrayEquals(small, c.get("replaced"), "the refused replace left the old value");
        for (String key : List.of("big", "big2", "big3", "big4")) {
          assertEquals(null, c.get(key));
        }
        c.put("after", small);
        assertArrayEquals(small, c.get("after"));
        // the non-blocking view refuses the same way
        io.github.newcache.AsyncCache<String, byte[]> async = c.unwrap(io.github.newcache.NewcacheCache.class).async();
        for (java.util.concurrent.CompletableFuture<?> f : List.of(async.put("big5", big), async.putIfAbsent("big6", big))) {
          java.util.concurrent.ExecutionException e =
              assertThrows(java.util.concurrent.ExecutionException.class, () -> f.get(1, java.util.concurrent.TimeUnit.SECONDS));
          assertTrue(e.getCause().getMessage().contains(Integer.toString(LIMIT)), e.getCause().getMessage());
        }
      } finally {
        m.close();
      }
    }
  }

  /**
   * With a writer, a write that memcached refuses after the writer ran (the item is too large for
   * the server) leaves the key without an entry: the system of record holds the new value, so the
   * old one must not stay readable. Before, it stayed until its expiry (for ever, eternal).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aWriteThroughThatMemcachedRefusesForgetsTheOldValue(Protocol p) throws Exception {
    Records.SYSTEM.clear();
    try (LocalMemcached server = LocalMemcached.start("-I", "512k")) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&flavor=wt");
      CacheManager m = Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
      try {
        Cache<String, byte[]> c = m.createCache("c", new MutableConfiguration<String, byte[]>()
            .setTypes(String.class, byte[].class)
            .setWriteThrough(true)
            .setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class)));
        byte[] small = new byte[100];
        byte[] big = new byte[600 * 1024];
        Map<String, Consumer<Cache<String, byte[]>>> writes = Map.of(
            "put", x -> x.put("put", big),
            "replace", x -> x.replace("replace", big),
            "getAndPut", x -> x.getAndPut("getAndPut", big),
            "putAll", x -> x.putAll(Map.of("putAll", big)),
            "invoke", x -> x.invoke("invoke", (e, args) -> {
              e.setValue(big);
              return null;
            }));
        for (Map.Entry<String, Consumer<Cache<String, byte[]>>> w : writes.entrySet()) {
          String key = w.getKey();
          c.put(key, small);
          assertThrows(CacheException.class, () -> w.getValue().accept(c), key);
          assertEquals(big.length, Records.SYSTEM.get(key).length, key + ": the writer ran");
          long deadline = System.nanoTime() + 5_000_000_000L;
          while (c.get(key) != null && System.nanoTime() < deadline) {
            Thread.sleep(5);
          }
          assertEquals(null, lengthOf(c.get(key)), key + ": the value the system of record no longer holds is gone");
        }
      } finally {
        m.close();
      }
    }
  }

  /**
   * Under {@code failures=miss} a write that memcached refuses is skipped as if the entry had been
   * evicted at once: the value it was to replace is gone too. Before, a refused put or replace left
   * it readable, though the caller was told the new value was stored.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aSkippedWriteLeavesNoOlderValue(Protocol p) throws Exception {
    try (LocalMemcached server = LocalMemcached.start("-I", "512k")) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&flavor=miss");
      CacheManager m = Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
      try {
        NewcacheConfiguration<String, byte[]> config = new NewcacheConfiguration<>();
        config.setTypes(String.class, byte[].class);
        config.setFailurePolicy(FailurePolicy.MISS);
        Cache<String, byte[]> c = m.createCache("c", config);
        byte[] small = new byte[100];
        byte[] big = new byte[600 * 1024];
        AsyncCache<String, byte[]> async = c.unwrap(NewcacheCache.class).async();
        Map<String, Consumer<Cache<String, byte[]>>> writes = Map.of(
            "put", x -> x.put("put", big),
            "replace", x -> assertTrue(x.replace("replace", big)),
            "putAll", x -> x.putAll(Map.of("putAll", big)),
            "async put", x -> async.put("async put", big).join());
        for (Map.Entry<String, Consumer<Cache<String, byte[]>>> w : writes.entrySet()) {
          String key = w.getKey();
          c.put(key, small);
          w.getValue().accept(c);
          long deadline = System.nanoTime() + 5_000_000_000L;
          while (c.get(key) != null && System.nanoTime() < deadline) {
            Thread.sleep(5);
          }
          assertEquals(null, lengthOf(c.get(key)), key + ": the value the skipped write was to replace is gone");
        }
      } finally {
        m.close();
      }
    }
  }

  private static Integer lengthOf(byte[] value) {
    return value == null ? null : value.length;
  }

  /** A system of record in memory. */
  public static final class Records implements CacheWriter<String, byte[]>, Serializable {
    private static final long serialVersionUID = 1L;
    static final Map<String, byte[]> SYSTEM = new ConcurrentHashMap<>();

    @Override
    public void write(Cache.Entry<? extends String, ? extends byte[]> entry) {
      SYSTEM.put(entry.getKey(), entry.getValue());
    }

    @Override
    public void writeAll(Collection<Cache.Entry<? extends String, ? extends byte[]>> entries) {
      for (var it = entries.iterator(); it.hasNext(); ) {
        write(it.next());
        it.remove();
      }
    }

    @Override
    public void delete(Object key) {
      SYSTEM.remove(key);
    }

    @Override
    public void deleteAll(Collection<?> keys) {
      for (var it = keys.iterator(); it.hasNext(); ) {
        delete(it.next());
        it.remove();
      }
    }
  }

  /**
   * A server that was frozen when the manager started could not tell its limit then; it is learned
   * as soon as the server answers, and large writes are refused at once (binary add used to be
   * retried as "exists" for 13 s). Before the answer arrives memcached refuses them itself, as fast.
   */
  @org.junit.jupiter.api.Test
  void theLimitOfAServerFrozenAtStartIsLearnedOnceItAnswers() throws Exception {
    try (LocalMemcached server = LocalMemcached.start("-I", "512k")) {
      server.pause();
      CacheManager m;
      try {
        m = Caching.getCachingProvider().getCacheManager(
            URI.create("memcached://" + server.address() + "/?binary=true&flavor=unknown"), getClass().getClassLoader());
      } finally {
        server.resume();
      }
      try {
        Cache<String, byte[]> c = m.createCache("c", new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
        byte[] big = new byte[600 * 1024];
        for (Map.Entry<String, Consumer<Cache<String, byte[]>>> w : Map.<String, Consumer<Cache<String, byte[]>>>of(
            "putIfAbsent (add)", x -> x.putIfAbsent("a", big), "put (set)", x -> x.put("s", big)).entrySet()) {
          // The limit is asked for on a thread of its own once the connection is made, so the
          // first write may reach the server before the answer: refused by memcached then (fast,
          // naming -I); from the answer on, refused here naming the limit. Each try is fast.
          long deadline = System.nanoTime() + 5_000_000_000L;
          String message;
          do {
            long start = System.nanoTime();
            CacheException e = assertThrows(CacheException.class, () -> w.getValue().accept(c), w.getKey());
            long millis = (System.nanoTime() - start) / 1_000_000;
            message = e.getMessage();
            System.out.printf("frozen at start, %s: refused after %d ms: %s%n", w.getKey(), millis, message);
            assertTrue(millis < 1000, w.getKey() + " took " + millis + " ms");
            assertTrue(message.contains("-I"), message);
          } while (!message.contains(Integer.toString(LIMIT)) && System.nanoTime() < deadline);
          assertTrue(message.contains(Integer.toString(LIMIT)), "the limit was never learned: " + message);
        }
        c.put("small", new byte[10]);
        assertEquals(10, c.get("small").length);
      } finally {
        m.close();
      }
    }
  }
}
