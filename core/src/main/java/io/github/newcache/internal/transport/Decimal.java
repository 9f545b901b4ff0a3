package io.github.newcache.internal.transport;

import java.nio.ByteBuffer;

/** Writes ints in ASCII decimal into requests without making strings of them. */
final class Decimal {

  private Decimal() {}

  /** The characters of {@code v} in decimal, its sign included. */
  static int length(int v) {
    return v < 0 ? 1 + digits(-(long) v) : digits(v);
  }

  /** Puts {@code v} in decimal at {@code b}'s position and moves past it. */
  static void put(ByteBuffer b, int v) {
    long rest = v;
    if (rest < 0) {
      b.put((byte) '-');
      rest = -rest;
    }
    int end = b.position() + digits(rest);
    for (int at = end - 1; at >= b.position(); at--) {
      b.put(at, (byte) ('0' + rest % 10));
      rest /= 10;
    }
    b.position(end);
  }

  private static int digits(long v) {
    int n = 1;
    for (long rest = v; rest >= 10; rest /= 10) {
      n++;
    }
    return n;
  }
}
