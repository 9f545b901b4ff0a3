package io.github.newcache.security;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Java serialization streams built to make deserializing them costly while every class is on the
 * built-in allow-list and the JEP 290 limits (depth 64, a million references, the item size) hold.
 * Each is built so that building it here is cheap: containers are filled after they were inserted,
 * so their stored hashes are stale, which serialization does not care about.
 */
final class HostileStreams {

  private HostileStreams() {}

  /**
   * The classic nested-set bomb: {@code depth} levels of two sets, each holding both sets of the next
   * level. Reading level 0 hashes 2^depth sets. About 1.7 KB at depth 30.
   */
  static Set<Object> nestedSets(int depth) {
    Set<Object> root = new HashSet<>();
    Set<Object> s1 = root;
    Set<Object> s2 = new HashSet<>();
    for (int i = 0; i < depth; i++) {
      Set<Object> t1 = new HashSet<>();
      Set<Object> t2 = new HashSet<>();
      t1.add("foo"); // t1 and t2 differ
      s1.add(t1);
      s1.add(t2);
      s2.add(t1);
      s2.add(t2);
      s1 = t1;
      s2 = t2;
    }
    return root;
  }

  /**
   * {@code width} sets per level, each holding its own marker and every set of the next level: the
   * hash of a top set visits width^depth sets, with width x width x depth references.
   */
  static Set<Object> wideSets(int width, int depth) {
    List<List<Set<Object>>> levels = new ArrayList<>();
    for (int d = 0; d < depth; d++) {
      List<Set<Object>> level = new ArrayList<>();
      for (int i = 0; i < width; i++) {
        Set<Object> s = new HashSet<>();
        s.add("m" + d + "." + i); // distinct before it is put anywhere
        level.add(s);
      }
      levels.add(level);
    }
    Set<Object> root = new HashSet<>(levels.get(0));
    for (int d = 0; d + 1 < depth; d++) { // top down: the sets added hold only their marker yet
      for (Set<Object> s : levels.get(d)) {
        s.addAll(levels.get(d + 1));
      }
    }
    return root;
  }

  /**
   * A map whose {@code 2^bits} keys are distinct lists of {@code "Aa"} and {@code "BB"} (equal
   * hashes), so every list has the same hash and lists are not Comparable: each insert while reading
   * compares the key with all keys before it. Built with distinct hashes and changed afterwards.
   */
  static Map<Object, Object> collidingKeys(int bits) {
    Map<Object, Object> map = new HashMap<>();
    List<List<String>> keys = new ArrayList<>();
    for (int i = 0; i < 1 << bits; i++) {
      List<String> key = new ArrayList<>();
      key.add("unique-" + i);
      map.put(key, 0);
      keys.add(key);
    }
    for (int i = 0; i < keys.size(); i++) {
      List<String> key = keys.get(i);
      key.clear();
      for (int b = 0; b < bits; b++) {
        key.add((i >>> b & 1) == 0 ? "Aa" : "BB");
      }
    }
    return map;
  }

  /** {@code o} serialized. */
  static byte[] serialize(Object o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The default codec's form of a Java-serialized stream: tag {@code O} then the stream. */
  static byte[] tagged(byte[] stream) {
    byte[] out = new byte[stream.length + 1];
    out[0] = 'O';
    System.arraycopy(stream, 0, out, 1, stream.length);
    return out;
  }

  /** {@code stream} with every occurrence of {@code from} replaced by {@code to} (same length). */
  static byte[] rename(byte[] stream, String from, String to) {
    byte[] f = from.getBytes(StandardCharsets.UTF_8);
    byte[] t = to.getBytes(StandardCharsets.UTF_8);
    if (f.length != t.length) {
      throw new IllegalArgumentException("names must have the same length");
    }
    byte[] out = stream.clone();
    int found = 0;
    for (int i = 0; i + f.length <= out.length; i++) {
      boolean match = true;
      for (int j = 0; j < f.length && match; j++) {
        match = out[i + j] == f[j];
      }
      if (match) {
        System.arraycopy(t, 0, out, i, t.length);
        found++;
      }
    }
    if (found == 0) {
      throw new IllegalArgumentException(from + " does not occur in the stream");
    }
    return out;
  }
}
