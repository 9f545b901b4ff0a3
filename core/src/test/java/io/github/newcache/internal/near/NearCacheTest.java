package io.github.newcache.internal.near;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.NearCacheSettings;
import io.github.newcache.testing.ManualClock;
import io.github.newcache.testing.Threads;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * The near cache's own rules, without a cache around it: δ, revalidation, the stamps that keep a
 * read from undoing a local write, and the bounds.
 */
class NearCacheTest {

  private final ManualClock clock = new ManualClock();
  private final NearCache near = NearCache.of(new NearCacheSettings(100, 1 << 20, 500), clock);
  private final AtomicInteger fetches = new AtomicInteger();

  private static final byte[] OLD = {1, 1};
  private static final byte[] NEW = {2, 2};

  private Function<String, byte[]> memcached(byte[] value) {
    return key -> {
      fetches.incrementAndGet();
      return value == null ? null : value.clone();
    };
  }

  @Test
  void anEntryIsServedForDeltaThenRevalidatedWithOneFetch() {
    assertArrayEquals(OLD, near.read("k", memcached(OLD)));
    clock.advance(499);
    assertArrayEquals(OLD, near.read("k", memcached(NEW)), "within δ: held bytes, no fetch");
    assertEquals(1, fetches.get());
    clock.advance(1);
    assertArrayEquals(NEW, near.read("k", memcached(NEW)), "at δ: revalidated");
    assertEquals(2, fetches.get());
    NearStatistics s = near.statistics();
    assertEquals(1, s.getNearHits());
    assertEquals(1, s.getNearMisses());
    assertEquals(1, s.getRevalidationsChanged());
    assertEquals(0, s.getRevalidationsUnchanged());
  }

  @Test
  void anUnchangedItemKeepsTheHeldBytes() {
    byte[] first = near.read("k", memcached(OLD));
    clock.advance(500);
    assertSame(first, near.read("k", memcached(OLD)), "unchanged bytes: the held array, not the fetched copy");
    assertEquals(1, near.statistics().getRevalidationsUnchanged());
    clock.advance(100);
    assertSame(first, near.read("k", memcached(NEW)), "revalidated 100 ms ago: trusted again for δ");
  }

  @Test
  void anItemGoneFromMemcachedIsDroppedOnRevalidation() {
    near.read("k", memcached(OLD));
    clock.advance(500);
    assertNull(near.read("k", memcached(null)));
    assertEquals(1, near.statistics().getRevalidationsChanged());
    assertNull(near.read("k", memcached(null)));
    assertEquals(3, fetches.get(), "nothing held: every read fetches");
  }

  @Test
  void aLocalWriteLandingDuringAReadIsNeverUndoneByIt() {
    // The read's gets answers the old item; meanwhile this JVM writes NEW and updates the near cache.
    byte[] got =
        near.read("k", key -> {
          NearCache.Ticket t = near.ticket(key);
          near.written(t, NEW);
          return OLD.clone();
        });
    assertArrayEquals(OLD, got, "the read itself may answer what it fetched");
    assertArrayEquals(NEW, near.read("k", memcached(OLD)), "but the near cache keeps the write");
    assertEquals(0, fetches.get());
  }

  @Test
  void aLocalRemovalDuringAReadIsNeverUndoneByIt() {
    near.read("k", key -> {
      near.invalidate(key);
      return OLD.clone();
    });
    assertArrayEquals(NEW, near.read("k", memcached(NEW)), "the old item was not held: this read fetched");
    assertEquals(1, fetches.get());
  }

  @Test
  void aClearDuringAReadIsNeverUndoneByIt() {
    near.read("k", key -> {
      near.invalidateAll();
      return OLD.clone();
    });
    assertNull(near.read("k", memcached(null)));
    assertEquals(1, fetches.get());
  }

  @Test
  void twoRacingLocalWritersLeaveNothingHeld() {
    NearCache.Ticket first = near.ticket("k");
    NearCache.Ticket second = near.ticket("k");
    near.written(second, NEW);
    near.written(first, OLD); // which one memcached kept is not known here
    assertArrayEquals(NEW, near.read("k", memcached(NEW)));
    assertEquals(1, fetches.get(), "nothing was held: the read asked memcached");
  }

  @Test
  void aWriteIsHeldAndRevalidatedByItsBytes() {
    near.written(near.ticket("k"), NEW);
    assertArrayEquals(NEW, near.read("k", memcached(OLD)));
    assertEquals(0, fetches.get());
    clock.advance(500);
    byte[] held = near.read("k", memcached(NEW));
    assertArrayEquals(NEW, held);
    assertEquals(1, near.statistics().getRevalidationsUnchanged(), "no token known for a write: the bytes compared");
  }

