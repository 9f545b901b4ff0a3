package io.github.newcache.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import net.spy.memcached.MemcachedClient;

/** Keys, values and the raw-spymemcached forms of the bulk operations, shared by the benchmarks. */
final class Data {

  private Data() {}

  /** Incompressible bytes, the same for both sides of a comparison. */
  static byte[] value(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  static String[] keys(String prefix, int n) {
    String[] keys = new String[n];
    for (int i = 0; i < n; i++) {
      keys[i] = prefix + i;
    }
    return keys;
  }

  /** Consecutive, disjoint batches of {@code size} keys, as ordered sets. */
  static List<Set<String>> batches(String[] keys, int size) {
    List<Set<String>> out = new ArrayList<>();
    for (int i = 0; i + size <= keys.length; i += size) {
      Set<String> batch = new LinkedHashSet<>();
      for (int j = i; j < i + size; j++) {
        batch.add(keys[j]);
      }
      out.add(batch);
    }
    return out;
  }

  static Map<String, byte[]> entries(Set<String> keys, byte[] value) {
    Map<String, byte[]> m = new LinkedHashMap<>();
    for (String k : keys) {
      m.put(k, value);
    }
    return m;
  }

  /** Raw putAll: pipelined sets, then wait for every acknowledgement. */
  static void rawSetAll(MemcachedClient client, Map<String, byte[]> entries) throws Exception {
    List<Future<Boolean>> futures = new ArrayList<>(entries.size());
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      futures.add(client.set(e.getKey(), 0, e.getValue(), Target.BYTES));
    }
    for (Future<Boolean> f : futures) {
      if (!f.get(Target.OP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("memcached did not store an item");
      }
    }
  }

  /** Raw removeAll: pipelined deletes, then wait for every answer. */
  static int rawDeleteAll(MemcachedClient client, Set<String> keys) throws Exception {
    List<Future<Boolean>> futures = new ArrayList<>(keys.size());
    for (String k : keys) {
      futures.add(client.delete(k));
    }
    int deleted = 0;
    for (Future<Boolean> f : futures) {
      if (f.get(Target.OP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        deleted++;
      }
    }
    return deleted;
  }

  /** Stores every batch through the side(s) under test, so reads find what that side wrote. */
  static void preload(Target t, List<Set<String>> batches, byte[] value) throws Exception {
    if (t.both()) {
      boolean was = t.raw;
      for (boolean side : new boolean[] {true, false}) {
        t.raw = side;
        preloadSide(t, batches, value);
      }
      t.raw = was;
      return;
    }
    preloadSide(t, batches, value);
  }

  private static void preloadSide(Target t, List<Set<String>> batches, byte[] value) throws Exception {
    for (Set<String> batch : batches) {
      Map<String, byte[]> m = entries(batch, value);
      if (t.raw) {
        rawSetAll(t.client, m);
      } else {
        t.cache.putAll(m);
      }
    }
    String probe = batches.get(0).iterator().next();
    byte[] back = get(t, probe);
    if (back == null || back.length != value.length) {
      throw new IllegalStateException("preload failed: " + probe + " reads back " + (back == null ? "nothing" : back.length + " bytes"));
    }
  }

  static byte[] get(Target t, String key) {
    return t.raw ? t.client.get(key, Target.BYTES) : t.cache.get(key);
  }

  static void put(Target t, String key, byte[] value) throws Exception {
    if (t.raw) {
      if (!t.client.set(key, 0, value, Target.BYTES).get(Target.OP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS)) {
        throw new IllegalStateException("memcached did not store " + key);
      }
    } else {
      t.cache.put(key, value);
    }
  }

  static Cache<String, byte[]> cache(Target t) {
    return t.cache;
  }
}
