package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.AsyncCache;
import io.github.newcache.NewcacheCache;
import io.github.newcache.internal.management.MBeans;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.integration.CacheLoader;
import javax.cache.management.CacheStatisticsMXBean;
import javax.management.JMX;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A rolling deploy: entries written by a newer version of the application hold a class this JVM
 * does not have, or a class whose fields changed. Each reads as a counted miss, and one such entry
 * never makes get, getAll, iterator() or removeAll() of the whole cache throw.
 */
@ExtendWith(MemcachedExtension.class)
class MissingClassTest {

  private static void plant(TestManagers managers, String key, byte[] value) {
    plant(managers, "orders", key, value);
  }

  private static void plant(TestManagers managers, String cache, String key, byte[] value) {
    LocalMemcached s = managers.server();
    RawItems.set(s.host(), s.port(), RawItems.memcachedKey(managers.flavor(), 1, cache, key), 0,
        RawItems.envelope(cache, key, value));
  }

  /** A value whose class ({@code Order$Customex}) this JVM lacks. */
  private static byte[] ofAMissingClass() {
    byte[] customer = HostileStreams.serialize(new Order.Customer("Bob"));
    return HostileStreams.tagged(HostileStreams.rename(customer, "Order$Customer", "Order$Customex"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void entriesOfClassesThisJvmLacksAreCountedMisses(Protocol p, TestManagers managers) {
    Properties allow = new Properties();
    allow.setProperty("deserializationAllow", "io.github.newcache.security.**");
    CacheManager m = managers.open(managers.uri(p), MissingClassTest.class.getClassLoader(), allow);
    Cache<String, Object> c = m.createCache("orders", new MutableConfiguration<String, Object>());
    NewcacheCache<?, ?> nc = c.unwrap(NewcacheCache.class);
    Order order = new Order("o1", new Order.Customer("Ada"), List.of(BigDecimal.ONE));
    c.put("o1", order);
    c.put("o2", "plain");
    // A class that does not exist here (a newer version's), and a class whose field type changed.
    plant(managers, "missing", ofAMissingClass());
    byte[] changed = HostileStreams.serialize(order);
    plant(managers, "changed", HostileStreams.tagged(HostileStreams.rename(changed, "Order$Customer", "Order$Customex")));

    long before = nc.failureStatistics().getRejectedEntries();
    assertNull(c.get("missing"));
    assertNull(c.get("changed"));
    assertEquals(before + 2, nc.failureStatistics().getRejectedEntries(), "counted");
    assertEquals(Map.of("o1", order, "o2", "plain"), c.getAll(Set.of("o1", "o2", "missing", "changed")));

    List<String> iterated = new ArrayList<>();
    c.forEach(e -> iterated.add(e.getKey()));
    iterated.sort(null);
    assertEquals(List.of("o1", "o2"), iterated);

    c.removeAll();
    assertNull(c.get("o1"));
    assertNull(c.get("o2"));
    assertTrue(nc.failureStatistics().getRejectedEntries() > before + 2);
  }

  /** Loads "loaded:" + key. */
  public static final class Loaded implements CacheLoader<String, Object>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Object load(String key) {
      return "loaded:" + key;
    }

    @Override
    public Map<String, Object> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException("not used here");
    }
  }

  /**
   * The non-blocking get of such an entry answers as the blocking get does: a counted miss, and on
   * a read-through cache the loader's value (it counted a hit and answered null, skipping the loader).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anAsyncGetOfAnEntryOfAClassThisJvmLacksIsTheBlockingGetsCountedMiss(Protocol p, TestManagers managers)
      throws Exception {
    Properties allow = new Properties();
    allow.setProperty("deserializationAllow", "io.github.newcache.security.**");
    CacheManager m = managers.open(managers.uri(p), MissingClassTest.class.getClassLoader(), allow);
    Cache<String, Object> plain = m.createCache("orders", new MutableConfiguration<String, Object>().setStatisticsEnabled(true));
    Cache<String, Object> loading = m.createCache("loading", new MutableConfiguration<String, Object>()
        .setStatisticsEnabled(true).setReadThrough(true).setCacheLoaderFactory(FactoryBuilder.factoryOf(Loaded.class)));
    for (String key : List.of("blocking", "async")) {
      plant(managers, "orders", key, ofAMissingClass());
      plant(managers, "loading", key, ofAMissingClass());
    }

    assertNull(plain.get("blocking"));
    assertEquals(List.of(0L, 1L), hitsAndMisses(m, plain), "the blocking get: hits, misses");
    assertNull(async(plain).get("async").get(10, TimeUnit.SECONDS));
    assertEquals(List.of(0L, 2L), hitsAndMisses(m, plain), "the async get counts a miss as the blocking get does");

    assertEquals("loaded:blocking", loading.get("blocking"));
    assertEquals("loaded:async", async(loading).get("async").get(10, TimeUnit.SECONDS), "read through, as the blocking get");
    assertEquals(List.of(0L, 2L), hitsAndMisses(m, loading));
  }

  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache, typed <String, Object>
  private static AsyncCache<String, Object> async(Cache<String, Object> c) {
    return c.unwrap(NewcacheCache.class).async();
  }

  /** The cache's hits and misses, read from its statistics MXBean. */
  private static List<Long> hitsAndMisses(CacheManager m, Cache<?, ?> c) {
    CacheStatisticsMXBean stats = JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(),
        MBeans.name(MBeans.STATISTICS, m.getURI().toString(), c.getName()), CacheStatisticsMXBean.class);
    return List.of(stats.getCacheHits(), stats.getCacheMisses());
  }
}
