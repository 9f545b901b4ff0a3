package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * clear() and removeAll() of a cache of 10,000 entries on two servers (listings of about 0.6 MB
 * each): everything of the cache goes, each removal is counted, and another cache's entries on the
 * same servers stay.
 */
class LargeClearTest {

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void clearEmptiesALargeCacheAndLeavesTheOtherCacheAlone(Protocol p) throws Exception {
    emptiesALargeCache(p, Cache::clear);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void removeAllEmptiesALargeCacheCountingEveryRemoval(Protocol p) throws Exception {
    emptiesALargeCache(p, c -> {
      c.removeAll();
      assertEquals(10_000, c.unwrap(NewcacheCache.class).stats.getCacheRemovals());
    });
  }

  private void emptiesALargeCache(Protocol p, Consumer<Cache<String, String>> empty) throws Exception {
    try (LocalMemcached a = LocalMemcached.start(); LocalMemcached b = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + a.address() + "," + b.address() + "/?binary=" + p.binary()
          + "&flavor=large");
      CacheManager m = Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
      try {
        Cache<String, String> big = m.createCache("big", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class).setStatisticsEnabled(true));
        Cache<String, String> other = m.createCache("other", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class));
        Map<String, String> batch = new HashMap<>();
        for (int i = 0; i < 10_000; i++) {
          batch.put("k" + i, "v" + i);
          if (batch.size() == 500) {
            big.putAll(batch);
            batch.clear();
          }
        }
        for (int i = 0; i < 100; i++) {
          other.put("k" + i, "kept");
        }

        empty.accept(big);

        try (RawMemcached rawA = RawMemcached.of(a); RawMemcached rawB = RawMemcached.of(b)) {
          assertEquals(0, rawA.keys("large-1-big-").size() + rawB.keys("large-1-big-").size());
          assertEquals(100, rawA.keys("large-1-other-").size() + rawB.keys("large-1-other-").size());
        }
        assertEquals("kept", other.get("k7"));
      } finally {
        m.close();
      }
    }
  }
}
