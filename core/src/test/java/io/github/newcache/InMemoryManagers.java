package io.github.newcache;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import java.net.URI;
import java.util.Properties;

/**
 * Managers over an in-memory memcached and a clock the test moves, for the unit tests of the JCache
 * rules ({@code CacheRulesTest}, {@code NearCacheRulesTest}, {@code StaleRefreshRulesTest}).
 */
final class InMemoryManagers {

  private InMemoryManagers() {}

  /** A manager whose URI query is {@code query} (for example {@code flavor=rules}). */
  static NewcacheCacheManager open(String query, InMemoryTransport memcached, ManualClock clock) {
    URI uri = URI.create("memcached://in-memory:1/?" + query);
    ClassLoader loader = InMemoryManagers.class.getClassLoader();
    return new NewcacheCacheManager(
        new NewcacheCachingProvider(), uri, loader, new Properties(),
        SettingsParser.parse(uri, loader, null), settings -> memcached, clock);
  }
}
