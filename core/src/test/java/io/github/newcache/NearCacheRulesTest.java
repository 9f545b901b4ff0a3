package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.TouchedExpiryPolicy;
import javax.cache.management.CacheStatisticsMXBean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The near cache's JCache rules over an in-memory memcached and a clock the test moves. Two
 * managers over the same in-memory memcached stand for two JVMs: each has its own near cache.
 */
class NearCacheRulesTest {

  private static final long DELTA = 500;

  private final ManualClock clock = new ManualClock();
  private final InMemoryTransport memcached = new InMemoryTransport(clock);
  private final List<NewcacheCacheManager> managers = new java.util.ArrayList<>();

  private NewcacheCacheManager manager(String query) {
    NewcacheCacheManager m =
        InMemoryManagers.open("flavor=near" + (query.isEmpty() ? "" : "&" + query), memcached, clock);
    managers.add(m);
    return m;
  }

  @AfterEach
  void close() {
    managers.forEach(NewcacheCacheManager::close);
  }

  private static NewcacheConfiguration<String, String> near() {
    NewcacheConfiguration<String, String> c = new NewcacheConfiguration<>();
    c.setTypes(String.class, String.class);
    return c.setNearCacheMaxEntries(1000).setNearCacheStalenessMillis(DELTA);
  }

  private long reads() {
    return memcached.count("get") + memcached.count("gets") + memcached.count("getAll");
  }

  @Test
  void aNearHitTakesNoRoundTripAndCountsAsAHit() {
    Cache<String, String> c = manager("").createCache("c", near().setStatisticsEnabled(true));
    c.put("k", "v");
    long before = reads();
    for (int i = 0; i < 10; i++) {
      assertEquals("v", c.get("k"));
    }
    assertTrue(c.containsKey("k"));
    assertEquals(before, reads(), "the put left its bytes in the near cache");
    CacheStatisticsMXBean stats = c.unwrap(NewcacheCache.class).stats;
    assertEquals(10, stats.getCacheHits());
    assertEquals(11, c.unwrap(NewcacheCache.class).nearCacheStatistics().getNearHits());
  }

  /**
   * Under {@code failures=miss} a write that memcached failed is skipped as if its entry had been
   * evicted: the near cache must not keep serving the value memcached never took, which no other
   * JVM can read. A skipped {@code set} deletes the older item; a skipped {@code add} leaves
   * memcached as it was.
   */
  @Test
  void aWriteSkippedUnderMissIsNotServedFromTheNearCache() {
    NewcacheConfiguration<String, String> config = near();
    config.setFailurePolicy(FailurePolicy.MISS);
    Cache<String, String> c = manager("").createCache("c", config);
    Cache<String, String> other = manager("").createCache("c", config);
    c.put("k", "1");
    memcached.failNext("set", 1);
    c.put("k", "2");
    assertNull(c.get("k"), "a put memcached failed is as if evicted, here as in the other JVM");
    assertNull(other.get("k"));
    memcached.failNext("add", 1);
    assertTrue(c.putIfAbsent("j", "1"), "an absorbed add counts as taken");
    assertNull(c.get("j"), "but its value was never stored");
    assertNull(other.get("j"));
    memcached.failNext("set", 1);
    c.putAll(Map.of("a", "1", "b", "1"));
    assertEquals(Map.of(), c.getAll(Set.of("a", "b")));
  }

  /**
   * A revalidation ahead of time that memcached failed drops nothing, under {@code failures=miss}
   * as under {@code failures=exception}: the entries are served until δ, and revalidate on read
   * after it. Before, the failure policy answered the failed multi-get with an empty map, which the
   * near cache took for "every key gone": up to 100 hot entries dropped before δ, counted as
   * changed, and (memcached being down) read as misses.
   */
  @ParameterizedTest
  @EnumSource(FailurePolicy.class)
  void aFailedRevalidationAheadDropsNothing(FailurePolicy policy) {
    NewcacheConfiguration<String, String> config = near();
    config.setFailurePolicy(policy);
    Cache<String, String> c = manager("").createCache("c", config);
    for (int i = 0; i < 10; i++) {
      c.put("k" + i, "v" + i);
    }
    clock.advance(DELTA / 2);
    for (int i = 0; i < 10; i++) {
      assertEquals("v" + i, c.get("k" + i), "held; past δ/2, so queued for revalidation ahead");
    }
    memcached.failNext("getAll", 1);
    memcached.failNext("get", 100); // memcached is down: a read that has to ask it finds nothing
    clock.advance(DELTA / 4); // the queue has waited δ/4: the next read sends it
    for (int i = 0; i < 10; i++) {
      assertEquals("v" + i, c.get("k" + i), "within δ of the put, k" + i);
    }
    assertEquals(0, memcached.failuresLeft("getAll"), "the revalidation ahead was sent, and failed");
    NearCacheStatisticsMXBean near = c.unwrap(NewcacheCache.class).nearCacheStatistics();
    assertEquals(0, near.getRevalidationsChanged());
    assertEquals(0, near.getRevalidationsAhead());
    assertEquals(100, memcached.failuresLeft("get"), "every read was a near hit");
  }

