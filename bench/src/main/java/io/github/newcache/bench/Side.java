package io.github.newcache.bench;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Future;

/**
 * One client under comparison, seen through the operations every peer offers: the benchmarks call
 * only these, so each side runs exactly the same loop over the same keys and value bytes, and the
 * difference between two sides is the client (and its server), nothing else.
 *
 * <p>Each implementation is configured the way its own documentation recommends for production,
 * with one exception everywhere: values are plain {@code byte[]} passed through untouched (no
 * serialization, no compression), so all sides move the same bytes. The reasons for each choice
 * are in the class's Javadoc and in the method section of {@code results/RESULTS.md}.
 */
interface Side extends AutoCloseable {

  /** How long a raw client waits for one answer, as our transport does. */
  int OP_TIMEOUT_MILLIS = 1000;

  /** memcached's default item size limit; the 500 KB values fit under it. */
  int MAX_ITEM_SIZE = 1024 * 1024;

  /** The side's id in {@code sides} parameters and in the report. */
  String id();

  /** The value, or null when absent. */
  byte[] get(String key);

  /**
   * Starts a get and returns at once; the future gives the value or null. Only the sides compared
   * on non-blocking gets implement it.
   */
  default Future<byte[]> getAsync(String key) {
    throw new UnsupportedOperationException(id() + " is not measured on async gets");
  }

  /**
   * Starts a multi-get and returns at once; the future gives every present key with its value. Only
   * the sides compared on non-blocking gets implement it.
   */
  default Future<Map<String, byte[]>> getAllAsync(Set<String> keys) {
    throw new UnsupportedOperationException(id() + " is not measured on async multi-gets");
  }

  /** Stores the value and returns once the server acknowledged it. */
  void put(String key, byte[] value);

  /** Every present key with its value, in one batch request (no per-key round trips). */
  Map<String, byte[]> getAll(Set<String> keys);

  /** Stores every entry, pipelined, and returns once the server has them all. */
  void putAll(Map<String, byte[]> entries);

  /** Removes every key, pipelined; only the sides compared on removeAll implement it. */
  default void removeAll(Set<String> keys) {
    throw new UnsupportedOperationException(id() + " is not measured on removeAll");
  }

  /**
   * Adds one to the 8-byte big-endian counter under {@code key} (1 when absent), atomically;
   * only the sides compared on read-modify-write implement it.
   */
  default long increment(String key) {
    throw new UnsupportedOperationException(id() + " is not measured on increment");
  }

  @Override
  void close();

  /** The counter encoding {@link #increment} uses. */
  static byte[] counter(long value) {
    return ByteBuffer.allocate(Long.BYTES).putLong(value).array();
  }

  static long counter(byte[] bytes) {
    return ByteBuffer.wrap(bytes).getLong();
  }

  /**
   * Opens the side named {@code id} on the trial's servers.
   *
   * @param id {@code ours}, {@code near} (ours with a near cache), {@code ours-tls} (ours over TLS),
   *     {@code spymemcached}, {@code xmemcached} or {@code redisson}
   * @param binary memcached's binary protocol (true) or text protocol; Redisson ignores it
   */
  static Side open(String id, Servers servers, boolean binary) {
    return switch (id) {
      case OursSide.ID -> new OursSide(servers.memcached(), binary);
      case OursNearSide.ID -> new OursNearSide(servers.memcached(), binary);
      case OursTlsSide.ID -> new OursTlsSide(servers.tlsMemcached(), binary);
      case SpymemcachedSide.ID -> new SpymemcachedSide(servers.memcached(), binary);
      case XmemcachedSide.ID -> new XmemcachedSide(servers.memcached(), binary);
      case RedissonSide.ID -> new RedissonSide(servers.redis());
      default -> throw new IllegalArgumentException(
          "unknown side " + id + " (known: " + OursSide.ID + ", " + OursNearSide.ID + ", " + OursTlsSide.ID + ", "
              + SpymemcachedSide.ID + ", " + XmemcachedSide.ID + ", " + RedissonSide.ID + ")");
    };
  }
}
