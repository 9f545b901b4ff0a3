package io.github.newcache.internal.store;

/**
 * A value checked and encoded for one slot, ready to store: the value itself (for events and
 * writers) and its bytes, with room in front for the envelope header that the store fills in when
 * it writes, so a write allocates and copies the value once.
 */
public final class Encoded<V> {

  private final V value;
  private final byte[] bytes;

  Encoded(V value, byte[] bytes) {
    this.value = value;
    this.bytes = bytes;
  }

  public V value() {
    return value;
  }

  byte[] bytes() {
    return bytes;
  }
}
