package io.github.newcache.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A collection that declares more elements than its stream could hold is refused before the JDK
 * allocates its array: an {@code ArrayList} of one element whose size field says 2^24 made the
 * JDK allocate 2^24 references (64 MB or more) on every read of a 90-byte item, bounded only by
 * the cache's item size (here 1 GiB, as {@code maxItemSize} allows).
 */
class ArrayLengthLimitTest {

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private static byte[] serialize(Object o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  private static ClassLoader loader() {
    return new FilteringClassLoader(ArrayLengthLimitTest.class.getClassLoader(),
        DeserializationFilter.forTypes(List.of(), List.of(), 1L << 30));
  }

  @Test
  void aCollectionDeclaringMoreElementsThanItsStreamHoldsIsRefusedBeforeItsArrayIsMade() throws Exception {
    byte[] data = serialize(new ArrayList<>(List.of(1)));
    // ArrayList's fields: its size (1), then its capacity in block data (77 04, then 1)
    byte[] sizeThenCapacity = {0, 0, 0, 1, 0x77, 4, 0, 0, 0, 1};
    int at = indexOf(data, sizeThenCapacity);
    assertTrue(at > 0, "the size field");
    data[at] = 1; // 2^24 elements
    ClassLoader loader = loader();
    long before = THREADS.getCurrentThreadAllocatedBytes();
    byte[] planted = data;
    assertThrows(RejectedValueException.class, () -> JavaSerialization.deserialize(planted, 0, planted.length, loader));
    long allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
    assertTrue(allocated < 8 << 20, allocated + " bytes allocated to refuse a " + data.length + "-byte item");
  }

  @Test
  void honestCollectionsStillRead() throws Exception {
    Map<String, List<Integer>> map = new HashMap<>();
    for (int i = 0; i < 1000; i++) {
      map.put("k" + i, new ArrayList<>(List.of(i)));
    }
    byte[] data = serialize(map);
    assertEquals(map, JavaSerialization.deserialize(data, 0, data.length, loader()));
    byte[] empty = serialize(new HashMap<>());
    assertEquals(Map.of(), JavaSerialization.deserialize(empty, 0, empty.length, loader()));
  }

  private static int indexOf(byte[] data, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= data.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (data[i + j] != part[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
