package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NewcacheCache;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Items planted by anyone who can write to memcached, built so that deserializing them is costly
 * with every class on the allow-list and every JEP 290 limit respected: each is decoded or refused
 * in milliseconds, counted, and the cache keeps working. Values of legitimate shapes near the
 * limits still decode. A typed cache never hands out a value of another type.
 */
@ExtendWith(MemcachedExtension.class)
class DecodingBombTest {

  /**
   * The bound asserted, in CPU time of the reading thread: the clock also counts time this busy
   * 2-core machine gives to other processes. Measured values are printed (a few ms for the nested
   * sets; the colliding keys stop at their CPU limit, 50 ms + 1 ms per 2 KB of item).
   */
  private static final long MAX_CPU_MILLIS = 1000;

  private static Cache<String, Object> objects(TestManagers managers) {
    Properties p = new Properties();
    p.setProperty("deserializationAllow", "io.github.newcache.security.**");
    CacheManager m = managers.open(managers.uri(Protocol.BINARY), DecodingBombTest.class.getClassLoader(), p);
    return m.createCache("objects", new MutableConfiguration<String, Object>());
  }

  private static void plant(TestManagers managers, String cache, String key, byte[] value) {
    LocalMemcached s = managers.server();
    RawItems.set(s.host(), s.port(), RawItems.memcachedKey(managers.flavor(), 1, cache, key), 0,
        RawItems.envelope(cache, key, value));
  }

  private static long rejected(Cache<?, ?> c) {
    return c.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries();
  }

  /** Reads {@code key}, which must be a miss, within {@link #MAX_CPU_MILLIS} of CPU time. */
  private static void missWithin(Cache<String, Object> c, String key, String what) {
    long before = rejected(c);
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long[] cpu = new long[1];
    long start = System.nanoTime();
    Object v = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      long cpuStart = threads.getCurrentThreadCpuTime();
      Object read = c.get(key);
      cpu[0] = (threads.getCurrentThreadCpuTime() - cpuStart) / 1_000_000;
      return read;
    }, what + " took over 10 s");
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("%s: refused after %d ms CPU, %d ms on the clock%n", what, cpu[0], millis);
    assertNull(v, what);
    assertEquals(before + 1, rejected(c), what + " is counted");
    assertTrue(cpu[0] < MAX_CPU_MILLIS, what + " took " + cpu[0] + " ms of CPU");
  }

  @Test
  void theNestedSetBombIsRefusedInMilliseconds(TestManagers managers) {
    Cache<String, Object> c = objects(managers);
    byte[] bomb = HostileStreams.serialize(HostileStreams.nestedSets(30));
    assertTrue(bomb.length < 2000, "a " + bomb.length + "-byte item");
    plant(managers, "objects", "bomb", HostileStreams.tagged(bomb));
    c.put("fine", "still here");

    missWithin(c, "bomb", "nested sets, depth 30 (" + bomb.length + " bytes)");
    assertEquals(Map.of("fine", "still here"), c.getAll(Set.of("bomb", "fine")));
    List<String> iterated = new ArrayList<>();
    c.forEach(e -> iterated.add(e.getKey()));
    assertEquals(List.of("fine"), iterated);
  }

  @Test
  void wideAndDeepSharingIsRefusedInMilliseconds(TestManagers managers) {
    Cache<String, Object> c = objects(managers);
    byte[] wide = HostileStreams.serialize(HostileStreams.wideSets(8, 12)); // 8^12 paths
    plant(managers, "objects", "wide", HostileStreams.tagged(wide));
    missWithin(c, "wide", "8 sets per level, 12 levels (" + wide.length + " bytes)");
  }

  @Test
  void keysWhoseHashesAllCollideAreReadOrRefusedInMilliseconds(TestManagers managers) {
    Cache<String, Object> c = objects(managers);
    byte[] colliding = HostileStreams.serialize(HostileStreams.collidingKeys(13));
    assertTrue(colliding.length < 1_000_000, colliding.length + " bytes fit in one item");
    plant(managers, "objects", "colliding", HostileStreams.tagged(colliding));
    missWithin(c, "colliding", "8192 colliding list keys (" + colliding.length + " bytes)");
  }

  /** A tree node of a user's own type. */
  record Node(int id, List<Node> children) implements Serializable {}

  private static Node tree(int depth, int fanout, int[] ids) {
    List<Node> children = new ArrayList<>();
    if (depth > 1) {
      for (int i = 0; i < fanout; i++) {
        children.add(tree(depth - 1, fanout, ids));
      }
    }
    return new Node(ids[0]++, children);
  }

  @Test
  void legitimateValuesNearTheLimitsStillDecode(TestManagers managers) {
    Cache<String, Object> c = objects(managers);
    Map<String, Object> values = new HashMap<>();
    List<String> strings = new ArrayList<>();
    for (int i = 0; i < 50_000; i++) {
      strings.add("s" + i);
    }
    values.put("list of 50k strings", strings);
    Map<String, List<Integer>> rows = new HashMap<>();
    for (int i = 0; i < 4_000; i++) {
      List<Integer> row = new ArrayList<>();
      for (int j = 0; j < 20; j++) {
        row.add(i * j);
      }
      rows.put("row" + i, row);
    }
    values.put("map of 4k rows of 20", rows);
    values.put("deep chain", tree(25, 1, new int[1])); // two levels per node: depth 50 of 64
    values.put("tree of 16k nodes", tree(15, 2, new int[1]));
    List<Object> shared = new ArrayList<>();
    List<Integer> block = new ArrayList<>(Collections.nCopies(100, 7));
    for (int i = 0; i < 2_000; i++) {
      shared.add(block); // 2000 references to one 100-element list
    }
    values.put("one list shared 2000 times", shared);
    for (Map.Entry<String, Object> e : values.entrySet()) {
      c.put(e.getKey(), e.getValue());
      long start = System.nanoTime();
      Object read = c.get(e.getKey());
      System.out.printf("%s: read in %d ms%n", e.getKey(), (System.nanoTime() - start) / 1_000_000);
      assertTrue(e.getValue().equals(read), e.getKey() + " reads back equal"); // no 1 MB message
    }
    assertEquals(0, rejected(c), "nothing legitimate was refused");
  }

  @Test
  void aTypedCacheTreatsAValueOfAnotherTypeAsForeign(TestManagers managers) {
    CacheManager m = managers.open(Protocol.BINARY);
    Cache<String, String> strings =
        m.createCache("strings", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    Cache<String, Integer> numbers =
        m.createCache("numbers", new MutableConfiguration<String, Integer>().setTypes(String.class, Integer.class));
    plant(managers, "strings", "set", HostileStreams.tagged(HostileStreams.serialize(new java.util.HashSet<>(Set.of("a")))));
    plant(managers, "numbers", "text", new byte[] {'S', 'x'});
    strings.put("ok", "fine");

    Object fromStrings = strings.get("set");
    Object fromNumbers = numbers.get("text");
    assertNull(fromStrings, "a HashSet from a cache of Strings");
    assertNull(fromNumbers, "a String from a cache of Integers");
    assertEquals(Map.of("ok", "fine"), strings.getAll(Set.of("set", "ok")));
    assertEquals(2, rejected(strings), "counted");
    assertEquals(1, rejected(numbers), "counted");
  }
}
