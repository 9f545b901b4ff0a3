package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.github.newcache.testing.Threads;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.IntSupplier;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryExpiredListener;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.event.CacheEntryUpdatedListener;
import javax.cache.event.EventType;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheWriter;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Events of one key, written by many threads of one JVM at once, reach a synchronous listener in
 * the order of the changes: each UPDATED event's old value is the value of the event before, and
 * the last event's value is what the cache holds.
 */
@ExtendWith(MemcachedExtension.class)
class EventOrderTest {

  private static final int THREADS = 8;
  private static final int OPS = 60;

  private static Cache<String, String> cache(TestManagers managers, Protocol p, String name, long leaseMillis, Chain chain) {
    return managers.open(p).createCache(name, config(leaseMillis, chain));
  }

  private static NewcacheConfiguration<String, String> config(long leaseMillis, Chain chain) {
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setLeaseTimeoutMillis(leaseMillis);
    config.addCacheEntryListenerConfiguration(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(chain), null, true, true));
    return config;
  }

  /** One thread's writes of {@code key}: the blocking writes that raise events, in turn. */
  private static void writes(Cache<String, String> c, String key, String me) {
    for (int i = 0; i < OPS; i++) {
      String v = me + "-" + i;
      switch (i % 6) {
        case 0 -> c.put(key, v);
        case 1 -> c.getAndPut(key, v);
        case 2 -> c.replace(key, v);
        case 3 -> c.remove(key);
        case 4 -> c.invoke(key, (e, args) -> {
          e.setValue(v);
          return null;
        });
        default -> c.putAll(Map.of(key, v));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void concurrentWritersOfOneKeyTellTheListenerAChain(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    Cache<String, String> c = cache(managers, p, "chain", 10_000, chain);
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      String me = "t" + t;
      tasks.add(() -> {
        writes(c, "k", me);
        return null;
      });
    }
    ConcurrencyTest.race(tasks);
    chain.assertChain(c);
    assertEquals(0, turns(c), "no key's turn is left behind once its writes are done");
  }

  /**
   * Non-blocking writes of the key among blocking ones: ordered among themselves by {@link
   * WriteOrder}, and with the blocking ones by the key's turn, which they take without a thread.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void nonBlockingAndBlockingWritersOfOneKeyTellTheListenerAChain(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    Cache<String, String> c = cache(managers, p, "mixed", 10_000, chain);
    @SuppressWarnings("unchecked")
    AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      String me = "t" + t;
      if (t % 2 == 0) {
        tasks.add(() -> {
          writes(c, "k", me);
          return null;
        });
        continue;
      }
      tasks.add(() -> {
        List<CompletableFuture<?>> calls = new ArrayList<>();
        for (int i = 0; i < OPS; i++) {
          String v = me + "-" + i;
          calls.add(switch (i % 6) {
            case 0 -> async.put("k", v);
            case 1 -> async.getAndPut("k", v);
            case 2 -> async.replace("k", v);
            case 3 -> async.remove("k");
            case 4 -> async.putIfAbsent("k", v);
            default -> async.getAndRemove("k");
          });
          if (i % 10 == 9) { // some in flight together, some one by one
            CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
          }
        }
        CompletableFuture.allOf(calls.toArray(new CompletableFuture<?>[0])).get(30, TimeUnit.SECONDS);
        return null;
      });
    }
    raceAndAssertChain(tasks, chain, c);
  }

  /** Batches of the same keys in other orders, single writes among them: every key's events still chain, and nobody waits for ever. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(60)
  void batchesOfTheSameKeysInAnyOrderTakeTurnsWithoutDeadlock(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    Cache<String, String> c = cache(managers, p, "batches", 10_000, chain);
    List<String> keys = List.of("a", "b", "c", "d");
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      String me = "t" + t;
      List<String> mine = new ArrayList<>(keys);
      Collections.rotate(mine, t); // each thread names the keys in another order
      if (t % 2 == 1) {
        Collections.reverse(mine);
      }
      tasks.add(() -> {
        for (int i = 0; i < OPS / 2; i++) {
          Map<String, String> batch = new LinkedHashMap<>();
          for (String k : mine) {
            batch.put(k, me + "-" + i);
          }
          switch (i % 3) {
            case 0 -> c.putAll(batch);
            case 1 -> c.removeAll(new LinkedHashSet<>(mine.subList(0, 2)));
            default -> c.invokeAll(new LinkedHashSet<>(mine), (e, args) -> {
              e.setValue(me + "-" + args[0]);
              return null;
            }, i);
          }
          c.put(mine.get(i % mine.size()), me + "-single-" + i);
        }
        return null;
      });
    }
    raceAndAssertChain(tasks, chain, c);
  }

  /** A synchronous listener that writes the key it is told about, in its own thread, does not wait for itself. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void aSynchronousListenerWritingItsOwnKeyGoesOn(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    listenerWritesItsOwnKey(cache(managers, p, "reentrant", 60_000, chain), chain);
  }

  /** So does one of a write-through cache, whose listeners are told while the key is held for the fleet. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void aSynchronousListenerOfAWriteThroughCacheWritingItsOwnKeyGoesOn(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    NewcacheConfiguration<String, String> config = config(60_000, chain);
    config.setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(CacheRulesTest.Records.class));
    CacheRulesTest.Records.SYSTEM.clear();
    listenerWritesItsOwnKey(managers.open(p).createCache("reentrant-through", config), chain);
    assertEquals("v!", CacheRulesTest.Records.SYSTEM.get("k"));
  }

  private static void listenerWritesItsOwnKey(Cache<String, String> c, Chain chain) {
    chain.onEvent = e -> {
      if (e.getEventType() == EventType.CREATED) {
        c.put(e.getKey(), e.getValue() + "!"); // its own key, in the listener's (the writer's) thread
      }
    };
    c.put("k", "v");
    assertEquals("v!", c.get("k"), "done long before the 60 s lease timeout");
    assertEquals(List.of("CREATED k=v", "UPDATED k=v! old=v"), chain.texts());
    assertEquals(0, turns(c));
  }

  /**
   * Two threads whose synchronous listeners each write the key the other thread holds (a cycle):
   * the wait that would close it is skipped, so both go on at once. Before, each waited for the
   * other's turn until its lease timeout (here 60 s) and failed.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void listenersWritingEachOthersKeysDoNotWaitForEachOther(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    Cache<String, String> c = cache(managers, p, "crossed", 60_000, chain);
    crossedListeners(c, chain, c::put);
  }

  /**
   * So do those of a write-through cache, where each write first waits for the key's hold for the
   * fleet, which the other thread holds: the cycle check sees that wait too. Before, each waited
   * for the other's hold until the lease timeout (here 60 s).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void listenersOfAWriteThroughCacheWritingEachOthersKeysDoNotWaitForEachOther(Protocol p, TestManagers managers)
      throws Exception {
    Chain chain = new Chain();
    NewcacheConfiguration<String, String> config = config(60_000, chain);
    config.setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(CacheRulesTest.Records.class));
    CacheRulesTest.Records.SYSTEM.clear();
    Cache<String, String> c = managers.open(p).createCache("crossed-through", config);
    crossedListeners(c, chain, c::put);
    assertEquals("from-b", CacheRulesTest.Records.SYSTEM.get("a"));
    assertEquals("from-a", CacheRulesTest.Records.SYSTEM.get("b"));
  }

  /** And so do entry processors', which first wait for the key's processor turn (single flight). */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void listenersInvokingProcessorsOnEachOthersKeysDoNotWaitForEachOther(Protocol p, TestManagers managers)
      throws Exception {
    Chain chain = new Chain();
    NewcacheConfiguration<String, String> config = config(60_000, chain);
    config.setSingleFlight(true);
    Cache<String, String> c = managers.open(p).createCache("crossed-processors", config);
    crossedListeners(c, chain, (k, v) -> c.invoke(k, (e, args) -> {
      e.setValue(v);
      return null;
    }));
  }

  /**
   * Two threads, each writing one key with {@code write}, whose synchronous listeners then each
   * write the key the other thread holds (a cycle): both go on at once, and every write lands.
   */
  private static void crossedListeners(Cache<String, String> c, Chain chain, BiConsumer<String, String> write)
      throws Exception {
    java.util.concurrent.CyclicBarrier bothInListeners = new java.util.concurrent.CyclicBarrier(2);
    chain.onEvent = e -> {
      String other = Map.of("x", "b", "y", "a").get(e.getValue());
      if (other != null) {
        try {
          bothInListeners.await(10, TimeUnit.SECONDS); // each holds its own key's turn now
        } catch (Exception notBoth) {
          throw new IllegalStateException(notBoth);
        }
        write.accept(other, "from-" + e.getKey());
      }
    };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> a = pool.submit(() -> write.accept("a", "x"));
      Future<?> b = pool.submit(() -> write.accept("b", "y"));
      a.get(10, TimeUnit.SECONDS);
      b.get(10, TimeUnit.SECONDS);
      assertEquals("from-b", c.get("a"), "written after the outer write, by the other thread's listener");
      assertEquals("from-a", c.get("b"));
      assertEquals(0, turns(c));
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  /**
   * Writers whose key's turn is held longer than the lease timeout (a listener that does not
   * return) go on without it at the timeout, blocking and non-blocking alike, and are applied; the
   * key's turn is free once the listener returns. Before, the blocking writer failed with "nothing
   * was changed" (after a writer had already run, for a write-through cache), and the non-blocking
   * one waited until the listener returned.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void writersGoOnWhenTheKeysTurnIsHeldPastTheLeaseTimeout(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    Cache<String, String> c = cache(managers, p, "held", 300, chain);
    try (HeldByListener slow = new HeldByListener(chain, () -> c.put("held key", "slow"))) {
      c.put("held key", "late");
      assertEquals("late", c.get("held key"), "applied, without the turn");
      @SuppressWarnings("unchecked")
      AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
      async.put("held key", "later").get(5, TimeUnit.SECONDS);
      assertEquals("later", c.get("held key"), "the non-blocking write went on at the timeout too");
      assertEquals(1, turns(c), "the slow listener's turn only");
      slow.release();
      slow.write.get(10, TimeUnit.SECONDS);
      assertEquals(0, turns(c));
    }
  }

  /**
   * A non-blocking write waiting for a key's turn, which another thread's stuck synchronous listener
   * holds, when the manager closes: its wait was ended by the manager's timer at the lease timeout,
   * but the close shuts that timer down, and the write stayed pending until the listener returned.
   * Now the close fails it at once with a CacheException that says so, and it is not applied.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void aNonBlockingWriteWaitingForAKeysTurnEndsWhenTheManagerCloses(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    javax.cache.CacheManager m = managers.open(p);
    Cache<String, String> c = m.createCache("closing", config(60_000, chain));
    try (HeldByListener slow = new HeldByListener(chain, () -> c.put("held key", "slow"))) {
      @SuppressWarnings("unchecked")
      AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
      CompletableFuture<Void> waiting = async.put("held key", "waiting");
      assertTrue(!waiting.isDone(), "the write waits for the listener's turn");
      m.close();
      long start = System.nanoTime();
      java.util.concurrent.ExecutionException failed =
          assertThrows(java.util.concurrent.ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
      assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 2_000, "ended at the close");
      assertTrue(failed.getCause() instanceof CacheException && failed.getCause().getMessage().contains("closed")
          && failed.getCause().getMessage().contains("not applied"), String.valueOf(failed.getCause()));
      slow.release();
      try {
        slow.write.get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException closedMeanwhile) {
        // the slow put's own end after the close is not what this tests
      }
      assertTrue(chain.texts().stream().noneMatch(t -> t.contains("=waiting")), "the waiting write was not applied: " + chain.texts());
    }
  }

  /**
   * A write-through batch calls its writer holding its keys' turns, as a single-key write does, so
   * a single-key write of one of its keys reaches the system of record and the listeners on the
   * same side of it. Before, the batch called its writer first and took the turns after: a write
   * of the key in between (once the fleet hold timed out) could be second at the writer and first
   * at the listeners.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void aBatchCallsItsWriterHoldingItsKeysTurns(Protocol p, TestManagers managers) throws Exception {
    Chain chain = new Chain();
    NewcacheConfiguration<String, String> config = config(10_000, chain);
    config.setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(TurnsSeenByWriter.class));
    Cache<String, String> c = managers.open(p).createCache("batch-writer-turns", config);
    TurnsSeenByWriter.SEEN.clear();
    TurnsSeenByWriter.TURNS = () -> turns(c);
    try {
      c.put("a", "0");
      c.putAll(Map.of("a", "1", "b", "2", "c", "3"));
      c.removeAll(new LinkedHashSet<>(List.of("a", "b")));
      c.removeAll();
    } finally {
      TurnsSeenByWriter.TURNS = () -> -1;
    }
    assertEquals(List.of("write 1", "writeAll 3", "deleteAll 2", "deleteAll 1"), TurnsSeenByWriter.SEEN,
        "the keys whose turns the writer's caller held while it called it");
    assertEquals(7, chain.texts().size(), "a created, updated; b, c created; a, b, c removed: " + chain.texts());
    assertEquals(0, turns(c));
  }

  /** A writer that records how many keys' event turns are held when it is called. */
  public static final class TurnsSeenByWriter implements CacheWriter<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    static final List<String> SEEN = new CopyOnWriteArrayList<>();
    static volatile IntSupplier TURNS = () -> -1;

    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {
      SEEN.add("write " + TURNS.getAsInt());
    }

    @Override
    public void writeAll(Collection<Cache.Entry<? extends String, ? extends String>> entries) {
      SEEN.add("writeAll " + TURNS.getAsInt());
      entries.clear();
    }

    @Override
    public void delete(Object key) {
      SEEN.add("delete " + TURNS.getAsInt());
    }

    @Override
    public void deleteAll(Collection<?> keys) {
      SEEN.add("deleteAll " + TURNS.getAsInt());
      keys.clear();
    }
  }

  /**
   * With stale-while-revalidate, {@code removeAll()} removes the expired items memcached keeps for
   * the window, each with its EXPIRED event, in the key's turn: a put of the key made meanwhile
   * tells its CREATED event after it. Before, the EXPIRED event was dispatched outside the turn, and
   * the put's CREATED event could come first, then the EXPIRED event of the value it replaced.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void removeAllTellsAnExpiredEntrysEventInTheKeysTurn(Protocol p, TestManagers managers) throws Exception {
    Told told = new Told();
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setLeaseTimeoutMillis(10_000);
    config.setReadThrough(true).setCacheLoaderFactory(FactoryBuilder.factoryOf(KeyLoader.class));
    config.setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MILLISECONDS, 300)));
    config.setStaleWhileRevalidateMillis(60_000);
    config.addCacheEntryListenerConfiguration(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(told), null, true, true));
    Cache<String, String> c = managers.open(p).createCache("expired-in-turn", config);
    c.put("k", "v1");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (c.containsKey("k") && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertFalse(c.containsKey("k"), "expired; memcached keeps it for the stale window");
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    int[] turnsSeen = {-1};
    told.onExpired = e -> {
      turnsSeen[0] = turns(c);
      inListener.countDown();
      Threads.awaitReleased(release);
    };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<?> removing = pool.submit(() -> c.removeAll());
      assertTrue(inListener.await(10, TimeUnit.SECONDS));
      Future<?> putting = pool.submit(() -> c.put("k", "v2"));
      try {
        putting.get(300, TimeUnit.MILLISECONDS);
      } catch (TimeoutException waiting) {
        // waiting for the key's turn, which the EXPIRED event's dispatch holds
      }
      release.countDown();
      removing.get(10, TimeUnit.SECONDS);
      putting.get(10, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
    assertEquals(List.of("CREATED k=v1", "EXPIRED k=v1", "told EXPIRED k", "CREATED k=v2"), told.seen);
    assertEquals(1, turnsSeen[0], "the key's turn, held while its EXPIRED event is told");
    assertEquals("v2", c.get("k"));
    assertEquals(0, turns(c));
  }

  /** Loads "loaded-" and the key (a read-through cache needs one for stale-while-revalidate). */
  public static final class KeyLoader implements CacheLoader<String, String>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public String load(String key) {
      return "loaded-" + key;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      Map<String, String> out = new HashMap<>();
      keys.forEach(k -> out.put(k, load(k)));
      return out;
    }
  }

  /** A synchronous listener that records CREATED and EXPIRED events, and when it is done with an EXPIRED one. */
  static final class Told
      implements CacheEntryCreatedListener<String, String>, CacheEntryExpiredListener<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    final List<String> seen = new CopyOnWriteArrayList<>();
    /** What the listener does on an EXPIRED event before it is done with it, in the writer's thread. */
    transient volatile Consumer<CacheEntryEvent<? extends String, ? extends String>> onExpired = e -> {};

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> batch) {
      batch.forEach(e -> seen.add("CREATED " + e.getKey() + "=" + e.getValue()));
    }

    @Override
    public void onExpired(Iterable<CacheEntryEvent<? extends String, ? extends String>> batch) {
      for (CacheEntryEvent<? extends String, ? extends String> e : batch) {
        seen.add("EXPIRED " + e.getKey() + "=" + e.getOldValue());
        onExpired.accept(e);
        seen.add("told EXPIRED " + e.getKey());
      }
    }
  }

  /**
   * Non-blocking puts of a key whose turn a blocking put's slow listener holds: the first waits for
   * the turn (within the lease timeout), and the ones queued behind it in the key's line of
   * non-blocking writes are not held to account for that wait. Before, a queued put whose turn in
   * the line came more than the lease timeout after its call failed ("was not applied"), though
   * every write before it stayed within its bounds.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void nonBlockingWritesQueuedBehindOneThatWaitedForTheTurnAreApplied(Protocol p, TestManagers managers)
      throws Exception {
    Chain chain = new Chain();
    Cache<String, String> c = cache(managers, p, "queued-behind-turn", 1_000, chain);
    CountDownLatch inSlowListener = new CountDownLatch(1);
    chain.onEvent = e -> {
      if ("slow".equals(e.getValue())) {
        inSlowListener.countDown();
      }
      busy("slow".equals(e.getValue()) ? 800 : 300); // a listener's work: most of the lease timeout, then less
    };
    @SuppressWarnings("unchecked")
    AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<?> slow = pool.submit(() -> c.put("k", "slow"));
      assertTrue(inSlowListener.await(10, TimeUnit.SECONDS));
      List<CompletableFuture<Void>> puts = List.of(async.put("k", "a1"), async.put("k", "a2"), async.put("k", "a3"));
      slow.get(10, TimeUnit.SECONDS);
      for (CompletableFuture<Void> put : puts) {
        put.get(10, TimeUnit.SECONDS); // a2 waited about 1.1 s in line, a3 1.4 s: 0.8 s of it for the turn
      }
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
    assertEquals(List.of("CREATED k=slow", "UPDATED k=a1 old=slow", "UPDATED k=a2 old=a1", "UPDATED k=a3 old=a2"),
        chain.texts());
    assertEquals("a3", c.get("k"));
    assertEquals(0, turns(c));
  }

  /** Keeps the calling thread busy for {@code millis}: a listener's work, not a wait for something. */
  private static void busy(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A write-through put, and an entry processor (single flight), whose key another thread holds
   * with a listener that does not return (its hold for the fleet or processor turn, and its turn
   * for events) goes on after one lease timeout in all: its wait for the turn for events shares the
   * deadline of its first wait. Before, it waited the lease timeout twice, one wait after the other.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @Timeout(30)
  void aHeldKeyHoldsAWriteThroughWriteOrAProcessorOneLeaseTimeoutInAll(Protocol p, TestManagers managers)
      throws Exception {
    Chain chain = new Chain();
    NewcacheConfiguration<String, String> config = config(1_000, chain);
    config.setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(CacheRulesTest.Records.class));
    Cache<String, String> through = managers.open(p).createCache("held-through", config);
    assertOneLeaseTimeout(through, chain, () -> through.put("k", "late"));

    Chain processorChain = new Chain();
    Cache<String, String> processed = cache(managers, p, "held-processor", 1_000, processorChain);
    assertOneLeaseTimeout(processed, processorChain, () -> processed.invoke("k", (e, args) -> {
      e.setValue("late");
      return null;
    }));
  }

  /** Holds "k" in a listener that does not return, and checks {@code late} goes on after about one lease timeout (1 s). */
  private static void assertOneLeaseTimeout(Cache<String, String> c, Chain chain, Runnable late) throws Exception {
    // a processor: holds the key (with a writer, for the fleet) as a put does
    try (HeldByListener slow = new HeldByListener(chain, () -> c.invoke("k", (e, args) -> {
      e.setValue("slow");
      return null;
    }))) {
      long start = System.nanoTime();
      late.run();
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(tookMillis >= 900 && tookMillis < 1_700, "one lease timeout (1 s), not two: " + tookMillis + " ms");
      assertEquals("late", c.get("k"), "applied, without the turn");
      slow.release();
      slow.write.get(10, TimeUnit.SECONDS);
      assertEquals(0, turns(c));
    }
  }

  /**
   * A write whose synchronous listener does not return until released: while it runs, the write
   * holds its key's turn for events (and, for a write that takes one, the key's fleet hold or
   * processor turn). Closing releases the listener and stops the writing thread.
   */
  private static final class HeldByListener implements AutoCloseable {
    private final CountDownLatch inListener = new CountDownLatch(1);
    private final CountDownLatch release = new CountDownLatch(1);
    private final ExecutorService pool = Executors.newSingleThreadExecutor();
    /** The held write, run on its own thread. */
    final Future<?> write;

    /** Starts {@code write}, which writes the value "slow", and waits until {@code chain}'s listener holds it. */
    HeldByListener(Chain chain, Runnable write) throws InterruptedException {
      chain.onEvent = e -> {
        if ("slow".equals(e.getValue())) {
          inListener.countDown();
          Threads.awaitReleased(release);
        }
      };
      this.write = pool.submit(write);
      assertTrue(inListener.await(10, TimeUnit.SECONDS), "the listener holds the slow write");
    }

    /** Lets the listener return. */
    void release() {
      release.countDown();
    }

    @Override
    public void close() throws InterruptedException {
      release.countDown();
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  /** Runs {@code tasks} at once, then checks every key's events chain and no turn is left held. */
  private static void raceAndAssertChain(List<Callable<Void>> tasks, Chain chain, Cache<String, String> c)
      throws Exception {
    ConcurrencyTest.race(tasks);
    chain.assertChain(c);
    assertEquals(0, turns(c));
  }

  private static int turns(Cache<String, String> c) {
    @SuppressWarnings("unchecked")
    NewcacheCache<String, String> nc = c.unwrap(NewcacheCache.class);
    return nc.events.keysInTurn();
  }

  /** A synchronous listener that records every event with its old value, and checks they chain per key. */
  static final class Chain
      implements CacheEntryCreatedListener<String, String>, CacheEntryUpdatedListener<String, String>,
          CacheEntryRemovedListener<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    private final List<CacheEntryEvent<? extends String, ? extends String>> events =
        Collections.synchronizedList(new ArrayList<>());
    /** What the listener does besides recording, in the writer's thread. */
    transient volatile Consumer<CacheEntryEvent<? extends String, ? extends String>> onEvent = e -> {};

    private void record(Iterable<CacheEntryEvent<? extends String, ? extends String>> batch) {
      for (CacheEntryEvent<? extends String, ? extends String> e : batch) {
        events.add(e);
        onEvent.accept(e);
      }
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> batch) {
      record(batch);
    }

    @Override
    public void onUpdated(Iterable<CacheEntryEvent<? extends String, ? extends String>> batch) {
      record(batch);
    }

    @Override
    public void onRemoved(Iterable<CacheEntryEvent<? extends String, ? extends String>> batch) {
      record(batch);
    }

    List<String> texts() {
      List<String> out = new ArrayList<>();
      synchronized (events) {
        for (CacheEntryEvent<? extends String, ? extends String> e : events) {
          out.add(e.getEventType() + " " + e.getKey() + "=" + e.getValue()
              + (e.isOldValueAvailable() && e.getEventType() == EventType.UPDATED ? " old=" + e.getOldValue() : ""));
        }
      }
      return out;
    }

    /**
     * Each key's events follow one another: CREATED on an absent entry, UPDATED and REMOVED of the
     * value the event before left, and the last one's value is what {@code c} holds.
     */
    void assertChain(Cache<String, String> c) {
      Map<String, String> held = new HashMap<>();
      List<String> seen = texts();
      assertTrue(seen.size() > THREADS, "events: " + seen.size());
      synchronized (events) {
        for (int i = 0; i < events.size(); i++) {
          CacheEntryEvent<? extends String, ? extends String> e = events.get(i);
          String before = held.get(e.getKey());
          String where = "event " + i + " (" + seen.get(i) + ") after " + (i == 0 ? "none" : seen.get(i - 1)) + " of " + seen.size();
          switch (e.getEventType()) {
            case CREATED -> {
              assertEquals(null, before, where + ": created over a live entry");
              held.put(e.getKey(), e.getValue());
            }
            case UPDATED -> {
              assertTrue(e.isOldValueAvailable(), where);
              assertNotNull(before, where + ": updated an absent entry");
              assertEquals(before, e.getOldValue(), where + ": old value is not the value before");
              held.put(e.getKey(), e.getValue());
            }
            case REMOVED -> {
              assertEquals(before, e.getOldValue(), where + ": removed another value");
              held.remove(e.getKey());
            }
            default -> fail(where);
          }
        }
      }
      for (Map.Entry<String, String> last : new HashMap<>(held).entrySet()) {
        assertEquals(last.getValue(), c.get(last.getKey()), "the last event's value is what the cache holds");
      }
      for (String key : seenKeys()) {
        if (!held.containsKey(key)) {
          assertEquals(null, c.get(key), key + "'s last event removed it");
        }
      }
    }

    private List<String> seenKeys() {
      LinkedHashSet<String> keys = new LinkedHashSet<>();
      synchronized (events) {
        events.forEach(e -> keys.add(e.getKey()));
      }
      return new ArrayList<>(keys);
    }
  }
}
