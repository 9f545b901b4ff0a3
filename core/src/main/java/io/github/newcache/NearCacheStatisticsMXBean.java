package io.github.newcache;

/**
 * What one cache's near cache did in this JVM, registered as
 * {@code io.github.newcache:type=CacheNear,CacheManager=<uri>,Cache=<name>} while statistics are on.
 * The near counters count every read of memcached's items the near cache answered or passed on:
 * {@code get} and {@code getAll}, and also {@code containsKey}, {@code loadAll}'s check of what is
 * present and a read-through's re-reads while another client loads, which the standard statistics
 * do not count as hits or misses; so near hits can exceed the standard hits. A near eviction is
 * not an eviction there (the entry stays in memcached).
 */
public interface NearCacheStatisticsMXBean {

  /**
   * Reads answered from this JVM without a round trip, within the staleness bound.
   *
   * @return the count since the cache was created
   */
  long getNearHits();

  /**
   * Reads of keys the near cache did not hold, which went to memcached.
   *
   * @return the count since the cache was created
   */
  long getNearMisses();

  /**
   * Revalidations of held entries (after δ, or ahead of time) that found the item unchanged.
   *
   * @return the count since the cache was created
   */
  long getRevalidationsUnchanged();

  /**
   * Revalidations of held entries that found another item, or none.
   *
   * @return the count since the cache was created
   */
  long getRevalidationsChanged();

  /**
   * Of the revalidations, those made ahead of time for entries in use, many keys per multi-get,
   * before any reader found them stale.
   *
   * @return the count since the cache was created
   */
  long getRevalidationsAhead();

  /**
   * Reads that, instead of sending their own round trip, waited for the fetch another thread had
   * sent for the same key (a miss or a revalidation).
   *
   * @return the count since the cache was created
   */
  long getSharedFetches();

  /**
   * Entries dropped to stay within the near cache's entry and byte bounds.
   *
   * @return the count since the cache was created
   */
  long getNearEvictions();

  /**
   * Entries held now.
   *
   * @return an estimate
   */
  long getNearEntries();
}
