package io.github.newcache.internal.store;

import io.github.newcache.codec.ValueCodec;

/**
 * A value checked and encoded for one slot, ready to store: the value itself (for events and
 * writers) and its bytes, with room in front for the envelope header that the store fills in when
 * it writes, so a write allocates and copies the value once.
 *
 * <p>A {@code byte[]} value headed for a blind set within the caller's call is not encoded at first
 * ({@link EntryStore#encodeForSet}): the set copies the caller's bytes straight into its request
 * behind a header, so they are copied once in all. Should anything ask for the bytes before then,
 * they are encoded at that moment.
 */
public final class Encoded<V> {

  private final V value;
  private byte[] bytes;
  /** Encodes {@link #value} when {@link #bytes} is asked for and not encoded yet; else null. */
  private final ValueCodec codec;
  private final int headroom;

  Encoded(V value, byte[] bytes) {
    this.value = value;
    this.bytes = bytes;
    this.codec = null;
    this.headroom = 0;
  }

  /** A {@code byte[]} value not encoded yet, whose encoding is {@code codec}'s with {@code headroom}. */
  Encoded(V value, ValueCodec codec, int headroom) {
    this.value = value;
    this.codec = codec;
    this.headroom = headroom;
  }

  public V value() {
    return value;
  }

  byte[] bytes() {
    if (bytes == null) {
      bytes = codec.encode(value, headroom);
    }
    return bytes;
  }

  /** The caller's bytes while this value is not encoded yet, to be written after a header; else null. */
  byte[] unencoded() {
    return bytes == null ? (byte[]) value : null;
  }
}
