package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryExpiredListener;
import javax.cache.event.CacheEntryListener;
import javax.cache.event.CacheEntryListenerException;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.event.CacheEntryUpdatedListener;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.integration.CacheWriter;
import javax.cache.integration.CacheWriterException;
import javax.cache.management.CacheStatisticsMXBean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The JCache rules (expiry to the millisecond, events, statistics, writer order) over an in-memory
 * transport and a clock the test moves: milliseconds per test, no sleeping. The same behaviour is
 * tested against real memcached in the integration tests.
 */
class CacheRulesTest {

  private final ManualClock clock = new ManualClock();
  private final InMemoryTransport memcached = new InMemoryTransport(clock);
  private NewcacheCacheManager manager;
  /** Managers of {@link #otherClient}, closed after each test. */
  private final List<NewcacheCacheManager> others = new ArrayList<>();

  @BeforeEach
  void open() {
    manager = InMemoryManagers.open("flavor=rules", memcached, clock);
  }

  @AfterEach
  void close() {
    others.forEach(NewcacheCacheManager::close);
    manager.close();
  }

  private Cache<String, String> cache(MutableConfiguration<String, String> config) {
    return manager.createCache("rules", config.setTypes(String.class, String.class));
  }

  /**
   * An invoke with a writer whose entry vanished (another client removed it; an eviction or an
   * expiry does the same) between its read and its write: the writer has the processor's value, so
   * it is written again without running the processor, and as a creation, with the creation
   * expiry; not with "unchanged" taken from an entry that is no longer there (which gave it none).
   */
  @Test
  void anInvokeWhoseEntryVanishedBeforeItsWriteStoresItWithTheCreationExpiry() {
    Cache<String, String> c =
        recordedWriteThrough(new MutableConfiguration<String, String>()
            .setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 100))));
    Cache<String, String> other = otherClient();
    c.put("k", "old");
    List<String> runs = new ArrayList<>();
    c.invoke("k", (entry, args) -> {
      runs.add(entry.getValue());
      entry.setValue("new");
      if (runs.size() == 1) {
        other.remove("k");
      }
      return null;
    });
    assertEquals(List.of("old"), runs, "the writer took the first run's value: it is written again");
    assertEquals("new", Records.SYSTEM.get("k"));
    assertEquals(List.of("CREATED k=old", "CREATED k=new"), Recorder.EVENTS,
        "the value was written where the entry had gone: a creation, not an update of the old one");
    clock.advance(99);
    assertEquals("new", c.get("k"));
    clock.advance(1);
    assertNull(c.get("k"), "created 100 ms ago");
  }

  /**
   * An invoke with a writer that removes its entry, which another client removes first: the writer
   * deleted the record, the replayed removal finds nothing, and nothing is reported as removed by
   * this call (no event, no removal counted).
   */
  @Test
  void anInvokesRemovalOfAnEntryThatVanishedFirstReportsNoRemoval() {
    Cache<String, String> c = recordedWriteThrough(new MutableConfiguration<String, String>().setStatisticsEnabled(true));
    Cache<String, String> other = otherClient();
    c.put("k", "old");
    c.invoke("k", (entry, args) -> {
      entry.remove();
      other.remove("k");
      return null;
    });
    assertNull(Records.SYSTEM.get("k"));
    assertNull(c.get("k"));
    assertEquals(List.of("CREATED k=old"), Recorder.EVENTS);
    assertEquals(0, c.unwrap(NewcacheCache.class).stats.getCacheRemovals());
  }

  /** A write-through cache of {@code config} over {@link Records}, whose events {@link Recorder} records. */
  private Cache<String, String> recordedWriteThrough(MutableConfiguration<String, String> config) {
    Records.SYSTEM.clear();
    Recorder.EVENTS.clear();
    Cache<String, String> c =
        cache(config.setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class)));
    c.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(Recorder.class), null, true, true));
    return c;
  }

  /** The same cache as another client sees it (its own manager over the same memcached), without a writer. */
  private Cache<String, String> otherClient() {
    NewcacheCacheManager m = InMemoryManagers.open("flavor=rules", memcached, clock);
    others.add(m);
    return m.createCache("rules", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
  }

  @Test
  void createdExpiryHoldsToTheMillisecond() {
    Cache<String, String> c =
        cache(new MutableConfiguration<String, String>()
            .setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 100))));
    c.put("k", "v");
    clock.advance(99);
    assertEquals("v", c.get("k"));
    clock.advance(1);
    assertNull(c.get("k"));
    assertFalse(c.containsKey("k"));
  }

  /**
   * clear() and removeAll() list every key before their first delete. Deleting while a server's
   * listing is still being read holds its crawler: memcached up to 1.6.18 keeps an item lock while
   * the crawler waits for the client, so a delete of a key under that lock waited for the crawler,
   * which waited for the delete, until the operation timed out (a first version of streaming
   * deletes did that).
   */
  @Test
  void clearAndRemoveAllListEveryKeyBeforeTheirFirstDelete() {
    Cache<String, String> c = cache(new MutableConfiguration<String, String>().setStatisticsEnabled(true));
    for (int i = 0; i < 1000; i++) {
      c.put("k" + i, "v" + i);
    }
    c.clear();
    assertEquals(0, memcached.size());
    for (int i = 0; i < 1000; i++) {
      c.put("k" + i, "v" + i);
    }
    c.removeAll();
    assertEquals(0, memcached.size());
    assertEquals(1000, c.unwrap(NewcacheCache.class).stats.getCacheRemovals());
    assertEquals(-1, memcached.listedBeforeFirstDelete(), "a delete was served while a listing was read");
  }

  /**
   * removeAll() with no writer to call once with every key removes batch by batch after the
   * listing: one batch of entries (key, form, memcached key) is held at a time, beside the listed
   * keys, where before every entry of the cache was read and held before the first removal.
   */
  @Test
  void removeAllWithoutAWriterRemovesBatchByBatch() {
    Cache<String, String> c = cache(new MutableConfiguration<String, String>().setStatisticsEnabled(true));
    for (int i = 0; i < 1000; i++) {
      c.put("k" + i, "v" + i);
    }
    c.removeAll();
    assertEquals(0, memcached.size());
    assertEquals(1000, c.unwrap(NewcacheCache.class).stats.getCacheRemovals());
    assertEquals(1, memcached.getAllsBeforeFirstDelete(), "multi-gets served before the first delete");
  }

  /**
   * removeAll() with a writer goes batch by batch too: the writer is called once per batch, so one
   * batch of entries is held at a time (before, every entry of the cache was read and held, and
   * every key held for the fleet, for one call of the writer with every key).
   */
  @Test
  void removeAllWithAWriterCallsItBatchByBatch() {
    Records.SYSTEM.clear();
    Records.DELETE_ALLS.clear();
    Cache<String, String> c = cache(new MutableConfiguration<String, String>()
        .setStatisticsEnabled(true)
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class)));
    for (int i = 0; i < 1000; i++) {
      c.put("k" + i, "v" + i);
    }
    c.removeAll();
    assertEquals(0, memcached.size());
    assertEquals(Map.of(), Records.SYSTEM);
    assertEquals(1000, c.unwrap(NewcacheCache.class).stats.getCacheRemovals());
    assertEquals(1000, Records.DELETE_ALLS.stream().mapToInt(Integer::intValue).sum());
    assertTrue(Records.DELETE_ALLS.stream().allMatch(n -> n <= 100), "keys per deleteAll: " + Records.DELETE_ALLS);
    assertEquals(1, memcached.getAllsBeforeFirstDelete(), "multi-gets served before the first delete");
  }

  /**
   * Write-through batches of thousands of keys: the fleet lock of each key was taken inside the
   * call holding the previous one, so a putAll or removeAll(keys) of a few thousand keys with a
   * writer overflowed the stack.
   */
  @Test
  void writeThroughBatchesOfThousandsOfKeys() {
    Records.SYSTEM.clear();
    Cache<String, String> c = cache(new MutableConfiguration<String, String>()
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class)));
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 5000; i++) {
      many.put("k" + i, "v" + i);
    }
    c.putAll(many);
    assertEquals(many, Records.SYSTEM);
    assertEquals(5000, memcached.size());
    c.removeAll(many.keySet());
    assertEquals(Map.of(), Records.SYSTEM);
    assertEquals(0, memcached.size());
  }

  /**
   * A listener that fails during a write-through removal is not a memcached failure: the keys the
   * writer kept stay cached. Before, every key of the batch was deleted from memcached, the kept
   * ones included, so the cache lost what the system of record still held.
   */
  @Test
  void aFailingListenerInAWriteThroughRemovalDeletesNothingMore() {
    Records.SYSTEM.clear();
    Cache<String, String> c = cache(new MutableConfiguration<String, String>()
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class))
        .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<>(
            FactoryBuilder.factoryOf(FailingOnRemoval.class), null, false, true)));
    c.put("a", "v");
    c.put("undeletable", "v");
    assertThrows(CacheException.class, () -> c.removeAll(new LinkedHashSet<>(List.of("a", "undeletable"))));
    assertEquals("v", Records.SYSTEM.get("undeletable"));
    assertEquals("v", c.get("undeletable"), "the writer kept it, so the cache keeps it");
  }

  /**
   * A listener that throws keeps no other listener from the event and undoes nothing. An
   * asynchronous listener's exception is logged, WARNING on io.github.newcache.events, and never
   * reaches the caller; a synchronous one's reaches it once every listener got the event (the
   * first, the next suppressed), as the reference implementation does. Before, the first exception
   * failed the put, asynchronous or not, and the listeners after it never got the event.
   */
  @Test
  void aListenerThatThrowsKeepsNoOtherListenerFromTheEvent() {
    List<java.util.logging.LogRecord> logged = new CopyOnWriteArrayList<>();
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.github.newcache.events");
    java.util.logging.Handler capture = capturing(logged);
    log.addHandler(capture);
    try {
      Recorder.EVENTS.clear();
      Cache<String, String> c = cache(new MutableConfiguration<>());
      c.registerCacheEntryListener(listener(Failing.class, false, false));
      c.registerCacheEntryListener(listener(Recorder.class, true, true));
      c.put("a", "1");
      assertEquals(List.of("CREATED a=1"), Recorder.EVENTS, "registered after the asynchronous listener that threw");
      assertEquals(1, logged.size());
      assertEquals(java.util.logging.Level.WARNING, logged.get(0).getLevel());
      assertTrue(logged.get(0).getThrown().getMessage().contains("this listener fails"), logged.get(0).getMessage());

      c.deregisterCacheEntryListener(listener(Recorder.class, true, true));
      c.registerCacheEntryListener(listener(Failing.class, false, true));
      c.registerCacheEntryListener(listener(Failing.class, true, true));
      c.registerCacheEntryListener(listener(Recorder.class, true, true));
      CacheEntryListenerException e = assertThrows(CacheEntryListenerException.class, () -> c.put("b", "2"));
      assertEquals(1, e.getSuppressed().length, "the second synchronous listener's exception");
      assertEquals(List.of("CREATED a=1", "CREATED b=2"), Recorder.EVENTS, "registered after two that threw");
      assertEquals("2", c.get("b"), "a listener's exception undoes nothing");
      assertEquals(2, logged.size(), "the asynchronous listener's exception only");
    } finally {
      log.removeHandler(capture);
    }
  }

  /**
   * A read that finds entries expired never fails because an EXPIRED listener threw, synchronous or
   * not: get answers null and getAll every key, with their misses counted, and every listener gets
   * every EXPIRED event. Before, get threw with nothing counted, and getAll stopped at its first
   * expired key.
   */
  @Test
  void aFailingExpiryListenerNeverFailsARead() {
    Cache<String, String> c =
        cache(new MutableConfiguration<String, String>()
            .setStatisticsEnabled(true)
            .setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 50))));
    c.putAll(Map.of("a", "1", "b", "2", "c", "3"));
    c.registerCacheEntryListener(listener(Failing.class, false, true));
    c.registerCacheEntryListener(listener(Recorder.class, true, true));
    Recorder.EVENTS.clear();
    clock.advance(50);
    assertNull(c.get("a"));
    assertEquals(Map.of(), c.getAll(new LinkedHashSet<>(List.of("b", "c"))));
    assertEquals(List.of("EXPIRED a=1 old=1", "EXPIRED b=2 old=2", "EXPIRED c=3 old=3"), Recorder.EVENTS);
    CacheStatisticsMXBean stats = c.unwrap(NewcacheCache.class).stats;
    assertEquals(3, stats.getCacheMisses());
    assertEquals(0, stats.getCacheHits());
  }

  private static MutableCacheEntryListenerConfiguration<String, String> listener(
      Class<?> type, boolean oldValueRequired, boolean synchronous) {
    @SuppressWarnings("unchecked")
    Class<CacheEntryListener<String, String>> listenerType = (Class<CacheEntryListener<String, String>>) type;
    return new MutableCacheEntryListenerConfiguration<>(
        FactoryBuilder.factoryOf(listenerType), null, oldValueRequired, synchronous);
  }

  private static java.util.logging.Handler capturing(List<java.util.logging.LogRecord> logged) {
    return new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        logged.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
  }

  /** A listener of creations and expiries that always fails. */
  public static final class Failing
      implements CacheEntryCreatedListener<String, String>, CacheEntryExpiredListener<String, String>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      throw new IllegalStateException("this listener fails");
    }

    @Override
    public void onExpired(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      throw new IllegalStateException("this listener fails");
    }
  }

  /**
   * removeAll(keys) with a writer and a REMOVED listener that throws: the writer deleted every key,
   * so the cache removes every key too, and every listener gets every REMOVED event, before the
   * listener's exception reaches the caller. Before, the first event, dispatched between two
   * removals, ended the loop: the system of record had lost b and c while the cache still served
   * them.
   */
  @Test
  void aFailingRemovalListenerLeavesNoWrittenThroughKeyCached() {
    Cache<String, String> c = recordedWriteThrough(new MutableConfiguration<>());
    c.deregisterCacheEntryListener(listener(Recorder.class, true, true));
    c.registerCacheEntryListener(listener(FailingOnRemoval.class, false, true));
    c.registerCacheEntryListener(listener(Recorder.class, true, true));
    for (String k : List.of("a", "b", "c")) {
      c.put(k, "v");
    }
    Recorder.EVENTS.clear();
    assertThrows(CacheEntryListenerException.class, () -> c.removeAll(new LinkedHashSet<>(List.of("a", "b", "c"))));
    assertEquals(Map.of(), Records.SYSTEM);
    for (String k : List.of("a", "b", "c")) {
      assertNull(c.get(k), k + " is gone from the system of record, so from the cache");
    }
    assertEquals(List.of("REMOVED a=v old=v", "REMOVED b=v old=v", "REMOVED c=v old=v"), Recorder.EVENTS);
  }

  /**
   * removeAll() with a writer and a REMOVED listener that throws goes through every batch, then
   * throws the listener's exception: the cache and the system of record agree, both empty.
   */
  @Test
  void aFailingRemovalListenerLetsRemoveAllFinish() {
    Cache<String, String> c = recordedWriteThrough(new MutableConfiguration<>());
    c.registerCacheEntryListener(listener(FailingOnRemoval.class, false, true));
    for (int i = 0; i < 300; i++) {
      c.put("k" + i, "v" + i);
    }
    Recorder.EVENTS.clear();
    assertThrows(CacheEntryListenerException.class, c::removeAll);
    assertEquals(Map.of(), Records.SYSTEM);
    assertEquals(0, memcached.size());
    assertEquals(300, Recorder.EVENTS.size());
  }

  /**
   * removeAll(keys) whose memcached work fails on the third of five keys: the two keys it removed
   * still raise their REMOVED events before the failure reaches the caller. Before, the events were
   * collected for the end of the batch and lost with the failure.
   */
  @Test
  void aRemoveAllThatFailsPartWayStillRaisesTheEventsOfWhatItRemoved() {
    Cache<String, String> c = cache(new MutableConfiguration<>());
    c.registerCacheEntryListener(listener(Recorder.class, true, true));
    Set<String> keys = new LinkedHashSet<>(List.of("k1", "k2", "k3", "k4", "k5"));
    for (String k : keys) {
      c.put(k, "v");
    }
    Recorder.EVENTS.clear();
    memcached.failAfter("cas", 2, 1);
    assertThrows(CacheException.class, () -> c.removeAll(keys));
    assertEquals(2, 5 - memcached.size(), "two keys removed before the failure");
    assertEquals(2, Recorder.EVENTS.size(), "their REMOVED events: " + Recorder.EVENTS);
    assertTrue(Recorder.EVENTS.stream().allMatch(e -> e.startsWith("REMOVED")), String.valueOf(Recorder.EVENTS));
  }

  /**
   * putAll with a writer that refuses some entries and a CREATED listener that throws: the caller
   * gets the writer's CacheWriterException (what JCache throws for a writer's failure), with the
   * listener's exception suppressed in it, and the entries the writer took are cached. Before, the
   * listener's exception replaced the writer's.
   */
  @Test
  void aWritersFailureInPutAllIsThrownOverAListenersFailure() {
    Cache<String, String> c = recordedWriteThrough(new MutableConfiguration<>());
    c.registerCacheEntryListener(listener(Failing.class, false, true));
    Map<String, String> in = new java.util.LinkedHashMap<>();
    in.put("a", "1");
    in.put("b", "refused");
    in.put("c", "3");
    CacheWriterException e = assertThrows(CacheWriterException.class, () -> c.putAll(in));
    assertEquals(1, e.getSuppressed().length);
    assertTrue(e.getSuppressed()[0] instanceof CacheEntryListenerException, String.valueOf(e.getSuppressed()[0]));
    assertEquals(Map.of("a", "1"), Records.SYSTEM);
    assertEquals("1", c.get("a"));
    assertNull(c.get("b"));
    assertNull(c.get("c"));
    assertEquals(List.of("CREATED a=1"), Recorder.EVENTS);
  }

  /**
   * Listeners registered from four threads while a fifth takes configuration snapshots: no call
   * fails, and the configuration lists exactly the listeners that get events. Before, both changed
   * and copied the configuration's plain HashSet with no lock: ConcurrentModificationException from
   * either, registrations lost from the configuration, and listeners registered in the dispatcher
   * by a call that threw.
   */
  @Test
  void listenersRegisterSafelyWhileTheConfigurationIsRead() throws Exception {
    Cache<String, String> c = cache(new MutableConfiguration<>());
    Counting.CREATED.set(0);
    int threads = 4;
    int each = 1000;
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    java.util.concurrent.atomic.AtomicBoolean registering = new java.util.concurrent.atomic.AtomicBoolean(true);
    Thread reader = new Thread(() -> {
      while (registering.get()) {
        try {
          for (Object l : c.getConfiguration(javax.cache.configuration.CompleteConfiguration.class)
              .getCacheEntryListenerConfigurations()) {
            Objects.requireNonNull(l);
          }
        } catch (RuntimeException e) {
          failures.add(e);
        }
      }
    });
    reader.start();
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> done = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        done.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            try {
              c.registerCacheEntryListener(new MutableCacheEntryListenerConfiguration<>(
                  FactoryBuilder.factoryOf(new Counting()), null, false, true));
            } catch (RuntimeException e) {
              failures.add(e);
            }
          }
        }));
      }
      for (java.util.concurrent.Future<?> f : done) {
        f.get();
      }
    } finally {
      registering.set(false);
      reader.join();
      pool.shutdown();
    }
    assertTrue(failures.isEmpty(), failures.size() + " calls failed, the first with " + (failures.isEmpty() ? "" : failures.get(0)));
    int listed = 0;
    for (Object l : c.getConfiguration(javax.cache.configuration.CompleteConfiguration.class)
        .getCacheEntryListenerConfigurations()) {
      listed++;
    }
    assertEquals(threads * each, listed);
    c.put("k", "v");
    assertEquals(threads * each, Counting.CREATED.get(), "the listeners the configuration lists get the event");
  }

  /**
   * Registering, delivering to and deregistering 50,000 listeners each take time linear in their
   * number. Before, each registration scanned every earlier one twice (the dispatcher's list and
   * the configuration's set) and copied the list: 12,000 took about 40 s, 50,000 not within the
   * timeout. The already-registered check still holds.
   */
  @Test
  @org.junit.jupiter.api.Timeout(30)
  void fiftyThousandListenersRegisterAndDeregisterInLinearTime() {
    Cache<String, String> c = cache(new MutableConfiguration<>());
    Counting.CREATED.set(0);
    int n = 50_000;
    List<MutableCacheEntryListenerConfiguration<String, String>> configs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      MutableCacheEntryListenerConfiguration<String, String> l =
          new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(new Counting()), null, false, true);
      configs.add(l);
      c.registerCacheEntryListener(l);
    }
    MutableCacheEntryListenerConfiguration<String, String> again = configs.get(n / 2);
    IllegalArgumentException twice = assertThrows(IllegalArgumentException.class, () -> c.registerCacheEntryListener(again));
    assertTrue(twice.getMessage().contains("already registered"), twice.getMessage());
    c.put("k", "v");
    assertEquals(n, Counting.CREATED.get(), "every listener got the event once");
    for (int i = 0; i < n; i += 2) {
      c.deregisterCacheEntryListener(configs.get(i));
    }
    c.put("k2", "v");
    assertEquals(n + n / 2, Counting.CREATED.get(), "only the listeners left got the second event");
    for (int i = 1; i < n; i += 2) {
      c.deregisterCacheEntryListener(configs.get(i));
    }
    assertFalse(c.getConfiguration(javax.cache.configuration.CompleteConfiguration.class)
        .getCacheEntryListenerConfigurations().iterator().hasNext());
    assertFalse(c.unwrap(NewcacheCache.class).events.any());
    c.registerCacheEntryListener(again); // registered again once deregistered
    c.put("k3", "v");
    assertEquals(n + n / 2 + 1, Counting.CREATED.get());
  }

  /** A register that fails leaves nothing registered: not in the configuration, not getting events. */
  @Test
  void aFailedRegistrationLeavesNothingRegistered() {
    Cache<String, String> c = cache(new MutableConfiguration<>());
    Counting.CREATED.set(0);
    javax.cache.configuration.Factory<CacheEntryCreatedListener<String, String>> failing = () -> {
      throw new IllegalStateException("cannot create the listener");
    };
    assertThrows(RuntimeException.class, () -> c.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(failing, null, false, true)));
    assertFalse(c.getConfiguration(javax.cache.configuration.CompleteConfiguration.class)
        .getCacheEntryListenerConfigurations().iterator().hasNext());
    assertFalse(c.unwrap(NewcacheCache.class).events.any());
  }

  /** Counts CREATED events across its instances. */
  public static final class Counting implements CacheEntryCreatedListener<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    static final java.util.concurrent.atomic.AtomicInteger CREATED = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      events.forEach(e -> CREATED.incrementAndGet());
    }
  }

  /**
   * remove and getAndRemove count their removal (and getAndRemove its hit) when a synchronous
   * REMOVED listener throws: the entry is gone either way. Before, the event was dispatched inside
   * the operation, before its statistics, and the exception skipped them.
   */
  @Test
  void aFailingRemovalListenerLeavesRemovalsCounted() {
    Cache<String, String> c = cache(new MutableConfiguration<String, String>().setStatisticsEnabled(true));
    c.registerCacheEntryListener(listener(FailingOnRemoval.class, false, true));
    c.put("a", "1");
    c.put("b", "2");
    assertThrows(CacheEntryListenerException.class, () -> c.remove("a"));
    assertThrows(CacheEntryListenerException.class, () -> c.getAndRemove("b"));
    assertFalse(c.containsKey("a"));
    assertFalse(c.containsKey("b"));
    CacheStatisticsMXBean stats = c.unwrap(NewcacheCache.class).stats;
    assertEquals(2, stats.getCacheRemovals());
    assertEquals(1, stats.getCacheHits(), "getAndRemove b");
  }

  /** A removal listener that always fails. */
  public static final class FailingOnRemoval implements CacheEntryRemovedListener<String, String>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public void onRemoved(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      throw new IllegalStateException("this listener fails");
    }
  }

  /** A writer that fails in one batch stops removeAll() there; cache and system of record still agree. */
  @Test
  void removeAllStopsAtAFailingWriterWithCacheAndRecordsAgreeing() {
    Records.SYSTEM.clear();
    Cache<String, String> c = cache(new MutableConfiguration<String, String>()
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class)));
    for (int i = 0; i < 300; i++) {
      c.put("k" + i, "v" + i);
    }
    c.put("undeletable", "v");
    assertThrows(CacheWriterException.class, c::removeAll);
    assertEquals("v", c.get("undeletable"));
    assertEquals("v", Records.SYSTEM.get("undeletable"));
    for (int i = 0; i < 300; i++) {
      assertEquals(Records.SYSTEM.get("k" + i), c.get("k" + i), "k" + i);
    }
  }

  @Test
  void accessedExpiryMovesWithEveryRead() {
    Cache<String, String> c =
        cache(new MutableConfiguration<String, String>()
            .setExpiryPolicyFactory(AccessedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 100))));
    c.put("k", "v");
    clock.advance(90);
    assertEquals("v", c.get("k"));
    clock.advance(90);
    assertEquals("v", c.get("k"), "the read at 90 ms moved the expiry to 190 ms");
    clock.advance(100);
    assertNull(c.get("k"));
  }

  @Test
  void eventsCarryTheRightTypesAndOldValues() {
    Cache<String, String> c =
        cache(new MutableConfiguration<String, String>()
            .setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 50))));
    Recorder.EVENTS.clear();
    c.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(Recorder.class), null, true, true));
    c.put("k", "a");
    c.put("k", "b");
    c.remove("k");
    c.put("k", "c");
    clock.advance(50);
    assertNull(c.get("k"));
    assertEquals(List.of("CREATED k=a", "UPDATED k=b old=a", "REMOVED k=b old=b", "CREATED k=c", "EXPIRED k=c old=c"),
        Recorder.EVENTS);
  }

  @Test
  void statisticsCountWhatEachOperationDid() {
    Cache<String, String> c = cache(new MutableConfiguration<String, String>().setStatisticsEnabled(true));
    c.put("a", "1");
    c.get("a");
    c.get("b");
    c.putIfAbsent("a", "2");
    c.replace("a", "1", "3");
    c.remove("a");
    CacheStatisticsMXBean stats = c.unwrap(NewcacheCache.class).stats;
    assertEquals(3, stats.getCacheHits(), "get a, putIfAbsent a, replace a");
    assertEquals(1, stats.getCacheMisses(), "get b");
    assertEquals(2, stats.getCachePuts(), "put, replace");
    assertEquals(1, stats.getCacheRemovals());
  }

  @Test
  void aFailingWriterLeavesTheCacheUnchanged() {
    Records.SYSTEM.clear();
    Cache<String, String> c =
        cache(new MutableConfiguration<String, String>()
            .setWriteThrough(true)
            .setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class)));
    c.put("k", "kept");
    assertEquals("kept", Records.SYSTEM.get("k"));
    assertThrows(CacheWriterException.class, () -> c.put("k", "refused"));
    assertEquals("kept", c.get("k"), "the writer refused, so memcached was not written");
    assertFalse(c.replace("k", "other", "x"));
    assertEquals("kept", Records.SYSTEM.get("k"), "a replace that returns false never calls the writer");
  }

  @Test
  void putIfAbsentOfAnAbsentKeyIsOneAdd() {
    Cache<String, String> c = cache(new MutableConfiguration<>());
    long adds = memcached.count("add");
    long gets = memcached.count("gets");
    assertTrue(c.putIfAbsent("k", "v"));
    assertEquals(adds + 1, memcached.count("add"));
    assertEquals(gets, memcached.count("gets"));
  }

  /** Records every event as text. */
  public static final class Recorder
      implements CacheEntryCreatedListener<String, String>, CacheEntryUpdatedListener<String, String>,
          CacheEntryRemovedListener<String, String>, CacheEntryExpiredListener<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    static final List<String> EVENTS = new ArrayList<>();

    private static void record(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      for (CacheEntryEvent<? extends String, ? extends String> e : events) {
        EVENTS.add(e.getEventType() + " " + e.getKey() + "=" + e.getValue()
            + (e.isOldValueAvailable() ? " old=" + e.getOldValue() : ""));
      }
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      record(events);
    }

    @Override
    public void onUpdated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      record(events);
    }

    @Override
    public void onRemoved(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      record(events);
    }

    @Override
    public void onExpired(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      record(events);
    }
  }

  /** A system of record that refuses the value "refused". */
  public static final class Records implements CacheWriter<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    static final Map<String, String> SYSTEM = new ConcurrentHashMap<>();
    static final List<Integer> DELETE_ALLS = new CopyOnWriteArrayList<>();

    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {
      if (entry.getValue().equals("refused")) {
        throw new IllegalStateException("the system of record refuses this value");
      }
      SYSTEM.put(entry.getKey(), entry.getValue());
    }

    @Override
    public void writeAll(Collection<Cache.Entry<? extends String, ? extends String>> entries) {
      for (var it = entries.iterator(); it.hasNext(); ) {
        write(it.next());
        it.remove();
      }
    }

    @Override
    public void delete(Object key) {
      if (key.equals("undeletable")) {
        throw new IllegalStateException("the system of record refuses to delete this key");
      }
      SYSTEM.remove(key);
    }

    @Override
    public void deleteAll(Collection<?> keys) {
      DELETE_ALLS.add(keys.size());
      for (var it = keys.iterator(); it.hasNext(); ) {
        delete(it.next());
        it.remove();
      }
    }
  }
}
