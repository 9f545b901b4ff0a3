package io.github.newcache.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/** Keys, values and batches shared by the benchmarks: every side gets the very same ones. */
final class Data {

  private Data() {}

  /** Incompressible bytes, the same for every side of a comparison. */
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

  /** Stores every batch through every side, so each side's reads find what it wrote itself. */
  static void preload(Target t, List<Set<String>> batches, byte[] value) {
    for (Side side : t.sides()) {
      for (Set<String> batch : batches) {
        side.putAll(entries(batch, value));
      }
      String probe = batches.get(0).iterator().next();
      byte[] back = side.get(probe);
      if (back == null || back.length != value.length) {
        throw new IllegalStateException(
            side.id() + ": preload failed: " + probe + " reads back " + (back == null ? "nothing" : back.length + " bytes"));
      }
    }
  }
}
