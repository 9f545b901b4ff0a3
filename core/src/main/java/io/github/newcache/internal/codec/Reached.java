package io.github.newcache.internal.codec;

import java.util.Arrays;

/**
 * Objects still being read that a part of a serialization stream reaches, each with the number of
 * paths that lead to it ({@link StreamShape}): what hashing that part takes beyond its fixed cost
 * grows with what they show. Handles are kept in ascending order. One object at a time may change
 * an instance in place (its owner); everyone else shares it unchanged and copies it to change it.
 */
final class Reached {

  private int[] handles;
  private long[] paths;
  private int size;

  private Reached(int capacity) {
    handles = new int[capacity];
    paths = new long[capacity];
  }

  /** One path to {@code handle}. */
  static Reached of(int handle) {
    Reached r = new Reached(1);
    r.handles[0] = handle;
    r.paths[0] = 1;
    r.size = 1;
    return r;
  }

  Reached copy() {
    Reached r = new Reached(Math.max(2, size));
    System.arraycopy(handles, 0, r.handles, 0, size);
    System.arraycopy(paths, 0, r.paths, 0, size);
    r.size = size;
    return r;
  }

  int size() {
    return size;
  }

  int handle(int i) {
    return handles[i];
  }

  long paths(int i) {
    return paths[i];
  }

  /** Paths to {@code handle}. */
  long pathsTo(int handle) {
    int i = Arrays.binarySearch(handles, 0, size, handle);
    return i < 0 ? 0 : paths[i];
  }

  /** Adds {@code times} the paths of {@code other}, in place, in one pass over both. */
  void addAll(Reached other, long times) {
    if (other.size == 1) {
      add(other.handles[0], GraphCosts.times(other.paths[0], times));
      return;
    }
    int[] h = new int[size + other.size];
    long[] p = new long[h.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < size || j < other.size) {
      if (j == other.size || (i < size && handles[i] < other.handles[j])) {
        h[n] = handles[i];
        p[n++] = paths[i++];
      } else {
        long added = GraphCosts.times(other.paths[j], times);
        if (i < size && handles[i] == other.handles[j]) {
          added = GraphCosts.plus(paths[i++], added);
        }
        h[n] = other.handles[j++];
        p[n++] = added;
      }
    }
    handles = h;
    paths = p;
    size = n;
  }

  /** Adds {@code n} paths to {@code handle}, in place. */
  void add(int handle, long n) {
    int i = Arrays.binarySearch(handles, 0, size, handle);
    if (i >= 0) {
      paths[i] = GraphCosts.plus(paths[i], n);
      return;
    }
    i = -i - 1;
    if (size == handles.length) {
      handles = Arrays.copyOf(handles, size * 2);
      paths = Arrays.copyOf(paths, size * 2);
    }
    System.arraycopy(handles, i, handles, i + 1, size - i);
    System.arraycopy(paths, i, paths, i + 1, size - i);
    handles[i] = handle;
    paths[i] = n;
    size++;
  }

  /** Removes {@code handle}, in place; returns the paths it had. */
  long remove(int handle) {
    int i = Arrays.binarySearch(handles, 0, size, handle);
    if (i < 0) {
      return 0;
    }
    long n = paths[i];
    System.arraycopy(handles, i + 1, handles, i, size - i - 1);
    System.arraycopy(paths, i + 1, paths, i, size - i - 1);
    size--;
    return n;
  }
}
