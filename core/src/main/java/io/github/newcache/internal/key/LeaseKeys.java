package io.github.newcache.internal.key;

import java.nio.charset.StandardCharsets;

/**
 * The memcached keys of leases ({@code LoadCoordinator}, {@code FleetLocks}), which hold a key for
 * the fleet while one client loads it, writes it through or runs an entry processor on it. A
 * lease's key is its entry's memcached key followed by {@value #SUFFIX}, or, when that would not
 * fit memcached's 250 bytes, {@code lease-} and the 32 hex digits of the entry key's MD5.
 *
 * <p>These keys are reserved: no entry is ever stored under one. An entry there would be taken for
 * the lease (every load, write-through write and entry processor of the other key would wait the
 * whole lease timeout for it; a {@code putIfAbsent} of it would replace a live lease), and under
 * {@code failures=miss} a failed write of it would be skipped as a lease's is. The default key
 * function never produces such a key; {@link KeyFunction} refuses a custom one's. An entry that a
 * version before 0.2.0 stored under one is removed by {@code clear()} and {@code removeAll()} once
 * its envelope proves it an entry ({@code EntryScan}): a lease holds a token, never an envelope.
 */
public final class LeaseKeys {

  /** What a lease's key adds to its entry's key. */
  static final String SUFFIX = ".lease";
  /** How a lease's key starts when its entry's key is too long for {@link #SUFFIX}. */
  private static final String LONG_PREFIX = "lease-";
  /** The longest entry key, in bytes, whose lease is that key and {@link #SUFFIX}. */
  private static final int LONGEST_BESIDE = MemcachedKeys.MAX_BYTES - 10;

  private LeaseKeys() {}

  /**
   * The lease's memcached key for the entry key {@code mkey}: beside it, and under the same prefix,
   * when that fits memcached's 250 bytes (counted in bytes: a custom key function may return
   * non-ASCII keys).
   */
  public static String of(String mkey) {
    return mkey.getBytes(StandardCharsets.UTF_8).length <= LONGEST_BESIDE
        ? mkey + SUFFIX
        : LONG_PREFIX + Hashing.md5Hex(mkey);
  }

  /** True when {@code key} has the shape of a lease's memcached key ({@link #of}). */
  public static boolean matches(String key) {
    return key.endsWith(SUFFIX) || (key.startsWith(LONG_PREFIX) && key.length() == LONG_PREFIX.length() + 32);
  }

  /** The rule {@link #matches} enforces, in words, for error messages. */
  static final String RULE = "memcached keys ending in '" + SUFFIX + "', or of '" + LONG_PREFIX
      + "' and 32 more characters, are reserved for the leases of loads, write-through writes and entry processors";
}
