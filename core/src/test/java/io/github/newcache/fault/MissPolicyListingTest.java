package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.FailurePolicy;
import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import java.net.URI;
import java.util.HashSet;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * With {@code failures=miss}, a server that is down leaves out only its own keys from the
 * operations that list the servers: {@code clear()} still clears the servers that answer, and the
 * iterator lists their entries. Before, the first server that failed made the whole listing empty:
 * {@code clear()} reported success and every live server kept its entries.
 */
class MissPolicyListingTest {

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aDownServerLeavesOutOnlyItsOwnKeys(Protocol p) throws Exception {
    try (LocalMemcached a = LocalMemcached.start(); LocalMemcached b = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + a.address() + "," + b.address() + "/?binary=" + p.binary()
          + "&flavor=listing&opTimeout=500");
      CacheManager m = Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
      try {
        NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
        config.setTypes(String.class, String.class);
        config.setFailurePolicy(FailurePolicy.MISS);
        Cache<String, String> c = m.createCache("c", config);
        for (int i = 0; i < 50; i++) {
          c.put("k" + i, "v");
        }
        long onA;
        try (RawMemcached raw = RawMemcached.of(a)) {
          onA = raw.keys("listing-1-c-").size();
        }
        assertTrue(onA > 0 && onA < 50, onA + " of 50 keys on the first server");
        b.kill();

        Set<String> listed = new HashSet<>();
        c.forEach(e -> listed.add(e.getKey()));
        assertEquals(onA, listed.size(), "the iterator lists the live server's entries");

        c.clear();
        try (RawMemcached raw = RawMemcached.of(a)) {
          assertEquals(0, raw.keys("listing-1-c-").size(), "clear() cleared the server that answers");
        }
      } finally {
        m.close();
      }
    }
  }
}
