package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NewcacheCache;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
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
    LocalMemcached s = managers.server();
    RawItems.set(s.host(), s.port(), RawItems.memcachedKey(managers.flavor(), 1, "orders", key), 0,
        RawItems.envelope("orders", key, value));
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
    byte[] customer = HostileStreams.serialize(new Order.Customer("Bob"));
    plant(managers, "missing", HostileStreams.tagged(HostileStreams.rename(customer, "Order$Customer", "Order$Customex")));
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
}
