package io.github.newcache.internal.herd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.transport.FailureAbsorbingTransport;
import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.cache.CacheException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A batch's holds over an in-memory memcached ({@link FleetLocks#holdAll}): leases asked for a
 * window at a time, and still the rule of keys taken one by one in order: a batch that waits for a
 * key holds no key after it.
 */
class FleetLocksTest {

  private static final byte[] OTHERS = {7, 7, 7};

  private final InMemoryTransport memcached = new InMemoryTransport(new ManualClock());
  private final FleetLocks locks = new LoadCoordinator(memcached, 10_000, new HerdStatistics(), null, null).fleetLocks();

  /** A test that fails midway must not leave its holds to the next test on this thread. */
  @AfterEach
  void forgetThisThreadsLeases() {
    LoadCoordinator.HELD.get().clear();
  }

  private static List<String> keys(int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add(String.format("k%03d", i));
    }
    return keys;
  }

  private static String lease(String mkey) {
    return LeaseKeys.of(mkey);
  }

  @Test
  void aBatchTakesEveryLeaseAndLetsThemAllGo() {
    List<String> keys = keys(150); // three windows
    List<FleetLocks.Hold> held = locks.holdAll(keys);
    assertEquals(150, held.size());
    for (String k : keys) {
      assertNotNull(memcached.get(lease(k)), k);
    }
    locks.releaseAll(held);
    for (String k : keys) {
      assertNull(memcached.get(lease(k)), k);
    }
  }

  @Test
  void aBatchWaitingForAKeyHoldsNoKeyAfterIt() throws Exception {
    assertWaitsHoldingOnlyKeysBefore(locks, 5 + 1); // the window's five asks, then k002 again
  }

  /**
   * Under failures=miss a give-back cannot be confirmed (a failed read of the lease answers
   * "gone"), so the leases are taken one by one, never one after the key waited for, even when
   * memcached fails the give-back's read.
   */
  @Test
  void underMissTheKeysAreHeldOneByOne() throws Exception {
    FleetLocks miss = new LoadCoordinator(
        new FailureAbsorbingTransport(memcached, new FailureStatistics("miss"), LeaseKeys::matches),
        10_000, new HerdStatistics(), null, null).fleetLocks();
    memcached.failNext("gets", 2); // a windowed give-back's release and its check: both "gone"
    assertWaitsHoldingOnlyKeysBefore(miss, 3 + 1); // k000, k001, k002 in turn, then k002 again
  }

  /**
   * Another client holds k002: the batch of k000..k004 waits for it holding k000 and k001 only. It
   * is waiting once it has sent {@code addsOnceWaiting} adds: k002 asked for again, after whatever
   * it gave back (the in-memory memcached answers at once, in the sending thread).
   */
  private void assertWaitsHoldingOnlyKeysBefore(FleetLocks locks, int addsOnceWaiting) throws Exception {
    List<String> keys = keys(5);
    assertTrue(memcached.add(lease("k002"), 60, OTHERS));
    long waiting = memcached.count("add") + addsOnceWaiting;
    ExecutorService batchThread = Executors.newSingleThreadExecutor(); // holds and lets go on one thread
    try {
      Future<List<FleetLocks.Hold>> batch = batchThread.submit(() -> locks.holdAll(keys));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (memcached.count("add") < waiting && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertTrue(memcached.count("add") >= waiting, "the batch waits for k002");
      assertNotNull(memcached.get(lease("k000")));
      assertNotNull(memcached.get(lease("k001")));
      for (String after : List.of("k003", "k004")) {
        assertNull(memcached.get(lease(after)), "not held while waiting for k002: " + after);
      }
      memcached.failNext("gets", 0);
      memcached.delete(lease("k002")); // the other client lets go
      List<FleetLocks.Hold> held = batch.get(10, TimeUnit.SECONDS);
      assertEquals(5, held.size());
      for (String k : keys) {
        assertNotNull(memcached.get(lease(k)), k);
      }
      batchThread.submit(() -> locks.releaseAll(held)).get(10, TimeUnit.SECONDS);
      for (String k : keys) {
        assertNull(memcached.get(lease(k)), k);
      }
    } finally {
      batchThread.shutdownNow();
      assertTrue(batchThread.awaitTermination(10, TimeUnit.SECONDS));
    }
  }

  @Test
  void aLeaseThatCannotBeGivenBackFailsTheBatchBeforeItWaits() {
    List<String> keys = keys(5);
    assertTrue(memcached.add(lease("k001"), 60, OTHERS));
    memcached.failNext("cas", 1); // k002's give-back
    CacheException e = assertThrows(CacheException.class, () -> locks.holdAll(keys));
    assertTrue(e.getMessage().contains("could not give back"), e.getMessage());
    assertNull(memcached.get(lease("k000")), "what the batch held is let go");
    assertArrayEquals(OTHERS, memcached.get(lease("k001")));
    assertNotNull(memcached.get(lease("k002")), "left to its own expiry");
    assertNull(memcached.get(lease("k003")), "the others after the waited-for key are still given back");
    assertNull(memcached.get(lease("k004")));
  }

  @Test
  void anAskThatFailsGivesBackTheOthersAndFailsTheBatch() {
    List<String> keys = keys(5);
    memcached.failNext("add", 1);
    assertThrows(CacheException.class, () -> locks.holdAll(keys));
    for (String k : keys) {
      assertNull(memcached.get(lease(k)), k);
    }
  }

  /**
   * Past the lease timeout a batch waits for nothing more: the keys whose leases others hold are
   * held without them (counted as lease timeouts), the leases it took are kept until it lets go,
   * and the others' leases are left alone.
   */
  @Test
  void pastTheLeaseTimeoutABatchGoesOnWithoutTheLeasesOthersHold() {
    HerdStatistics stats = new HerdStatistics();
    FleetLocks brief = new LoadCoordinator(memcached, 200, stats, null, null).fleetLocks();
    List<String> keys = keys(5);
    assertTrue(memcached.add(lease("k001"), 60, OTHERS));
    assertTrue(memcached.add(lease("k003"), 60, OTHERS));
    List<FleetLocks.Hold> held = brief.holdAll(keys);
    assertEquals(5, held.size());
    assertEquals(2, stats.leaseTimeouts.sum());
    for (String k : List.of("k000", "k002", "k004")) {
      assertNotNull(memcached.get(lease(k)), k);
    }
    brief.releaseAll(held);
    for (String k : List.of("k000", "k002", "k004")) {
      assertNull(memcached.get(lease(k)), k);
    }
    assertArrayEquals(OTHERS, memcached.get(lease("k001")));
    assertArrayEquals(OTHERS, memcached.get(lease("k003")));
  }

  @Test
  void aKeyThisThreadHoldsAlreadyIsNotTakenTwice() {
    try (FleetLocks.Hold outer = locks.hold("k002")) {
      byte[] mine = memcached.get(lease("k002"));
      List<FleetLocks.Hold> held = locks.holdAll(keys(5));
      locks.releaseAll(held);
      assertArrayEquals(mine, memcached.get(lease("k002")), "still the outer hold's");
      assertNull(memcached.get(lease("k001")));
    }
    assertNull(memcached.get(lease("k002")));
  }
}
