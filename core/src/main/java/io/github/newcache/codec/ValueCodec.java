package io.github.newcache.codec;

/**
 * Turns cache values into bytes and back. Choose one with {@code valueCodec=<class name>} in the
 * manager URI or properties file, or per cache with {@link io.github.newcache.NewcacheConfiguration}.
 * Implementations need a public no-argument constructor and must be thread-safe.
 */
public interface ValueCodec {

  /**
   * The bytes for {@code value}; must throw {@link IllegalArgumentException} naming the problem
   * when the value cannot be encoded.
   */
  byte[] encode(Object value);

  /**
   * The encoding of {@code value} from index {@code headroom} on, leaving the first {@code
   * headroom} bytes for the caller's header, so a stored entry needs a single array. The default
   * copies {@link #encode(Object)}; override it to save that copy for large values.
   */
  default byte[] encode(Object value, int headroom) {
    byte[] encoded = encode(value);
    byte[] out = new byte[headroom + encoded.length];
    System.arraycopy(encoded, 0, out, headroom, encoded.length);
    return out;
  }

  /** The value stored as {@code data[offset, offset + length)}, loading classes with {@code loader}. */
  Object decode(byte[] data, int offset, int length, ClassLoader loader);
}
