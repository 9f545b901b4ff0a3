package io.github.newcache.internal.config;

/**
 * A cache's near cache, as configured: how many entries and bytes this JVM may hold, and how long
 * a held entry is trusted before a read asks memcached again.
 *
 * @param maxEntries the most entries held; 0 turns the near cache off
 * @param maxBytes the most bytes held, counting each entry's stored item and a fixed overhead
 * @param stalenessMillis δ: how long an entry is served after it was fetched, written or
 *     revalidated before a read revalidates it (so how late this JVM may see other JVMs' writes)
 */
public record NearCacheSettings(long maxEntries, long maxBytes, long stalenessMillis) {

  /** No near cache: every read goes to memcached. */
  public static final NearCacheSettings OFF =
      new NearCacheSettings(0, Settings.NEAR_MAX_BYTES.defaultValue(), Settings.NEAR_STALENESS.defaultValue());

  public NearCacheSettings {
    check(maxEntries, 0, Settings.MAX_NEAR_ENTRIES, "nearCache.maxEntries");
    check(maxBytes, Settings.MIN_NEAR_BYTES, Settings.MAX_NEAR_BYTES, "nearCache.maxBytes");
    check(stalenessMillis, 1, Settings.MAX_NEAR_STALENESS_DAYS * 86_400_000L, "nearCache.staleness (ms)");
  }

  /** True when the cache has a near cache. */
  public boolean enabled() {
    return maxEntries > 0;
  }

  private static void check(long value, long min, long max, String name) {
    if (value < min || value > max) {
      throw new IllegalArgumentException(name + " must be from " + min + " to " + max + ", not " + value);
    }
  }
}
