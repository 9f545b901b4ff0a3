package io.github.newcache.near;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.net.URI;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.configuration.FactoryBuilder;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Changes memcached saw that the near cache did not make (a restart, another client, an eviction)
 * reach a near-cached reader as the README says: within δ, and at once when this JVM itself just
 * read memcached's answer.
 */
@ExtendWith(MemcachedExtension.class)
class NearCacheOutsideChangesTest {

  /**
   * A restarted memcached counts CAS tokens from 1 again, so a new item can carry the held item's
   * token. Before, a revalidation took an equal token for "unchanged" and kept serving the old
   * value for as long as the key was not written again: far past δ.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aRestartedServersNewItemWithTheOldTokenIsSeenWithinTheBound(Protocol p, TestManagers managers) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&flavor=" + managers.flavor()
          + "&maxReconnectDelay=1");
      Cache<String, String> writer = managers.open(uri).createCache("c", NearCacheTest.plain());
      Cache<String, String> reader = managers.open(URI.create(uri + "&opTimeout=2501"))
          .createCache("c", NearCacheTest.near().setNearCacheStalenessMillis(100));
      writer.put("k", "old"); // the first item of a fresh server: CAS token 1
      assertEquals("old", reader.get("k"));
      server.kill();
      server.restart();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!"new".equals(readOrNull(writer))) { // the first item again once the writer has reconnected: token 1
        try {
          writer.put("k", "new");
        } catch (CacheException notYetReconnected) {
          if (System.nanoTime() > deadline) {
            throw notYetReconnected;
          }
          Thread.sleep(50);
        }
      }
      // δ after the write, the first read the reader completes must see it.
      Thread.sleep(150);
      while (true) {
        try {
          assertEquals("new", reader.get("k"), "the first read more than δ after the write");
          break;
        } catch (CacheException notYetReconnected) {
          if (System.nanoTime() > deadline) {
            throw notYetReconnected;
          }
          Thread.sleep(20);
        }
      }
    }
  }

  private static String readOrNull(Cache<String, String> c) {
    try {
      return c.get("k");
    } catch (CacheException reconnecting) {
      return null;
    }
  }

  /**
   * removeAll() removes the entries memcached lists; near entries of items memcached no longer
   * holds (evicted, or removed by another client) go too. Before, they were served for up to δ.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void removeAllDropsNearEntriesOfItemsMemcachedNoLongerHolds(Protocol p, TestManagers managers) {
    Cache<String, String> near = managers.open(p).createCache("c", NearCacheTest.near().setNearCacheStalenessMillis(60_000));
    Cache<String, String> other = managers.open(p, "opTimeout=2502").createCache("c", NearCacheTest.plain());
    for (int i = 0; i < 10; i++) {
      near.put("k" + i, "v" + i);
    }
    other.clear();
    near.removeAll();
    for (int i = 0; i < 10; i++) {
      assertNull(near.get("k" + i), "k" + i);
    }
  }

  /**
   * A conditional operation that reads memcached and then writes nothing (the item is gone)
   * leaves the near cache agreeing with what it read. Before, remove(k) answered false (nothing
   * there) and get(k) then returned the held value for up to δ.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aConditionalOperationThatFindsTheItemGoneDropsItsNearEntry(Protocol p, TestManagers managers) {
    // An expiry policy sends remove and replace through the read-decide-write.
    NewcacheConfiguration<String, String> config = NearCacheTest.near().setNearCacheStalenessMillis(60_000);
    config.setExpiryPolicyFactory(FactoryBuilder.factoryOf(new CreatedExpiryPolicy(Duration.ONE_HOUR)));
    Cache<String, String> near = managers.open(p).createCache("c", config);
    Cache<String, String> other = managers.open(p, "opTimeout=2503").createCache("c", NearCacheTest.plain());
    near.put("a", "1");
    near.put("b", "1");
    assertEquals("1", near.get("a"));
    other.remove("a");
    other.remove("b");
    assertFalse(near.remove("a"), "nothing to remove");
    assertNull(near.get("a"), "and nothing held either");
    assertFalse(near.replace("b", "2"), "nothing to replace");
    assertNull(near.get("b"));
  }
}
