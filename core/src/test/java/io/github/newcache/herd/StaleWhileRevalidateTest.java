package io.github.newcache.herd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.HerdStatisticsMXBean;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.internal.management.MBeans;
import io.github.newcache.security.RawItems;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import javax.cache.Cache;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryExpiredListener;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheWriter;
import javax.cache.management.CacheStatisticsMXBean;
import javax.management.JMX;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** Opt-in stale-while-revalidate: after expiry, one refresh while everyone gets the old value. */
@ExtendWith(MemcachedExtension.class)
class StaleWhileRevalidateTest {

  static final AtomicInteger GENERATION = new AtomicInteger();

  /** Takes 300 ms and returns a new generation each time. */
  public static final class GenerationLoader implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      int g = GENERATION.incrementAndGet();
      try {
        Thread.sleep(300);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return key + "@" + g;
    }

    @Override
    public java.util.Map<String, String> loadAll(Iterable<? extends String> keys) {
      java.util.Map<String, String> out = new java.util.HashMap<>();
      keys.forEach(k -> out.put(k, load(k)));
      return out;
    }
  }

  private static NewcacheConfiguration<String, String> config(long windowMillis) {
    NewcacheConfiguration<String, String> c = new NewcacheConfiguration<>();
    c.setTypes(String.class, String.class);
    c.setReadThrough(true);
    c.setCacheLoaderFactory(FactoryBuilder.factoryOf(GenerationLoader.class));
    c.setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 400)));
    c.setStaleWhileRevalidateMillis(windowMillis);
    return c;
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void expiredEntriesAreServedStaleWhileOneCallerRefreshes(Protocol p, TestManagers managers) throws Exception {
    GENERATION.set(0);
    Cache<String, String> c = managers.open(p).createCache("swr", config(10_000));
    assertEquals("k@1", c.get("k"));
    awaitExpiry(c, "k");
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<Long>> latencies = new ArrayList<>();
      List<Future<String>> values = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        Future<Object[]> f = pool.submit(() -> {
          start.await();
          long t0 = System.nanoTime();
          String v = c.get("k");
          return new Object[] {v, System.nanoTime() - t0};
        });
        values.add(pool.submit(() -> (String) f.get()[0]));
        latencies.add(pool.submit(() -> (Long) f.get()[1]));
      }
      start.countDown();
      for (int i = 0; i < 16; i++) {
        assertEquals("k@1", values.get(i).get(10, TimeUnit.SECONDS), "the previous value, at once");
        long ms = TimeUnit.NANOSECONDS.toMillis(latencies.get(i).get(10, TimeUnit.SECONDS));
        assertTrue(ms < 300, "a stale read does not wait for the 300 ms load; took " + ms + " ms");
      }
    } finally {
      pool.shutdownNow();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    String v;
    do {
      v = c.get("k");
    } while (!"k@2".equals(v) && System.nanoTime() < deadline);
    assertEquals("k@2", v, "the refreshed value arrives");
    assertEquals(2, GENERATION.get(), "one refresh for all the stale readers");
    HerdStatisticsMXBean stats = c.unwrap(NewcacheCache.class).herdStatistics();
    assertEquals(1, stats.getRefreshes());
    assertTrue(stats.getStaleReads() >= 16, "stale reads counted: " + stats.getStaleReads());
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void offByDefaultAnExpiredEntryIsAMissThatLoads(Protocol p, TestManagers managers) throws Exception {
    GENERATION.set(0);
    Cache<String, String> c = managers.open(p).createCache("plain", config(0));
    assertEquals("k@1", c.get("k"));
    awaitExpiry(c, "k");
    assertEquals("k@2", c.get("k"), "a plain read-through miss waits for the load");
  }

  /** The first load passes at once; later ones wait at {@link #GATE} when it is set. */
  public static final class GatedLoader implements CacheLoader<String, String> {
    static volatile CountDownLatch gate;
    static final CountDownLatch STARTED = new CountDownLatch(1);

    @Override
    public String load(String key) {
      int g = GENERATION.incrementAndGet();
      CountDownLatch wait = gate;
      if (wait != null) {
        STARTED.countDown();
        try {
          wait.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return key + "@" + g;
    }

    @Override
    public java.util.Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aRefreshNeverUndoesAWriteMadeWhileItLoaded(Protocol p, TestManagers managers, RawMemcached raw) throws Exception {
    GENERATION.set(0);
    GatedLoader.gate = null;
    NewcacheConfiguration<String, String> config = config(10_000);
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(GatedLoader.class));
    Cache<String, String> c = managers.open(p).createCache("swr-race", config);
    assertEquals("k@1", c.get("k"));
    awaitExpiry(c, "k");
    CountDownLatch release = new CountDownLatch(1);
    GatedLoader.gate = release;
    assertEquals("k@1", c.get("k"), "stale, while the refresh loads");
    assertTrue(GatedLoader.STARTED.await(10, TimeUnit.SECONDS), "the refresh started");
    Cache<String, String> other = managers.open(p, "opTimeout=4000").createCache("swr-race", config(10_000));
    other.put("k", "newer");
    release.countDown();
    // The refresh ends by releasing its lease: wait for that, then look.
    String lease = RawItems.memcachedKey(managers.flavor(), 1, "swr-race", "k") + ".lease";
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (raw.get(lease) != null && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertEquals(null, raw.get(lease), "the refresh finished");
    assertEquals("newer", c.get("k"), "the write made during the refresh stays");
    assertEquals(2, GENERATION.get());
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void getAllNeverServesStaleValuesWithAccessExpiry(Protocol p, TestManagers managers) throws Exception {
    GENERATION.set(0);
    NewcacheConfiguration<String, String> config = config(10_000);
    config.setExpiryPolicyFactory(AccessedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 400)));
    Cache<String, String> c = managers.open(p).createCache("swr-getall", config);
    assertEquals("k@1", c.get("k"));
    awaitExpiry(c, "k");
    assertEquals(java.util.Map.of("k", "k@2"), c.getAll(java.util.Set.of("k")), "loaded again, not the stale k@1");
  }

  /** The system of record of {@link RowLoader} and {@link RowWriter}. */
  static final Map<String, String> ROWS = new ConcurrentHashMap<>();
  static final AtomicInteger REMOVED_EVENTS = new AtomicInteger();
  static final AtomicInteger EXPIRED_EVENTS = new AtomicInteger();

  /** Loads a key's row, or nothing once the row is gone. */
  public static final class RowLoader implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      return ROWS.get(key);
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }
  }

  /** Writes rows through; deletes them. */
  public static final class RowWriter implements CacheWriter<String, String> {
    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {
      ROWS.put(entry.getKey(), entry.getValue());
    }

    @Override
    public void writeAll(java.util.Collection<Cache.Entry<? extends String, ? extends String>> entries) {
      entries.forEach(this::write);
      entries.clear();
    }

    @Override
    public void delete(Object key) {
      ROWS.remove(key);
    }

    @Override
    public void deleteAll(java.util.Collection<?> keys) {
      keys.forEach(this::delete);
      keys.clear();
    }
  }

  /** Counts REMOVED and EXPIRED events. */
  public static final class RemovedCounter
      implements CacheEntryRemovedListener<String, String>, CacheEntryExpiredListener<String, String> {
    @Override
    public void onRemoved(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      events.forEach(e -> REMOVED_EVENTS.incrementAndGet());
    }

    @Override
    public void onExpired(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      events.forEach(e -> EXPIRED_EVENTS.incrementAndGet());
    }
  }

  /** The ways to remove the entry of "k", each with the JCache answer for an expired entry checked. */
  enum Removal {
    REMOVE {
      @Override
      void apply(Cache<String, String> c) {
        assertFalse(c.remove("k"), "an expired entry is not there to remove");
      }
    },
    REMOVE_VALUE {
      @Override
      void apply(Cache<String, String> c) {
        assertFalse(c.remove("k", "v1"), "an expired entry is not there to remove");
      }
    },
    GET_AND_REMOVE {
      @Override
      void apply(Cache<String, String> c) {
        assertNull(c.getAndRemove("k"), "an expired entry has no value to return");
      }
    },
    REMOVE_ALL_KEYS {
      @Override
      void apply(Cache<String, String> c) {
        c.removeAll(Set.of("k"));
      }
    },
    REMOVE_ALL {
      @Override
      void apply(Cache<String, String> c) {
        c.removeAll();
      }
    },
    ASYNC_REMOVE {
      @Override
      void apply(Cache<String, String> c) throws Exception {
        @SuppressWarnings("unchecked")
        NewcacheCache<String, String> n = c.unwrap(NewcacheCache.class);
        assertFalse(n.async().remove("k").get(10, TimeUnit.SECONDS), "an expired entry is not there to remove");
      }
    },
    PROCESSOR_REMOVE {
      @Override
      void apply(Cache<String, String> c) {
        c.invoke("k", (entry, args) -> {
          assertFalse(entry.exists(), "an expired entry does not exist for a processor");
          entry.remove();
          return null;
        });
      }
    };

    abstract void apply(Cache<String, String> c) throws Exception;
  }

  static Stream<Arguments> removals() {
    List<Arguments> out = new ArrayList<>();
    for (Protocol p : Protocol.values()) {
      for (Removal r : Removal.values()) {
        out.add(Arguments.of(p, r));
      }
    }
    return out.stream();
  }

  /** A read-through cache of {@link #ROWS}: 400 ms entries served stale for a minute, statistics on. */
  private static NewcacheConfiguration<String, String> rowsConfig(boolean writeThrough) {
    NewcacheConfiguration<String, String> c = config(60_000);
    c.setCacheLoaderFactory(FactoryBuilder.factoryOf(RowLoader.class));
    c.setStatisticsEnabled(true);
    c.addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<>(
        FactoryBuilder.factoryOf(RemovedCounter.class), null, false, true));
    if (writeThrough) {
      c.setWriteThrough(true);
      c.setCacheWriterFactory(FactoryBuilder.factoryOf(RowWriter.class));
    }
    return c;
  }

  /**
   * The entry expired and the row is gone: a removal of any kind must also remove the item memcached
   * keeps for the stale window, or get serves the removed value for the rest of the window. For
   * JCache the entry was absent: no removal counted, no REMOVED event; the removal that removed the
   * expired item raises the EXPIRED event, as a read that removes one does.
   */
  @ParameterizedTest
  @MethodSource("removals")
  void aRemovalOfAnExpiredEntryLeavesNothingToServeStale(Protocol p, Removal removal, TestManagers managers,
      RawMemcached raw) throws Exception {
    ROWS.clear();
    ROWS.put("k", "v1");
    REMOVED_EVENTS.set(0);
    EXPIRED_EVENTS.set(0);
    String name = "swr-" + removal.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    javax.cache.CacheManager m = managers.open(p);
    Cache<String, String> c = m.createCache(name, rowsConfig(false));
    assertEquals("v1", c.get("k"));
    awaitExpiry(c, "k");
    String mkey = RawItems.memcachedKey(managers.flavor(), 1, name, "k");
    assertNotNull(raw.get(mkey), "memcached keeps the expired entry for the window");
    ROWS.remove("k");

    removal.apply(c);

    assertNull(raw.get(mkey), "the expired item was removed with the entry");
    assertNull(c.get("k"), "the removed value is not served stale");
    assertNull(c.get("k"), "nor later");
    CacheStatisticsMXBean stats = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
        MBeans.name(MBeans.STATISTICS, m.getURI().toString(), name), CacheStatisticsMXBean.class);
    assertEquals(0, stats.getCacheRemovals(), "no removal counted for an expired entry");
    assertEquals(0, REMOVED_EVENTS.get(), "no REMOVED event for an expired entry");
    assertEquals(1, EXPIRED_EVENTS.get(), "the EXPIRED event, from the removal that removed the expired item");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aWriteThroughRemovalOfAnExpiredEntryIsNotServedStaleAfterTheWriterDeletedIt(Protocol p, TestManagers managers,
      RawMemcached raw) throws Exception {
    ROWS.clear();
    ROWS.put("k", "v1");
    Cache<String, String> c = managers.open(p).createCache("swr-writer", rowsConfig(true));
    assertEquals("v1", c.get("k"));
    awaitExpiry(c, "k");
    assertFalse(c.remove("k"), "an expired entry is not there to remove");
    assertFalse(ROWS.containsKey("k"), "the writer deleted the row");
    assertNull(raw.get(RawItems.memcachedKey(managers.flavor(), 1, "swr-writer", "k")), "and the stale item");
    assertNull(c.get("k"), "the deleted value is not served stale");
  }

  /** A refresh whose loader finds the key gone removes the stale item it refreshed. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aRefreshThatLoadsNothingStopsServingTheStaleValue(Protocol p, TestManagers managers, RawMemcached raw)
      throws Exception {
    ROWS.clear();
    ROWS.put("k", "v1");
    Cache<String, String> c = managers.open(p).createCache("swr-gone", rowsConfig(false));
    assertEquals("v1", c.get("k"));
    awaitExpiry(c, "k");
    ROWS.remove("k");
    assertEquals("v1", c.get("k"), "stale, while the refresh finds the row gone");
    String mkey = RawItems.memcachedKey(managers.flavor(), 1, "swr-gone", "k");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (raw.get(mkey) != null && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertNull(raw.get(mkey), "the refresh that loaded nothing removed the stale item");
    assertNull(c.get("k"), "the value the loader no longer has is not served again");
    assertEquals(1, c.unwrap(NewcacheCache.class).herdStatistics().getRefreshes());
  }

  /** Waits (bounded) until the entry's 400 ms expiry has passed, as seen by containsKey. */
  private static void awaitExpiry(Cache<String, String> c, String key) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (c.containsKey(key) && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertFalse(c.containsKey(key), "the entry expired");
  }
}
