package io.github.newcache.internal.transport;

import java.nio.ByteBuffer;

/**
 * An item as the transport read it: {@code head} followed by {@code tail}, two arrays when the item
 * was longer than the head length asked for and the transport reads in parts (see {@link
 * MemcachedTransport#getParts}), so the part after the head is an array of its own that the caller
 * may keep; else the whole item in {@code head} and a null {@code tail}.
 *
 * @param head the item's first bytes, or all of them when {@code tail} is null
 * @param tail the item's bytes after {@code head}, or null
 */
// Error Prone's ArrayRecordComponent: as Item, a read result handed from the transport to the
// store, never compared or hashed.
@SuppressWarnings("ArrayRecordComponent")
public record Parts(byte[] head, byte[] tail) {

  /**
   * Reads from {@code b} into an item being read as {@code head} followed by {@code tail} (null:
   * none), of which {@code read} bytes are in already: as many as {@code b} has, up to the item's
   * end; returns how many it read.
   */
  static int readInto(ByteBuffer b, byte[] head, byte[] tail, int read) {
    boolean inHead = read < head.length;
    byte[] into = inHead ? head : tail;
    int at = inHead ? read : read - head.length;
    int n = Math.min(into.length - at, b.remaining());
    b.get(into, at, n);
    return n;
  }

  /** Puts the item's bytes, head then tail, at {@code b}'s position. */
  void putInto(ByteBuffer b) {
    b.put(head);
    if (tail != null) {
      b.put(tail);
    }
  }

  /** The item's length in bytes. */
  public int length() {
    return head.length + (tail == null ? 0 : tail.length);
  }

  /** The item in one array: {@code head} itself, or a new array holding both parts. */
  public byte[] whole() {
    if (tail == null) {
      return head;
    }
    byte[] out = new byte[head.length + tail.length];
    System.arraycopy(head, 0, out, 0, head.length);
    System.arraycopy(tail, 0, out, head.length, tail.length);
    return out;
  }
}
