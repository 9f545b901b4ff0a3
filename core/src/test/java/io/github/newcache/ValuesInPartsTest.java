package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.security.RawItems;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A {@code byte[]} cache reads its items in two parts (the key's header and the value's tag, then
 * the caller's bytes, handed over as read), with the meta get in the text protocol and a get of
 * ours in the binary one: every value comes back as stored, in an array of the caller's own, and an
 * item that is not exactly this key's entry reads as absent, as it does when read whole.
 */
@ExtendWith(MemcachedExtension.class)
class ValuesInPartsTest {

  private static final int[] SIZES = {0, 1, 2, 100, 10_240, 600_000};

  private static Cache<String, byte[]> bytesCache(Protocol p, TestManagers managers, String name) {
    return managers.open(p).createCache(name, new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void everyValueComesBackAsStoredInAnArrayOfItsOwn(Protocol p, TestManagers managers) {
    Cache<String, byte[]> c = bytesCache(p, managers, "parts");
    Random random = new Random(11);
    byte[][] values = new byte[SIZES.length][];
    Set<String> keys = new LinkedHashSet<>();
    for (int i = 0; i < SIZES.length; i++) {
      values[i] = new byte[SIZES[i]];
      random.nextBytes(values[i]);
      c.put("k" + i, values[i]);
      keys.add("k" + i);
    }
    keys.add("absent");
    for (int i = 0; i < SIZES.length; i++) {
      byte[] first = c.get("k" + i);
      assertArrayEquals(values[i], first, SIZES[i] + " bytes");
      Arrays.fill(first, (byte) 1);
      byte[] second = c.get("k" + i);
      assertNotSame(first, second);
      assertArrayEquals(values[i], second, "changing a returned value changes no later read: " + SIZES[i] + " bytes");
    }
    Map<String, byte[]> all = c.getAll(keys);
    assertEquals(SIZES.length, all.size(), "the hits, and only them");
    for (int i = 0; i < SIZES.length; i++) {
      assertArrayEquals(values[i], all.get("k" + i), "getAll, " + SIZES[i] + " bytes");
    }
    assertNull(c.get("absent"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anItemThatIsNotExactlyThisKeysEntryReadsAsAbsent(Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<String, byte[]> c = bytesCache(p, managers, "parts");
    byte[] bytes = new byte[10_240];
    new Random(3).nextBytes(bytes);
    byte[] tagged = new byte[bytes.length + 1];
    tagged[0] = 'B';
    System.arraycopy(bytes, 0, tagged, 1, bytes.length);
    byte[] asString = new byte[bytes.length + 1];
    asString[0] = 'S';
    Arrays.fill(asString, 1, asString.length, (byte) 'x');
    Map<String, byte[]> planted = Map.of(
        // another cache's entry for the same key: its namespace is one byte longer, so its header too
        "otherCache", RawItems.envelope("partsx", "otherCache", tagged),
        // this cache's entry for another key of the same length, and of another length
        "sameLength", RawItems.envelope("parts", "emaSLength", tagged),
        "otherLength", RawItems.envelope("parts", "otherLength2", tagged),
        // this key's entry, holding a String where the cache takes byte[]
        "aString", RawItems.envelope("parts", "aString", asString),
        // not an envelope at all
        "noise", Arrays.copyOf(bytes, bytes.length));
    for (Map.Entry<String, byte[]> e : planted.entrySet()) {
      raw.set(RawItems.memcachedKey(managers.flavor(), 1, "parts", e.getKey()), e.getValue());
    }
    raw.set(RawItems.memcachedKey(managers.flavor(), 1, "parts", "ours"), RawItems.envelope("parts", "ours", tagged));
    for (String key : planted.keySet()) {
      assertNull(c.get(key), key);
    }
    assertArrayEquals(bytes, c.get("ours"), "this key's entry, planted the same way, is read");
    Set<String> keys = new LinkedHashSet<>(planted.keySet());
    keys.add("ours");
    Map<String, byte[]> all = c.getAll(keys);
    assertEquals(Set.of("ours"), all.keySet());
    assertArrayEquals(bytes, all.get("ours"));
    long rejected = c.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries();
    assertTrue(rejected >= 2, "the String value refused, counted, by get and getAll: " + rejected);
  }
}
