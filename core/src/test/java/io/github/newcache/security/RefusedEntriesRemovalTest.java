package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.math.BigDecimal;
import java.util.List;
import javax.cache.Cache;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code removeAll()} (Spring's {@code @CacheEvict(allEntries = true)}) removes every entry of the
 * cache, also those whose key or value class this JVM refuses to deserialize: removing needs only
 * the envelope's proof of ownership, not the classes. The iterator may skip them.
 */
@ExtendWith(MemcachedExtension.class)
class RefusedEntriesRemovalTest {

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void removeAllRemovesEntriesWhoseClassesThisJvmRefuses(Protocol p, TestManagers managers) {
    MutableConfiguration<Object, Object> objects = new MutableConfiguration<>();
    Cache<Object, Object> allowing =
        managers.open(p, "deserializationAllow=" + Order.class.getName() + "*&opTimeout=3001").createCache("orders", objects);
    Cache<Object, Object> refusing = managers.open(p, "opTimeout=3002").createCache("orders", objects);
    Order order = new Order("o1", new Order.Customer("ada"), List.of(BigDecimal.ONE));
    allowing.put("plain", "kept?");
    allowing.put("order-value", order);
    allowing.put(order, "order-key");

    assertNull(refusing.get("order-value"), "this JVM refuses the class: a miss");
    refusing.removeAll();

    assertNull(allowing.get("plain"));
    assertNull(allowing.get("order-value"), "an entry with a refused value class is removed");
    assertNull(allowing.get(order), "an entry with a refused key class is removed");
    assertFalse(allowing.iterator().hasNext(), "nothing of the cache is left");
    assertEquals(0, count(refusing));
  }

  private static int count(Cache<Object, Object> c) {
    int n = 0;
    for (Cache.Entry<Object, Object> ignored : c) {
      n++;
    }
    return n;
  }
}
