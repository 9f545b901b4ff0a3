package io.github.newcache;

import java.util.Locale;

/**
 * What a cache does when memcached fails (a timeout, a server down or stalled, a full queue).
 * Choose per cache with {@code cache.<name>.failures=exception|miss} in a properties file or
 * {@link io.github.newcache.NewcacheConfiguration#setFailurePolicy} in code.
 */
public enum FailurePolicy {
  /** The failure surfaces as {@link javax.cache.CacheException} (the default). */
  EXCEPTION,
  /**
   * Reads that fail are misses and writes that fail are skipped, as if memcached had evicted the
   * entry at once. Each absorbed failure is counted and logged at a bounded rate.
   */
  MISS;

  /**
   * Parses a policy as settings give it: {@code exception} or {@code miss}, in any case.
   *
   * @param text the setting's text
   * @param where how an error names the input, such as {@code newcache.properties, cache.users.failures}
   * @return the policy that {@code text} names
   * @throws IllegalArgumentException if {@code text} names no policy; the message names {@code
   *     where} and the allowed values
   */
  public static FailurePolicy parse(String text, String where) {
    for (FailurePolicy p : values()) {
      if (p.name().toLowerCase(Locale.ROOT).equals(text.trim().toLowerCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new IllegalArgumentException(where + "=" + text + " is not allowed; use exception or miss");
  }
}
