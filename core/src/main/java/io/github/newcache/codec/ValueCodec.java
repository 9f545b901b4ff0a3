package io.github.newcache.codec;

/**
 * Turns cache values into bytes and back. Choose one with {@code valueCodec=<class name>} in the
 * manager URI or properties file, or per cache with {@link io.github.newcache.NewcacheConfiguration}.
 * Implementations need a public no-argument constructor and must be thread-safe.
 *
 * <p>Every stored entry says which codec wrote it ({@link #id()}), so that clients sharing a cache
 * with different codecs never read each other's bytes as values: an entry another codec wrote is a
 * miss, counted in {@code FailureStatisticsMXBean.getRejectedEntries}. The default codec's entries
 * keep the storage format of version 0.1.0 (formats 1 and 2 in the README's storage format); any
 * other codec's entries carry a short hash of its id (formats 3 and 4), which versions before 0.2.0
 * do not read. Version 0.1.0 stored every codec's entries as formats 1 and 2, so a custom codec's
 * entries from then read as the default codec's (counted misses) until rewritten or expired, unless
 * the codec returns {@link DefaultValueCodec}'s id (see the README's storage format).
 */
public interface ValueCodec {

  /**
   * The name of this codec's encoding. Entries record a hash of it (the first 4 bytes of the MD5 of
   * its UTF-8 bytes), and a cache reads only the entries its own codec's id wrote; so two codecs
   * with the same id must read each other's bytes, and a codec whose encoding changes
   * incompatibly should change its id (say {@code "com.example.JsonCodec/2"}). The default, the
   * class name, keeps every class apart (a subclass of {@link DefaultValueCodec} keeps that
   * class's id unless it overrides {@code encode} or {@code decode}: see {@link
   * DefaultValueCodec#id()}); a codec that is renamed or moved but keeps its bytes returns its old
   * id. A codec returning {@link DefaultValueCodec}'s id (its class name) declares that it writes
   * exactly the default codec's bytes, and its entries are stored as the default codec's, as
   * version 0.1.0 stored every codec's. Called once per cache, when the cache is created.
   *
   * @return a non-empty name of the encoding, the same in every JVM that shares the cache
   */
  default String id() {
    return getClass().getName();
  }

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
