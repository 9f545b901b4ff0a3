package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NewcacheCache;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * A valid envelope around a value the codec cannot read, whatever its bytes, is a counted miss in
 * get, getAll and the iterator: never an exception, and the other entries stay readable.
 */
@ExtendWith(MemcachedExtension.class)
class MalformedItemsTest {

  private static void plant(TestManagers managers, String key, byte[] value) {
    LocalMemcached s = managers.server();
    RawItems.set(s.host(), s.port(), RawItems.memcachedKey(managers.flavor(), 1, "objects", key), 0,
        RawItems.envelope("objects", key, value));
  }

  private static byte[] bytes(char tag, int... values) {
    byte[] out = new byte[values.length + 1];
    out[0] = (byte) tag;
    for (int i = 0; i < values.length; i++) {
      out[i + 1] = (byte) values[i];
    }
    return out;
  }

  /** A serialized {@code int[3]} whose length field says -1. */
  private static byte[] negativeArrayLength() {
    byte[] s = HostileStreams.serialize(new int[] {1, 2, 3});
    int at = s.length - 12 - 4; // three ints, preceded by the length
    s[at] = s[at + 1] = s[at + 2] = s[at + 3] = (byte) 0xFF;
    return HostileStreams.tagged(s);
  }

  private static Map<String, byte[]> broken() {
    Map<String, byte[]> m = new LinkedHashMap<>();
    m.put("short int", bytes('I', 0, 1));
    m.put("short long", bytes('J', 0, 1, 2));
    m.put("short double", bytes('D', 1));
    m.put("short float", bytes('F'));
    m.put("short char", bytes('C', 1));
    m.put("long boolean", bytes('Z', 1, 1));
    m.put("odd utf-16", bytes('U', 0, 'a', 0));
    m.put("unknown tag", bytes('Q', 1, 2, 3));
    m.put("empty", new byte[0]);
    m.put("negative array length", negativeArrayLength());
    byte[] map = HostileStreams.tagged(HostileStreams.serialize(new HashMap<>(Map.of("a", 1, "b", List.of(2)))));
    m.put("truncated stream", java.util.Arrays.copyOf(map, map.length / 2));
    m.put("not a stream", bytes('O', 1, 2, 3, 4, 5));
    return m;
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void everyBrokenValueIsACountedMiss(Protocol p, TestManagers managers) {
    Cache<String, Object> c = managers.open(p).createCache("objects", new MutableConfiguration<String, Object>());
    NewcacheCache<?, ?> nc = c.unwrap(NewcacheCache.class);
    c.put("fine", List.of("still", "here"));
    Map<String, byte[]> broken = broken();
    broken.forEach((key, value) -> plant(managers, key, value));

    for (String key : broken.keySet()) {
      long before = nc.failureStatistics().getRejectedEntries();
      assertNull(c.get(key), key);
      assertEquals(before + 1, nc.failureStatistics().getRejectedEntries(), key + " is counted");
    }
    Set<String> all = new java.util.HashSet<>(broken.keySet());
    all.add("fine");
    assertEquals(Set.of("fine"), c.getAll(all).keySet());
    List<String> iterated = new ArrayList<>();
    c.forEach(e -> iterated.add(e.getKey()));
    assertEquals(List.of("fine"), iterated);
  }

  /**
   * Every single-bit flip of a serialized map (one flip gave a NullPointerException before) reads
   * as a miss or as some value, never as an exception.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void noSingleBitFlipOfASerializedMapThrows(Protocol p, TestManagers managers) {
    Cache<String, Object> c = managers.open(p).createCache("objects", new MutableConfiguration<String, Object>());
    HashMap<String, Object> value = new HashMap<>();
    value.put("name", "Ada");
    value.put("born", 1815);
    value.put("tags", new ArrayList<>(List.of("math", "engines")));
    byte[] good = HostileStreams.tagged(HostileStreams.serialize(value));
    int misses = 0;
    List<String> thrown = new ArrayList<>();
    for (int bit = 8; bit < good.length * 8; bit++) { // the tag byte stays 'O'
      byte[] flipped = good.clone();
      flipped[bit / 8] ^= (byte) (1 << (bit % 8));
      plant(managers, "flip", flipped);
      try {
        if (c.get("flip") == null) {
          misses++;
        }
      } catch (RuntimeException e) {
        thrown.add("bit " + bit + ": " + e);
      }
    }
    System.out.printf("%d single-bit flips of a %d-byte map: %d misses, %d thrown%n",
        good.length * 8 - 8, good.length, misses, thrown.size());
    assertEquals(List.of(), thrown);
    assertTrue(misses > 0);
  }
}
