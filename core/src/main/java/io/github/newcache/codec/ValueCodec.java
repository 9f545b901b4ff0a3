package io.github.newcache.codec;

/**
 * Turns cache values into bytes and back. Choose one with {@code valueCodec=<class name>} in the
 * manager URI or properties file, or per cache with {@link io.github.newcache.NewcacheConfiguration}.
 * Implementations need a public no-argument constructor and must be thread-safe.
 */
public interface ValueCodec {

  /**
   * The bytes for {@code value}.
   *
   * @param value the value to store, not null
   * @return its encoding
   * @throws IllegalArgumentException if the value cannot be encoded; the message names the problem
   */
  byte[] encode(Object value);

  /**
   * The encoding of {@code value} from index {@code headroom} on, leaving the first {@code
   * headroom} bytes for the caller's header, so a stored entry needs a single array. The default
   * copies {@link #encode(Object)}; override it to save that copy for large values.
   *
   * @param value the value to store, not null
   * @param headroom how many bytes to leave free at the start
   * @return an array of {@code headroom} unused bytes followed by the encoding
   * @throws IllegalArgumentException if the value cannot be encoded; the message names the problem
   */
  default byte[] encode(Object value, int headroom) {
    byte[] encoded = encode(value);
    byte[] out = new byte[headroom + encoded.length];
    System.arraycopy(encoded, 0, out, headroom, encoded.length);
    return out;
  }

  /**
   * The value stored as {@code data[offset, offset + length)}.
   *
   * @param data the stored bytes (the caller's header included; do not modify them)
   * @param offset where this codec's encoding starts
   * @param length the encoding's length
   * @param loader the class loader for any classes the value needs
   * @return the value
   * @throws javax.cache.CacheException if the bytes are not a value this codec can decode
   */
  Object decode(byte[] data, int offset, int length, ClassLoader loader);
}