  /**
   * A write-through whose memcached write failed after the writer ran: its key's item is deleted
   * without waiting, and the near cache drops the key at once and again when the delete lands, so
   * a read in between, which found the old item still there, does not keep it for up to δ.
   */
  @Test
  void aFailedWriteThroughIsNotServedFromTheNearCacheOnceItsDeleteLands() {
    Cache<String, String> c = manager("").createCache("c", near()
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(AcceptingWriter.class)));
    c.put("k", "old");
    memcached.holdDeletes();
    memcached.failNext("set", 1);
    memcached.failNext("cas", 1);
    assertThrows(javax.cache.CacheException.class, () -> c.put("k", "new"));
    assertEquals("old", c.get("k"), "the delete is still on its way: memcached holds the old item");
    memcached.landHeldDeletes();
    assertNull(c.get("k"), "the delete landed: the old value is gone here too");
  }

  /** A system of record that takes every write. */
  public static final class AcceptingWriter implements javax.cache.integration.CacheWriter<String, String> {
    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {}

    @Override
    public void writeAll(java.util.Collection<Cache.Entry<? extends String, ? extends String>> entries) {
      entries.clear();
    }

    @Override
    public void delete(Object key) {}

    @Override
    public void deleteAll(java.util.Collection<?> keys) {
      keys.clear();
    }
  }

  @Test
  void everyLocalChangeIsSeenAtOnce() {
    Cache<String, String> c = manager("").createCache("c", near());
    c.put("k", "1");
    assertEquals("1", c.get("k"));
    assertTrue(c.replace("k", "2"));
    assertEquals("2", c.get("k"));
    assertEquals("2", c.getAndPut("k", "3"));
    assertEquals("3", c.get("k"));
    assertEquals("3", c.invoke("k", (e, a) -> {
      e.setValue("4");
      return "3";
    }));
    assertEquals("4", c.get("k"));
    assertTrue(c.replace("k", "4", "5"));
    assertEquals("5", c.get("k"));
    assertTrue(c.remove("k"));
    assertNull(c.get("k"));
    assertTrue(c.putIfAbsent("k", "6"));
    assertEquals("6", c.get("k"));
    c.putAll(Map.of("k", "7", "j", "7"));
    assertEquals(Map.of("k", "7", "j", "7"), c.getAll(Set.of("k", "j")));
    c.removeAll(Set.of("k"));
    assertNull(c.get("k"));
    assertEquals("7", c.getAndRemove("j"));
    assertNull(c.get("j"));
    c.put("k", "8");
    assertEquals("8", c.get("k"));
    c.removeAll();
    assertNull(c.get("k"));
    c.put("k", "9");
    assertEquals("9", c.get("k"));
    c.clear();
    assertNull(c.get("k"));
    assertFalse(c.containsKey("k"));
  }

  @Test
  void theNonBlockingApiKeepsTheNearCacheInStepToo() throws Exception {
    Cache<String, String> c = manager("").createCache("c", near());
    AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
    async.put("k", "1").get();
    long before = reads();
    assertEquals("1", c.get("k"), "the async put left its bytes in the near cache");
    assertEquals("1", async.get("k").get());
    assertEquals(Map.of("k", "1"), async.getAll(Set.of("k")).get());
    assertEquals(before, reads());
    assertTrue(async.replace("k", "2").get());
    assertEquals("2", c.get("k"));
    assertEquals("2", async.getAndPut("k", "3").get());
    assertEquals("3", c.get("k"));
    assertTrue(async.remove("k").get());
    assertNull(c.get("k"));
    assertTrue(async.putIfAbsent("k", "4").get());
    assertEquals("4", async.get("k").get());
    assertEquals("4", async.invoke("k", (e, a) -> {
      e.remove();
      return "4";
    }).get());
    assertNull(c.get("k"));
    c.put("k", "5");
    assertEquals("5", async.get("k").get(), "a blocking write is seen by the non-blocking read");
  }

  @Test
  void anotherJvmsWriteIsSeenWithinTheStalenessBound() {
    Cache<String, String> mine = manager("").createCache("c", near());
    Cache<String, String> theirs = manager("opTimeout=999").createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class));
    theirs.put("k", "old");
    assertEquals("old", mine.get("k"));
    theirs.put("k", "new");
    clock.advance(DELTA - 1);
    assertEquals("old", mine.get("k"), "held and younger than δ");
    clock.advance(1);
    assertEquals("new", mine.get("k"), "δ after the fetch: revalidated");
    NearCacheStatisticsMXBean s = mine.unwrap(NewcacheCache.class).nearCacheStatistics();
    assertEquals(1, s.getRevalidationsChanged());
    clock.advance(DELTA);
    assertEquals("new", mine.get("k"));
    assertEquals(1, s.getRevalidationsUnchanged());
  }

  @Test
  void anotherJvmsClearRemoveAllAndDestroyAreSeenWithinTheStalenessBound() {
    Cache<String, String> mine = manager("").createCache("c", near());
    NewcacheCacheManager other = manager("opTimeout=999");
    Cache<String, String> theirs = other.createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class));
    for (Runnable wipe : List.<Runnable>of(theirs::clear, theirs::removeAll, () -> other.destroyCache("c"))) {
      mine.put("k", "v");
      assertEquals("v", mine.get("k"));
      wipe.run();
      assertEquals("v", mine.get("k"), "within δ");
      clock.advance(DELTA);
      assertNull(mine.get("k"), "δ later, gone");
    }
  }

  @Test
  void expiryHoldsToTheMillisecondOnNearHits() {
    Cache<String, String> c = manager("").createCache("c", near().setNearCacheStalenessMillis(60_000)
        .setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 100))));
    c.put("k", "v");
    long before = reads();
    clock.advance(99);
    assertEquals("v", c.get("k"));
    assertEquals(before, reads(), "a near hit");
    clock.advance(1);
    assertNull(c.get("k"), "expired at 100 ms, read from the held envelope");
    assertFalse(c.containsKey("k"));
  }

  @Test
  void aCallerChangingAReturnedValueNeverChangesTheCache() {
    NewcacheConfiguration<String, byte[]> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, byte[].class);
    config.setNearCacheMaxEntries(10);
    Cache<String, byte[]> c = manager("").createCache("bytes", config);
    c.put("k", new byte[] {1, 2, 3});
    byte[] got = c.get("k");
    got[0] = 9;
    assertArrayEquals(new byte[] {1, 2, 3}, c.get("k"));
    assertArrayEquals(new byte[] {1, 2, 3}, c.getAll(Set.of("k")).get("k"));
  }

  @Test
  void eventsAreTheSameWithANearCache() {
    Cache<String, String> c = manager("").createCache("c", near()
        .setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 50))));
    CacheRulesTest.Recorder.EVENTS.clear();
    c.registerCacheEntryListener(new MutableCacheEntryListenerConfiguration<>(
        FactoryBuilder.factoryOf(CacheRulesTest.Recorder.class), null, true, true));
    c.put("k", "a");
    assertEquals("a", c.get("k"));
    c.put("k", "b");
    c.remove("k");
    c.put("k", "c");
    assertEquals("c", c.get("k"));
    clock.advance(50);
    assertNull(c.get("k"));
    assertEquals(List.of("CREATED k=a", "UPDATED k=b old=a", "REMOVED k=b old=b", "CREATED k=c", "EXPIRED k=c old=c"),
        CacheRulesTest.Recorder.EVENTS);
  }

  @Test
  void aNearCacheIsRefusedForExpiryThatChangesOnAccess() {
    NewcacheCacheManager m = manager("");
    for (var policy : List.of(AccessedExpiryPolicy.factoryOf(Duration.ONE_MINUTE),
        TouchedExpiryPolicy.factoryOf(Duration.ONE_MINUTE))) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> m.createCache("a", near().setExpiryPolicyFactory(policy)));
      assertTrue(e.getMessage().contains("cannot apply") && e.getMessage().contains("every read"), e.getMessage());
    }
  }

  @Test
  void theManagersDefaultGivesEveryCacheANearCacheButThoseWhoseExpiryChangesOnAccess() {
    NewcacheCacheManager m = manager("nearCache.maxEntries=100&nearCache.staleness=200ms");
    Cache<String, String> plain = m.createCache("plain", new MutableConfiguration<String, String>());
    plain.put("k", "v");
    long before = reads();
    assertEquals("v", plain.get("k"));
    assertEquals(before, reads(), "near-cached by the manager's default");
    NewcacheConfiguration<String, String> config = plain.getConfiguration(NewcacheConfiguration.class);
    assertEquals(100, config.getNearCacheMaxEntries());
    assertEquals(200, config.getNearCacheStalenessMillis());
    assertThrows(UnsupportedOperationException.class, () -> config.setNearCacheMaxEntries(5), "a read-only snapshot");

    Cache<String, String> accessed = m.createCache("accessed", new MutableConfiguration<String, String>()
        .setExpiryPolicyFactory(AccessedExpiryPolicy.factoryOf(Duration.ONE_MINUTE)));
    accessed.put("k", "v");
    before = reads();
    assertEquals("v", accessed.get("k"));
    assertEquals(before + 1, reads(), "no near cache: the read reached memcached (and moved the expiry)");

    Cache<String, String> off = m.createCache("off", new NewcacheConfiguration<String, String>().setNearCacheMaxEntries(0));
    off.put("k", "v");
    before = reads();
    assertEquals("v", off.get("k"));
    assertEquals(before + 1, reads(), "a cache that turns it off has none");
  }

  /** A cache that only tightens δ keeps the manager's near cache (before, it silently had none). */
  @Test
  void aCacheThatSetsOnlyItsStalenessKeepsTheManagersNearCache() {
    NewcacheCacheManager m = manager("nearCache.maxEntries=100&nearCache.maxBytes=1m");
    Cache<String, String> tight =
        m.createCache("tight", new NewcacheConfiguration<String, String>().setNearCacheStalenessMillis(50));
    tight.put("k", "v");
    long before = reads();
    assertEquals("v", tight.get("k"));
    assertEquals(before, reads(), "near-cached by the manager's default");
    NewcacheConfiguration<String, String> config = tight.getConfiguration(NewcacheConfiguration.class);
    assertEquals(100, config.getNearCacheMaxEntries(), "the manager's number of entries");
    assertEquals(1L << 20, config.getNearCacheMaxBytes(), "the manager's byte bound");
    assertEquals(50, config.getNearCacheStalenessMillis(), "its own δ");
    clock.advance(51);
    assertEquals("v", tight.get("k"));
    assertEquals(before + 1, reads(), "revalidated after its own δ, not the manager's 1 s");

    NewcacheCacheManager off = manager("");
    Cache<String, String> none =
        off.createCache("none", new NewcacheConfiguration<String, String>().setNearCacheStalenessMillis(50));
    none.put("k", "v");
    before = reads();
    assertEquals("v", none.get("k"));
    assertEquals(before + 1, reads(), "no near cache where the manager gives none");
  }

  @Test
  void memoryStaysWithinTheBounds() {
    NewcacheConfiguration<String, String> config = near().setNearCacheMaxEntries(100);
    Cache<String, String> c = manager("").createCache("c", config);
    for (int i = 0; i < 1000; i++) {
      c.put("k" + i, "v" + i);
    }
    NearCacheStatisticsMXBean s = c.unwrap(NewcacheCache.class).nearCacheStatistics();
    assertTrue(s.getNearEntries() <= 100, "entries " + s.getNearEntries());
    assertTrue(s.getNearEvictions() >= 900, "evictions " + s.getNearEvictions());
    for (int i = 0; i < 1000; i++) {
      assertEquals("v" + i, c.get("k" + i), "evicted from the near cache, still in memcached");
    }

    NewcacheConfiguration<String, String> bytes = near().setNearCacheMaxEntries(10_000).setNearCacheMaxBytes(64 * 1024);
    Cache<String, String> big = manager("").createCache("big", bytes);
    String value = "x".repeat(20_000);
    for (int i = 0; i < 100; i++) {
      big.put("k" + i, value);
    }
    assertTrue(big.unwrap(NewcacheCache.class).nearCacheStatistics().getNearEntries() <= 3,
        "20 KB values in 64 KiB: at most 3 held");
  }
}
