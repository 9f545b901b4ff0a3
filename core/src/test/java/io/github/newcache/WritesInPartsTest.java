package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.security.RawItems;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import javax.cache.Cache;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A {@code byte[]} cache's blind {@code put} and {@code putAll} write the key's header and the
 * caller's bytes in two parts, straight into the set's request: memcached holds exactly the item a
 * whole write stores, the caller may change its array once the call returned, and a value over the
 * item limit is refused before anything is sent. In both protocols, each with its own set.
 */
@ExtendWith(MemcachedExtension.class)
class WritesInPartsTest {

  private static final int[] SIZES = {0, 1, 100, 10_240, 600_000};

  private static Cache<String, byte[]> bytesCache(Protocol p, TestManagers managers) {
    return managers.open(p).createCache("parts", new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
  }

  private static byte[] tagged(byte[] value) {
    byte[] out = new byte[value.length + 1];
    out[0] = 'B';
    System.arraycopy(value, 0, out, 1, value.length);
    return out;
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void putAndPutAllStoreExactlyTheItemOfAWholeWriteAndKeepNoHoldOnTheArray(
      Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<String, byte[]> c = bytesCache(p, managers);
    Random random = new Random(5);
    byte[][] values = new byte[SIZES.length][];
    Map<String, byte[]> batch = new LinkedHashMap<>();
    for (int i = 0; i < SIZES.length; i++) {
      values[i] = new byte[SIZES[i]];
      random.nextBytes(values[i]);
      c.put("put" + i, values[i]);
      batch.put("putAll" + i, values[i].clone());
    }
    c.putAll(batch);
    for (byte[] v : batch.values()) {
      Arrays.fill(v, (byte) 7); // the caller reuses its arrays once putAll returned
    }
    for (int i = 0; i < SIZES.length; i++) {
      byte[] expected = values[i].clone();
      Arrays.fill(values[i], (byte) 7);
      for (String key : new String[] {"put" + i, "putAll" + i}) {
        byte[] item = raw.get(RawItems.memcachedKey(managers.flavor(), 1, "parts", key));
        assertArrayEquals(RawItems.envelope("parts", key, tagged(expected)), item, key + ": the item a whole write stores");
        assertArrayEquals(expected, c.get(key), key);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aValueOverTheItemLimitIsRefusedBeforeAnythingIsSent(Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<String, byte[]> c = bytesCache(p, managers);
    long before = raw.stat("cmd_set");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.put("big", new byte[2 << 20]));
    assertTrue(e.getMessage().contains("big") && e.getMessage().contains("maxItemSize"), e.getMessage());
    Map<String, byte[]> batch = new LinkedHashMap<>();
    batch.put("small", new byte[] {1});
    batch.put("big", new byte[2 << 20]);
    assertThrows(IllegalArgumentException.class, () -> c.putAll(batch));
    assertTrue(raw.stat("cmd_set") == before, "no set reached memcached");
    assertNull(c.get("big"));
    assertNull(c.get("small"), "putAll refused the whole batch");
  }
}
