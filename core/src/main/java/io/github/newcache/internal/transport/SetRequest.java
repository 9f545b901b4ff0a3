package io.github.newcache.internal.transport;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;

/** The whole request of a set of ours ({@link EncodedSet}), and where the item lies in it. */
final class SetRequest {

  private final String key;
  private final List<String> keys;
  private final int exptime;
  private final byte[] encoded;
  private final ByteBuffer buffer;
  private final int dataStart;
  private final int dataLength;

  /**
   * @param key the memcached key
   * @param exptime memcached's expiry
   * @param encoded the whole request
   * @param dataStart where the item starts in {@code encoded}
   * @param dataLength the item's length
   */
  SetRequest(String key, int exptime, byte[] encoded, int dataStart, int dataLength) {
    this.key = key;
    this.keys = List.of(key);
    this.exptime = exptime;
    this.encoded = encoded;
    this.buffer = ByteBuffer.wrap(encoded);
    this.dataStart = dataStart;
    this.dataLength = dataLength;
  }

  /** The request from its start, for spymemcached to write (again, when it retries). */
  ByteBuffer rewound() {
    return buffer.position(0);
  }

  String key() {
    return key;
  }

  List<String> keys() {
    return keys;
  }

  int exptime() {
    return exptime;
  }

  int dataLength() {
    return dataLength;
  }

  /** The item, copied out of the request. */
  byte[] data() {
    return Arrays.copyOfRange(encoded, dataStart, dataStart + dataLength);
  }

  /** The request's length in bytes. */
  int length() {
    return encoded.length;
  }
}
