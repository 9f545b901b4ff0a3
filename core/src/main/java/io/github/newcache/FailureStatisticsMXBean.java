package io.github.newcache;

/**
 * Failures a cache absorbed and stored entries it refused, in this JVM: {@link
 * NewcacheCache#failureStatistics()}, and registered as {@code
 * io.github.newcache:type=CacheFailures,CacheManager=<uri>,Cache=<name>} while statistics are on.
 */
public interface FailureStatisticsMXBean {

  /**
   * memcached failures turned into misses or skipped writes ({@code failures=miss}).
   *
   * @return how many, since the cache was created
   */
  long getAbsorbedFailures();

  /**
   * Entries refused by the deserialization filter (a class outside the allow-list, a limit).
   *
   * @return how many, since the cache was created
   */
  long getRejectedEntries();

  /**
   * Entries refused because their signature was missing or wrong ({@code secret} set).
   *
   * @return how many, since the cache was created
   */
  long getUnsignedEntries();
}
