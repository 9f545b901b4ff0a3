package io.github.newcache;

/**
 * What thundering-herd protection did for one cache in this JVM: {@link
 * NewcacheCache#herdStatistics()}, and registered as {@code
 * io.github.newcache:type=CacheHerd,CacheManager=<uri>,Cache=<name>} while statistics are on.
 */
public interface HerdStatisticsMXBean {

  /**
   * Loads this JVM ran for a missing key while holding the key's lease.
   *
   * @return how many, since the cache was created
   */
  long getLeaderLoads();

  /**
   * Callers that got a value loaded by another thread or JVM instead of loading it themselves.
   *
   * @return how many, since the cache was created
   */
  long getLoadsSaved();

  /**
   * Callers that stopped waiting for another client's lease and loaded the value themselves.
   *
   * @return how many, since the cache was created
   */
  long getLeaseTimeouts();

  /**
   * Reads answered with the previous value while one caller refreshed it (stale-while-revalidate).
   *
   * @return how many, since the cache was created
   */
  long getStaleReads();

  /**
   * Background refreshes by stale-while-revalidate that ran the loader. A refresh that finds the
   * entry already replaced (by another refresh or a write) loads nothing and is not counted.
   *
   * @return how many, since the cache was created
   */
  long getRefreshes();
}
