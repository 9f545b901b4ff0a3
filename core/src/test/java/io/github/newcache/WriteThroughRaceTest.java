package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.key.Hashing;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.cache.Cache;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.integration.CacheWriter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Write-through across clients: two managers (two connections, like two JVMs), four threads each,
 * racing conditional writes on one key of a cache whose writer is slow. A call that returns false
 * must not have touched the system of record, and afterwards the system of record and memcached
 * must hold the same value.
 */
@ExtendWith(MemcachedExtension.class)
class WriteThroughRaceTest {

  private static final int ROUNDS = 5;

  @BeforeEach
  void resetSystemOfRecord() {
    SlowRecords.SYSTEM.clear();
    SlowRecords.WRITES.clear();
    SlowRecords.AFTER_NEXT_WRITE.set(null);
  }

  private static List<Cache<String, String>> caches(Protocol p, TestManagers managers) {
    return caches(p, managers, new MutableConfiguration<>());
  }

  private static List<Cache<String, String>> caches(
      Protocol p, TestManagers managers, MutableConfiguration<String, String> config) {
    List<Cache<String, String>> caches = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      caches.add(managers.open(p, "opTimeout=" + (5000 + i)).createCache("written",
          config
              .setTypes(String.class, String.class)
              .setWriteThrough(true)
              .setCacheWriterFactory(FactoryBuilder.factoryOf(SlowRecords.class))));
    }
    return caches;
  }

  /** Every thread of both managers calls {@code op} at once; returns the names of those that got true. */
  private static List<String> race(List<Cache<String, String>> caches, Op op) throws Exception {
    List<Callable<String>> tasks = new ArrayList<>();
    for (int m = 0; m < caches.size(); m++) {
      Cache<String, String> c = caches.get(m);
      for (int t = 0; t < 4; t++) {
        String me = "m" + m + "t" + t;
        tasks.add(() -> op.call(c, me) ? me : null);
      }
    }
    ExecutorService pool = Executors.newFixedThreadPool(tasks.size());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> futures = new ArrayList<>();
      for (Callable<String> task : tasks) {
        futures.add(pool.submit(() -> {
          assertTrue(go.await(10, TimeUnit.SECONDS));
          return task.call();
        }));
      }
      go.countDown();
      List<String> winners = new ArrayList<>();
      for (Future<String> f : futures) {
        String r = f.get(60, TimeUnit.SECONDS);
        if (r != null) {
          winners.add(r);
        }
      }
      return winners;
    } finally {
      pool.shutdownNow();
      assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  @FunctionalInterface
  private interface Op {
    boolean call(Cache<String, String> cache, String me);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void racingReplacesWriteOnlyTheWinner(Protocol p, TestManagers managers) throws Exception {
    List<Cache<String, String>> caches = caches(p, managers);
    for (int round = 0; round < ROUNDS; round++) {
      String key = "replace" + round;
      caches.get(0).put(key, "start");
      List<String> winners = race(caches, (c, me) -> c.replace(key, "start", me));
      assertEquals(1, winners.size(), "winners " + winners);
      assertEquals(List.of(key + "=start", key + "=" + winners.get(0)), SlowRecords.writesOf(key),
          "only the winner reached the system of record");
      assertAgree(caches, key, winners.get(0));
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void racingPutIfAbsentsWriteOnlyTheWinner(Protocol p, TestManagers managers) throws Exception {
    List<Cache<String, String>> caches = caches(p, managers);
    for (int round = 0; round < ROUNDS; round++) {
      String key = "absent" + round;
      List<String> winners = race(caches, (c, me) -> c.putIfAbsent(key, me));
      assertEquals(1, winners.size(), "winners " + winners);
      assertEquals(List.of(key + "=" + winners.get(0)), SlowRecords.writesOf(key));
      assertAgree(caches, key, winners.get(0));
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void racingConditionalRemovesAndReplacesAgree(Protocol p, TestManagers managers) throws Exception {
    List<Cache<String, String>> caches = caches(p, managers);
    for (int round = 0; round < ROUNDS; round++) {
      String key = "mixed" + round;
      caches.get(0).put(key, "start");
      // Half the threads try to remove "start", half to replace it: exactly one succeeds.
      List<String> winners =
          race(caches, (c, me) -> me.endsWith("0") || me.endsWith("2") ? c.remove(key, "start") : c.replace(key, "start", me));
      assertEquals(1, winners.size(), "winners " + winners);
      String winner = winners.get(0);
      boolean removed = winner.endsWith("0") || winner.endsWith("2");
      assertAgree(caches, key, removed ? null : winner);
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void racingPutsLeaveTheSystemOfRecordAndTheCacheAgreeing(Protocol p, TestManagers managers) throws Exception {
    List<Cache<String, String>> caches = caches(p, managers);
    for (int round = 0; round < ROUNDS; round++) {
      String key = "put" + round;
      race(caches, (c, me) -> {
        c.put(key, me);
        return true;
      });
      assertAgree(caches, key, SlowRecords.SYSTEM.get(key));
    }
  }

  /**
   * Batches over the same keys from both managers at once, puts and removals: each takes its keys'
   * leases in key order, so none waits for another in a cycle. None waits out the lease timeout
   * (10 s; a round takes about a second), and for every key the system of record and the cache
   * agree.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void racingOverlappingBatchesAgree(Protocol p, TestManagers managers) throws Exception {
    List<Cache<String, String>> caches = caches(p, managers);
    for (int round = 0; round < ROUNDS; round++) {
      List<String> keys = new ArrayList<>();
      for (int k = 0; k < 6; k++) {
        keys.add("batch" + round + "-" + k);
      }
      race(caches, (c, me) -> {
        if (me.endsWith("3")) {
          c.removeAll(new java.util.HashSet<>(keys));
        } else {
          Map<String, String> batch = new java.util.LinkedHashMap<>();
          for (String key : keys) {
            batch.put(key, me);
          }
          c.putAll(batch);
        }
        return true;
      });
      for (Cache<String, String> c : caches) {
        assertEquals(0, c.unwrap(NewcacheCache.class).herdStatistics().getLeaseTimeouts(),
            "round " + round + ": a batch waited out a lease held by another");
      }
      for (String key : keys) {
        assertAgree(caches, key, SlowRecords.SYSTEM.get(key));
      }
    }
  }

  /**
   * An invoke whose write loses its cas to another client's read, which moved the entry's access
   * expiry: the writer has already taken the processor's outcome, so that outcome is applied again,
   * without running the processor (or the writer) a second time. A processor that fails on a second
   * run would otherwise leave the system of record holding the new value and the cache the old one.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anInvokeWhoseWriteLosesToAReadersTouchWritesOnce(Protocol p, TestManagers managers) {
    List<Cache<String, String>> caches =
        caches(p, managers, new MutableConfiguration<String, String>()
            .setExpiryPolicyFactory(AccessedExpiryPolicy.factoryOf(Duration.ONE_HOUR)));
    String key = "invoked";
    caches.get(0).put(key, "start");
    long putBy = System.currentTimeMillis();
    AtomicInteger runs = new AtomicInteger();
    String answer = caches.get(0).invoke(key, (entry, args) -> {
      if (runs.incrementAndGet() > 1) {
        throw new IllegalStateException("the processor ran again after the writer took its outcome");
      }
      entry.setValue("invoked");
      while (System.currentTimeMillis() <= putBy) {
        Thread.onSpinWait(); // a read in a later millisecond gives the entry a later access expiry
      }
      assertEquals("start", caches.get(1).get(key)); // the other client's read touches the item
      return "done";
    });
    assertEquals("done", answer);
    assertEquals(1, runs.get());
    assertEquals(List.of(key + "=start", key + "=invoked"), SlowRecords.writesOf(key));
    assertAgree(caches, key, "invoked");
  }

  /**
   * An invoke whose key another client wrote through after the invoke's writer ran and before its
   * memcached write (possible once a lease timed out; here the other client runs on the invoking
   * thread, which holds the lease): the entry no longer holds the value the processor read, so
   * the processor runs again on the other client's value, and the system of record and the cache
   * agree on that run's outcome rather than keep the first run's in memcached alone.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anInvokeOvertakenByAnotherWriteRunsAgain(Protocol p, TestManagers managers) {
    List<Cache<String, String>> caches = caches(p, managers);
    String key = "overtaken";
    caches.get(0).put(key, "start");
    SlowRecords.AFTER_NEXT_WRITE.set(() -> caches.get(1).put(key, "other"));
    AtomicInteger runs = new AtomicInteger();
    String answer = caches.get(0).invoke(key, (entry, args) -> {
      entry.setValue(entry.getValue() + "+" + runs.incrementAndGet());
      return entry.getValue();
    });
    assertEquals(2, runs.get());
    assertEquals("other+2", answer);
    assertEquals(List.of(key + "=start", key + "=start+1", key + "=other", key + "=other+2"), SlowRecords.writesOf(key));
    assertAgree(caches, key, "other+2");
  }

  /** A writer whose batch calls are its single calls, key by key. */
  abstract static class KeyByKey implements CacheWriter<String, String>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public void writeAll(Collection<Cache.Entry<? extends String, ? extends String>> entries) {
      for (var it = entries.iterator(); it.hasNext(); ) {
        write(it.next());
        it.remove();
      }
    }

    @Override
    public void deleteAll(Collection<?> keys) {
      for (var it = keys.iterator(); it.hasNext(); ) {
        delete(it.next());
        it.remove();
      }
    }
  }

  /** Records writes, then restores the interrupt flag, as an interrupted writer should. */
  public static final class InterruptedRecords extends KeyByKey {
    private static final long serialVersionUID = 1L;

    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {
      SlowRecords.SYSTEM.put(entry.getKey(), entry.getValue());
      Thread.currentThread().interrupt();
    }

    @Override
    public void delete(Object key) {
      SlowRecords.SYSTEM.remove(key);
      Thread.currentThread().interrupt();
    }
  }

  /**
   * A batch whose writer leaves its thread interrupted (the client then refuses to send for it):
   * its memcached write fails, so the items it was to replace are deleted all the same (the
   * system of record holds the new values), and every lease it took is released (the deletes and
   * releases go with the flag cleared). Other clients neither read the old values nor wait for the
   * leases' TTL.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anInterruptedBatchStillForgetsItsKeysAndReleasesItsLeases(Protocol p, TestManagers managers) throws Exception {
    String name = "interrupted";
    Cache<String, String> c = managers.open(p).createCache(name,
        new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class)
            .setWriteThrough(true)
            .setCacheWriterFactory(FactoryBuilder.factoryOf(InterruptedRecords.class)));
    Cache<String, String> other = managers.open(p, "opTimeout=5001").createCache(name,
        new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    List<String> keys = List.of("a", "b", "c");
    other.putAll(Map.of("a", "old", "b", "old", "c", "old"));
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      thread.submit(() -> {
        try {
          c.putAll(Map.of("a", "new", "b", "new", "c", "new"));
        } catch (RuntimeException e) {
          // the store may fail on the flag
        }
      }).get(30, TimeUnit.SECONDS);
      for (String k : keys) {
        assertEquals("new", SlowRecords.SYSTEM.get(k));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // deleted without waiting: wait for it
        while ("old".equals(other.get(k)) && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertTrue(other.get(k) == null || "new".equals(other.get(k)), "the old value is gone: " + k);
      }
      thread.submit(() -> {
        try {
          c.removeAll(new java.util.HashSet<>(keys));
        } catch (RuntimeException e) {
          // likewise
        }
      }).get(30, TimeUnit.SECONDS);
    } finally {
      thread.shutdownNow();
      assertTrue(thread.awaitTermination(10, TimeUnit.SECONDS));
    }
    try (RawMemcached raw = RawMemcached.of(managers.server())) {
      for (String k : keys) {
        String lease = lease(managers, name, k);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // released without waiting: wait for it
        while (raw.get(lease) != null && System.nanoTime() < deadline) {
          Thread.onSpinWait();
        }
        assertNull(raw.get(lease), "released long before its TTL: " + k);
      }
    }
  }

  /**
   * Another client holds ten keys' leases (planted with no expiry) and the lease timeout is 2 s. A batch of those keys waits 2 s in all, then goes
   * ahead without them; so does a batch whose keys another thread of this JVM holds too (its writer
   * stalled, past its own wait), and a single key held both ways waits 2 s, not 2 s for this JVM's
   * turn and 2 s more for the lease. Before, every key waited the timeout afresh: 20 s for a
   * batch, 4 s for the single key.
   */
  @Test
  void aWaitForOthersHoldsLastsOneLeaseTimeoutInAll(TestManagers managers) throws Exception {
    String name = "held";
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setWriteThrough(true);
    config.setCacheWriterFactory(FactoryBuilder.factoryOf(Stalled.class));
    config.setLeaseTimeoutMillis(2000);
    Cache<String, String> c = managers.open(Protocol.TEXT).createCache(name, config);
    Map<String, String> held = new TreeMap<>();
    Map<String, String> late = new TreeMap<>();
    for (int i = 0; i < 10; i++) {
      held.put("h" + i, "held");
      late.put("h" + i, "late");
    }
    try (RawMemcached raw = RawMemcached.of(managers.server())) {
      for (String k : held.keySet()) {
        raw.set(lease(managers, name, k), new byte[] {7, 7, 7}); // another client's, for good
      }
    }
    long bound = 3500; // well under twice the lease timeout
    assertTookLessThan(bound, "a batch of keys another client holds", () -> c.putAll(late));

    Stalled.reset();
    ExecutorService holder = Executors.newSingleThreadExecutor();
    try {
      Future<?> holding = holder.submit(() -> c.putAll(held)); // past its wait, it stalls in the writer
      assertTrue(Stalled.ENTERED.get().await(30, TimeUnit.SECONDS), "the holder reached its writer");
      HerdStatisticsMXBean stats = c.unwrap(NewcacheCache.class).herdStatistics();
      long before = stats.getLeaseTimeouts();
      assertTookLessThan(bound, "a batch of keys another thread holds too", () -> c.putAll(late));
      // One wait past the bound per key, counted once: before, the turn's timeout and then the
      // lease's counted twice (20 for the batch, 2 for the key).
      assertEquals(10, stats.getLeaseTimeouts() - before, "lease timeouts of a batch of ten keys held both ways");
      before = stats.getLeaseTimeouts();
      assertTookLessThan(bound, "a key held both ways", () -> c.put("h0", "late"));
      assertEquals(1, stats.getLeaseTimeouts() - before, "lease timeouts of one key held both ways");
      Stalled.RELEASE.get().countDown();
      holding.get(30, TimeUnit.SECONDS);
    } finally {
      Stalled.RELEASE.get().countDown();
      holder.shutdownNow();
      assertTrue(holder.awaitTermination(10, TimeUnit.SECONDS));
    }
    assertTrue(c.unwrap(NewcacheCache.class).herdStatistics().getLeaseTimeouts() > 0, "the waits timed out");
  }

  private static void assertTookLessThan(long millis, String what, Runnable call) {
    long start = System.nanoTime();
    call.run();
    long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(took < millis, what + " waited " + took + " ms, more than " + millis);
  }

  /** The memcached key of the lease of a cache's key, under the default key mangler. */
  private static String lease(TestManagers managers, String cache, String key) {
    return managers.flavor() + "-1-" + cache + "-" + Hashing.md5Hex(key.getBytes(StandardCharsets.UTF_8)) + ".lease";
  }

  /** A writer that stalls, until the test lets it go, on a batch or key written as "held". */
  public static final class Stalled extends KeyByKey {
    private static final long serialVersionUID = 1L;
    static final AtomicReference<CountDownLatch> ENTERED = new AtomicReference<>(new CountDownLatch(1));
    static final AtomicReference<CountDownLatch> RELEASE = new AtomicReference<>(new CountDownLatch(1));

    static void reset() {
      ENTERED.set(new CountDownLatch(1));
      RELEASE.set(new CountDownLatch(1));
    }

    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {
      if ("held".equals(entry.getValue())) {
        ENTERED.get().countDown();
        try {
          RELEASE.get().await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }

    @Override
    public void delete(Object key) {}
  }

  private static void assertAgree(List<Cache<String, String>> caches, String key, String expected) {
    assertEquals(expected, SlowRecords.SYSTEM.get(key), "system of record");
    for (Cache<String, String> c : caches) {
      if (expected == null) {
        assertNull(c.get(key), "cache");
      } else {
        assertEquals(expected, c.get(key), "cache");
      }
    }
  }

  /** A system of record whose writes take a while, so that racing clients overlap inside the writer. */
  public static final class SlowRecords extends KeyByKey {
    private static final long serialVersionUID = 1L;
    static final Map<String, String> SYSTEM = new ConcurrentHashMap<>();
    static final List<String> WRITES = new CopyOnWriteArrayList<>();
    /** Run once, after the next write is recorded: another client's write that comes in right then. */
    static final AtomicReference<Runnable> AFTER_NEXT_WRITE = new AtomicReference<>();

    static List<String> writesOf(String key) {
      List<String> out = new ArrayList<>();
      for (String w : WRITES) {
        if (w.startsWith(key + "=")) {
          out.add(w);
        }
      }
      return out;
    }

    private static void slowly() {
      try {
        Thread.sleep(20); // the system of record's own latency, which widens the race window
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {
      slowly();
      SYSTEM.put(entry.getKey(), entry.getValue());
      WRITES.add(entry.getKey() + "=" + entry.getValue());
      Runnable then = AFTER_NEXT_WRITE.getAndSet(null);
      if (then != null) {
        then.run();
      }
    }

    @Override
    public void delete(Object key) {
      slowly();
      SYSTEM.remove(key);
      WRITES.add(key + " deleted");
    }
  }
}