  @Test
  void readAllServesHeldKeysAndFetchesTheRestInOneCall() {
    near.read("a", memcached(OLD));
    AtomicInteger calls = new AtomicInteger();
    Map<String, byte[]> found =
        near.readAll(List.of("a", "b", "c"), keys -> {
          calls.incrementAndGet();
          assertEquals(List.of("b", "c"), keys);
          return Map.of("b", NEW.clone());
        });
    assertEquals(1, calls.get());
    assertEquals(2, found.size());
    assertArrayEquals(NEW, near.read("b", memcached(OLD)), "b is held now");
  }

  @Test
  void bothBoundsHoldWhateverTheValuesSize() {
    NearCache small = NearCache.of(new NearCacheSettings(50, 64 * 1024, 1000), clock);
    for (int i = 0; i < 200; i++) {
      small.written(small.ticket("k" + i), new byte[10]);
    }
    small.cleanUp();
    assertTrue(small.statistics().getNearEntries() <= 50, "entries " + small.statistics().getNearEntries());
    assertTrue(small.statistics().getNearEvictions() >= 150);
    NearCache big = NearCache.of(new NearCacheSettings(50, 64 * 1024, 1000), clock);
    for (int i = 0; i < 200; i++) {
      big.written(big.ticket("big" + i), new byte[10_000]);
    }
    big.cleanUp();
    // Each weighs ceil((10000 + key + overhead) * 50 / 65536) = 8 of 50: at most 6 held, 64 KiB.
    assertTrue(big.weightedSize() <= 50);
    assertTrue(big.statistics().getNearEntries() <= 6, "entries " + big.statistics().getNearEntries());
    small.written(small.ticket("huge"), new byte[100_000]);
    assertNull(small.read("huge", key -> null), "an item larger than maxBytes is never held");
  }

