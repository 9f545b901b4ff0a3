package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.store.Current;
import io.github.newcache.internal.store.Slot;
import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.integration.CacheLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Stale-while-revalidate over an in-memory memcached and a clock the test moves: a reader that saw
 * the stale item before another refresh replaced it must not run the loader again once that
 * refresh has released the key (seen under load in {@code StaleWhileRevalidateTest}: a second load
 * for 16 stale readers).
 */
class StaleRefreshRulesTest {

  static final AtomicInteger LOADS = new AtomicInteger();

  /** Loads {@code key@n}, n counting every load. */
  public static final class CountingLoader implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      return key + "@" + LOADS.incrementAndGet();
    }

    @Override
    public java.util.Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }
  }

  private final ManualClock clock = new ManualClock();
  private final InMemoryTransport memcached = new InMemoryTransport(clock);
  private NewcacheCacheManager manager;

  @BeforeEach
  void open() {
    manager = InMemoryManagers.open("flavor=swr", memcached, clock);
  }

  @AfterEach
  void close() {
    manager.close();
  }

  @Test
  @SuppressWarnings("unchecked")
  void aReaderThatSawTheStaleItemBeforeARefreshLandedDoesNotLoadAgain() throws Exception {
    LOADS.set(0);
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setReadThrough(true);
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(CountingLoader.class));
    config.setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.SECONDS, 1)));
    config.setStaleWhileRevalidateMillis(60_000);
    NewcacheCache<String, String> c = manager.createCache("swr", config).unwrap(NewcacheCache.class);

    assertEquals("k@1", c.get("k"));
    clock.advance(1_500);
    Slot<String> s = c.store.slot("k");
    String lease = s.memcachedKey() + ".lease";
    Current<String> seen = c.store.getForUpdate(s); // a slow reader's view: the stale k@1

    assertEquals("k@1", c.get("k"), "served stale while one refresh runs");
    await(() -> "k@2".equals(c.get("k")) && memcached.gets(lease) == null, "the refresh stored k@2 and let go");

    // The slow reader now acts on what it saw: the lease is free, so it may start a refresh.
    assertEquals("k@1", c.expiredRead(s, seen, true));
    await(() -> memcached.gets(lease) == null, "the second refresh let go");
    assertEquals(2, LOADS.get(), "the item it saw stale was already replaced: nothing to load");
    assertEquals(1, c.herdStatistics().getRefreshes(), "one refresh ran the loader");
    assertEquals("k@2", c.get("k"));
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertTrue(condition.getAsBoolean(), what);
  }
}
