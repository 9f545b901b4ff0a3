package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NewcacheCache;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.zip.GZIPOutputStream;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.Test;

/**
 * Values planted straight into memcached are never deserialized unless their classes are allowed:
 * a gadget class reads as a miss (counted) and its readObject never runs, in get, getAll and the
 * iterator; spymemcached-style serialized and gzip items are misses and nothing is inflated.
 */
@ExtendWith(MemcachedExtension.class)
class SafeDeserializationTest {

  private static LocalMemcached server;

  @BeforeAll
  static void server(LocalMemcached started) {
    server = started; // started and stopped with the class by MemcachedExtension
  }

  private static CacheManager manager(String flavor, String allow) {
    Properties p = new Properties();
    if (allow != null) {
      p.setProperty("deserializationAllow", allow);
    }
    return Caching.getCachingProvider()
        .getCacheManager(
            URI.create("memcached://" + server.address() + "/?flavor=" + flavor),
            SafeDeserializationTest.class.getClassLoader(),
            p);
  }

  private static void plant(String flavor, String cache, String key, byte[] value) {
    RawItems.set(server.host(), server.port(), RawItems.memcachedKey(flavor, 1, cache, key), 0,
        RawItems.envelope(cache, key, value));
  }

  @Test
  void aPlantedGadgetIsAMissAndItsReadObjectNeverRuns() {
    try (CacheManager m = manager("gadget", null)) {
      Cache<String, Object> c = m.createCache("objects", new MutableConfiguration<String, Object>());
      c.put("fine", new ArrayList<>(List.of(1, "two", BigDecimal.TEN)));
      plant("gadget", "objects", "evil", RawItems.serializedValue(new Gadget()));
      // a gadget hidden inside an allowed container is refused too
      HashMap<String, Object> box = new HashMap<>();
      box.put("inner", new Gadget());
      plant("gadget", "objects", "boxed", RawItems.serializedValue(box));
      int before = Gadget.READS.get();

      assertNull(c.get("evil"));
      assertNull(c.get("boxed"));
      assertEquals(Set.of("fine"), c.getAll(Set.of("evil", "boxed", "fine")).keySet());
      List<String> iterated = new ArrayList<>();
      c.forEach(e -> iterated.add(e.getKey()));
      assertEquals(List.of("fine"), iterated);
      assertEquals(new ArrayList<>(List.of(1, "two", BigDecimal.TEN)), c.get("fine"));

      assertEquals(before, Gadget.READS.get(), "a gadget's readObject ran");
      long rejected = c.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries();
      assertTrue(rejected >= 6, "rejections counted: " + rejected);
    }
  }

  @Test
  void configuredTypesTheirFieldsAndAllowedPatternsAreReadable() {
    try (CacheManager m = manager("typed", "io.github.newcache.security.Gadget")) {
      Cache<String, Order> orders =
          m.createCache("orders", new MutableConfiguration<String, Order>().setTypes(String.class, Order.class));
      Order o = new Order("o1", new Order.Customer("Ada"), List.of(BigDecimal.ONE));
      orders.put("o1", o);
      assertEquals(o, orders.get("o1"));

      Cache<String, Object> objects = m.createCache("objects", new MutableConfiguration<String, Object>());
      int before = Gadget.READS.get();
      objects.put("g", new Gadget());
      assertTrue(objects.get("g") instanceof Gadget, "allowed by deserializationAllow");
      assertEquals(before + 1, Gadget.READS.get());
      assertEquals(0, objects.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries());
    }
  }

  @Test
  void spymemcachedSerializedAndCompressedItemsAreMissesWithoutInflation() throws IOException {
    try (CacheManager m = manager("spy", null)) {
      Cache<String, Object> c = m.createCache("objects", new MutableConfiguration<String, Object>());
      // spymemcached's SerializingTranscoder: flag 1 = serialized, flag 2 = gzip-compressed
      byte[] serialized = RawItems.serializedValue(new Gadget());
      RawItems.set(server.host(), server.port(), RawItems.memcachedKey("spy", 1, "objects", "serialized"), 1,
          java.util.Arrays.copyOfRange(serialized, 1, serialized.length));
      byte[] bomb = gzipOfZeros(64 << 20); // 64 MB of zeros in ~64 KB
      assertTrue(bomb.length < 200_000);
      RawItems.set(server.host(), server.port(), RawItems.memcachedKey("spy", 1, "objects", "bomb"), 2, bomb);
      int before = Gadget.READS.get();
      Runtime rt = Runtime.getRuntime();
      long usedBefore = rt.totalMemory() - rt.freeMemory();
      long start = System.nanoTime();

      assertNull(c.get("serialized"));
      assertNull(c.get("bomb"));
      assertFalse(c.containsKey("bomb"));

      long millis = (System.nanoTime() - start) / 1_000_000;
      long grown = (rt.totalMemory() - rt.freeMemory()) - usedBefore;
      assertEquals(before, Gadget.READS.get());
      assertTrue(millis < 2000, "reading the bomb took " + millis + " ms");
      assertTrue(grown < 32L << 20, "heap grew by " + grown + " bytes: something inflated the bomb");
    }
  }

  private static byte[] gzipOfZeros(int size) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (GZIPOutputStream gz = new GZIPOutputStream(bytes)) {
      byte[] zeros = new byte[1 << 16];
      for (int i = 0; i < size; i += zeros.length) {
        gz.write(zeros);
      }
    }
    return bytes.toByteArray();
  }
}