  @Test
  void concurrentReadersOfAKeyShareOneFetch() throws Exception {
    CountDownLatch inFetch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Function<String, byte[]> slow = key -> {
      fetches.incrementAndGet();
      inFetch.countDown();
      Threads.awaitReleased(release);
      return OLD.clone();
    };
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<byte[]> first = pool.submit(() -> near.read("k", slow));
      assertTrue(inFetch.await(10, TimeUnit.SECONDS));
      Future<byte[]> second = pool.submit(() -> near.read("k", slow));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (near.statistics().getSharedFetches() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(1, near.statistics().getSharedFetches(), "the second reader waits for the first one's fetch");
      release.countDown();
      assertArrayEquals(OLD, first.get(10, TimeUnit.SECONDS));
      assertArrayEquals(OLD, second.get(10, TimeUnit.SECONDS));
      assertEquals(1, fetches.get(), "one round trip for both");
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aReaderAfterALocalChangeNeverWaitsForAFetchSentBeforeIt() throws Exception {
    CountDownLatch inFetch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<byte[]> before = pool.submit(() -> near.read("k", key -> {
        inFetch.countDown();
        Threads.awaitReleased(release);
        return OLD.clone();
      }));
      assertTrue(inFetch.await(10, TimeUnit.SECONDS));
      near.invalidate("k"); // a local removal or overwrite whose bytes are not held
      assertArrayEquals(NEW, near.read("k", memcached(NEW)), "fetched anew, not the old flight's answer");
      assertEquals(0, near.statistics().getSharedFetches());
      release.countDown();
      assertArrayEquals(OLD, before.get(10, TimeUnit.SECONDS));
      assertArrayEquals(NEW, near.read("k", memcached(OLD)), "and the old flight did not install its answer");
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void aFailedFetchFailsItsWaitersWithTheSameException() throws Exception {
    CountDownLatch inFetch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Function<String, byte[]> failing = key -> {
        inFetch.countDown();
        Threads.awaitReleased(release);
        throw new javax.cache.CacheException("memcached timed out");
      };
      Future<byte[]> first = pool.submit(() -> near.read("k", failing));
      assertTrue(inFetch.await(10, TimeUnit.SECONDS));
      Future<byte[]> second = pool.submit(() -> near.read("k", failing));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (near.statistics().getSharedFetches() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      release.countDown();
      for (Future<byte[]> f : List.of(first, second)) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof javax.cache.CacheException, String.valueOf(e.getCause()));
      }
      assertArrayEquals(NEW, near.read("k", memcached(NEW)), "nothing left in flight");
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  /**
   * A reader whose fetch failed because its own thread was interrupted (the client refuses to send
   * for it, or its wait for the answer ends) fails alone: a reader waiting for that fetch fetches
   * itself. Before, it failed with the other thread's "interrupted during memcached get".
   */
  @Test
  void aReaderInterruptedInItsFetchFailsAloneItsWaiterFetchesItself() throws Exception {
    CountDownLatch inFetch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<byte[]> first = pool.submit(() -> near.read("k", key -> {
        inFetch.countDown();
        Threads.awaitReleased(release);
        Thread.currentThread().interrupt();
        throw new javax.cache.CacheException("interrupted during memcached get of " + key);
      }));
      assertTrue(inFetch.await(10, TimeUnit.SECONDS));
      Future<Object> second = pool.submit(() -> {
        byte[] raw = near.read("k", memcached(OLD));
        return Thread.currentThread().isInterrupted() ? "interrupted" : raw;
      });
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (near.statistics().getSharedFetches() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(1, near.statistics().getSharedFetches(), "the second reader waits for the first one's fetch");
      release.countDown();
      ExecutionException e = assertThrows(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
      assertTrue(e.getCause().getMessage().contains("interrupted"), "the interrupted reader's own failure: " + e.getCause());
      assertArrayEquals(OLD, (byte[]) second.get(10, TimeUnit.SECONDS), "the waiter fetched for itself");
      assertEquals(1, fetches.get());
      assertArrayEquals(OLD, near.read("k", memcached(NEW)), "and what it fetched is held");
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  /** The same for a non-blocking reader waiting for a blocking reader's fetch. */
  @Test
  void aNonBlockingReaderWaitingForAnInterruptedFetchFetchesItself() throws Exception {
    CountDownLatch inFetch = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    ExecutorService pool = Executors.newSingleThreadExecutor();
    try {
      Future<byte[]> first = pool.submit(() -> near.read("k", key -> {
        inFetch.countDown();
        Threads.awaitReleased(release);
        Thread.currentThread().interrupt();
        throw new javax.cache.CacheException("memcached get of " + key + " not sent: the calling thread is interrupted");
      }));
      assertTrue(inFetch.await(10, TimeUnit.SECONDS));
      java.util.concurrent.CompletableFuture<byte[]> second = near.readAsync("k", key -> {
        fetches.incrementAndGet();
        return java.util.concurrent.CompletableFuture.completedFuture(OLD.clone());
      });
      assertEquals(1, near.statistics().getSharedFetches());
      release.countDown();
      assertThrows(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
      assertArrayEquals(OLD, second.get(10, TimeUnit.SECONDS), "the waiter fetched for itself");
      assertEquals(1, fetches.get());
    } finally {
      release.countDown();
      pool.shutdownNow();
    }
  }

  @Test
  void entriesInUseAreRevalidatedAheadOfTimeInOneMultiGet() {
    List<List<String>> batches = new java.util.ArrayList<>();
    NearCache ahead = NearCache.of(new NearCacheSettings(100, 1 << 20, 500), clock, keys -> {
      batches.add(List.copyOf(keys));
      Map<String, byte[]> out = new java.util.HashMap<>();
      keys.forEach(k -> out.put(k, NEW.clone()));
      return java.util.concurrent.CompletableFuture.completedFuture(out);
    });
    for (int i = 0; i < 12; i++) {
      ahead.read("k" + i, memcached(OLD));
    }
    clock.advance(260);
    for (int i = 0; i < 10; i++) {
      assertArrayEquals(OLD, ahead.read("k" + i, memcached(NEW)), "k0…k9 are read past δ/2; k10, k11 are not");
    }
    assertEquals(List.of(), batches, "sent once 100 are queued or the first waited δ/4");
    clock.advance(130);
    assertArrayEquals(OLD, ahead.read("k0", memcached(NEW)), "the read that sends it is still a hit");
    assertEquals(1, batches.size(), "one multi-get");
    assertEquals(10, batches.get(0).size(), "for the ten keys read past δ/2");
    clock.advance(300); // 690 ms after the first fetch, 300 ms after the revalidation ahead
    for (int i = 0; i < 10; i++) {
      assertArrayEquals(NEW, ahead.read("k" + i, memcached(OLD)), "revalidated ahead: a hit, with what it found");
    }
    assertEquals(12, fetches.get(), "no single gets after the first reads");
    assertEquals(10, ahead.statistics().getRevalidationsChanged());
    assertEquals(10, ahead.statistics().getRevalidationsAhead());
    assertArrayEquals(NEW, ahead.read("k10", memcached(NEW)), "an entry left alone revalidates on read");
    assertEquals(13, fetches.get());
  }

  @Test
  void aLocalWriteDuringARevalidationAheadIsNeverUndoneByIt() {
    NearCache[] self = new NearCache[1];
    NearCache ahead = NearCache.of(new NearCacheSettings(100, 1 << 20, 500), clock, keys -> {
      self[0].written(self[0].ticket("k"), NEW); // lands while the multi-get is out
      return java.util.concurrent.CompletableFuture.completedFuture(Map.of("k", OLD.clone()));
    });
    self[0] = ahead;
    ahead.read("k", memcached(OLD));
    clock.advance(260);
    ahead.read("k", memcached(OLD)); // queued
    clock.advance(130);
    ahead.read("k", memcached(OLD)); // sends the multi-get
    assertEquals(1, fetches.get());
    assertArrayEquals(NEW, ahead.read("k", memcached(OLD)), "the write, not the older answer");
  }

  @Test
  void offDoesNothing() {
    NearCache off = NearCache.of(NearCacheSettings.OFF, clock);
    assertSame(NearCache.off(), off);
    off.written(off.ticket("k"), NEW);
    off.invalidate("k");
    off.invalidateAll();
    assertEquals(0, off.statistics().getNearEntries());
  }
}
