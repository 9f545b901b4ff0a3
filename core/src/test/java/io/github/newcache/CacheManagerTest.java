package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.HashSet;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The {@link CacheManager} surface: creating, finding, listing, destroying caches; closing. */
@ExtendWith(MemcachedExtension.class)
class CacheManagerTest {

  private static MutableConfiguration<String, Integer> typed() {
    return new MutableConfiguration<String, Integer>().setTypes(String.class, Integer.class);
  }

  private static Set<String> names(CacheManager m) {
    Set<String> names = new HashSet<>();
    m.getCacheNames().forEach(names::add);
    return names;
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void createGetAndList(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    assertSame(Caching.getCachingProvider(), m.getCachingProvider());
    assertEquals(Set.of(), names(m));
    Cache<String, Integer> a = m.createCache("a", typed());
    Cache<Object, Object> b = m.createCache("b", new MutableConfiguration<>());
    assertEquals(Set.of("a", "b"), names(m));
    assertSame(a, m.getCache("a", String.class, Integer.class));
    assertSame(a, m.getCache("a"));
    assertSame(b, m.getCache("b", Object.class, Object.class));
    assertNull(m.getCache("c"));
    assertNull(m.getCache("c", String.class, Integer.class));
    assertThrows(CacheException.class, () -> m.createCache("a", typed()));
    assertThrows(NullPointerException.class, () -> m.createCache(null, typed()));
    assertThrows(NullPointerException.class, () -> m.createCache("x", null));
  }

  /**
   * A cache name with a quote (illegal in an unquoted JMX name value) gets its statistics MXBean;
   * before, registering it failed after the cache was listed, leaving a cache that had failed to
   * be created but "already existed".
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aCacheNameWithAQuoteGetsItsMXBeans(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    String name = "tenant \"acme\"";
    Cache<String, String> c = m.createCache(name, new MutableConfiguration<String, String>()
        .setStatisticsEnabled(true).setManagementEnabled(true));
    c.put("k", "v");
    assertEquals("v", m.getCache(name).get("k"));
    assertTrue(java.lang.management.ManagementFactory.getPlatformMBeanServer()
        .queryNames(null, null).stream().anyMatch(n -> n.toString().contains("tenant") && n.toString().contains("acme")));
    m.destroyCache(name);
    assertNull(m.getCache(name));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void getCacheChecksTypes(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    m.createCache("a", typed());
    assertThrows(ClassCastException.class, () -> m.getCache("a", String.class, String.class));
    assertThrows(ClassCastException.class, () -> m.getCache("a", Integer.class, Integer.class));
    assertThrows(ClassCastException.class, () -> m.getCache("a", Object.class, Object.class));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void destroyCacheRemovesItAndItsData(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    Cache<String, Integer> a = m.createCache("a", typed());
    Cache<String, Integer> keep = m.createCache("keep", typed());
    a.put("x", 1);
    keep.put("x", 2);
    m.destroyCache("a");
    assertTrue(a.isClosed());
    assertFalse(names(m).contains("a"));
    assertNull(m.getCache("a"));
    m.destroyCache("never-created"); // no-op
    Cache<String, Integer> again = m.createCache("a", typed());
    assertNull(again.get("x"), "destroyCache removes the cache's entries");
    assertEquals(2, keep.get("x"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void closeClosesCachesAndRefusesUse(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    Cache<String, Integer> a = m.createCache("a", typed());
    a.put("x", 1);
    assertFalse(m.isClosed());
    m.close();
    assertTrue(m.isClosed());
    assertTrue(a.isClosed());
    assertThrows(IllegalStateException.class, () -> a.get("x"));
    assertThrows(IllegalStateException.class, () -> m.createCache("b", typed()));
    assertThrows(IllegalStateException.class, () -> m.getCache("a"));
    assertThrows(IllegalStateException.class, m::getCacheNames);
    m.close(); // twice is harmless

    CacheManager reopened = managers.open(m.getURI());
    assertTrue(reopened != m, "a closed manager is replaced by a new one");
    assertFalse(reopened.isClosed());
    Cache<String, Integer> a2 = reopened.createCache("a", typed());
    assertEquals(1, a2.get("x"), "data outlives the manager");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void unwrapAndProperties(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    assertSame(m, m.unwrap(NewcacheCacheManager.class));
    assertSame(m, m.unwrap(CacheManager.class));
    assertThrows(IllegalArgumentException.class, () -> m.unwrap(String.class));
    assertNotNull(m.getProperties());
    assertSame(CacheManagerTest.class.getClassLoader(), m.getClassLoader());
  }
}
