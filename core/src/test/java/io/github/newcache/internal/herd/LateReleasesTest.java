package io.github.newcache.internal.herd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import javax.cache.CacheException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Which leases given up on are released later ({@link LateReleases}), and how many retries that
 * puts on the manager's one scheduler thread: adds that failed before anything was sent took
 * nothing; adds that timed out may have taken their lease, and are released once memcached
 * answers, one chain of tries per lease, at most {@link LateReleases#MAX_PENDING} tokens at once.
 */
class LateReleasesTest {

  private final InMemoryTransport memcached = new InMemoryTransport(new ManualClock());
  private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
  private final LoadCoordinator herd = new LoadCoordinator(memcached, 10_000, new HerdStatistics(), null, scheduler);

  @AfterEach
  void stop() throws InterruptedException {
    scheduler.shutdownNow();
    assertTrue(scheduler.awaitTermination(10, TimeUnit.SECONDS));
  }

  /**
   * A failure that says nothing was sent (a full queue, a server not connected, a stalled server
   * failing at once): the add took no lease, so nothing is scheduled. Before, each such failure
   * started its own chain of retries on the scheduler, for the whole lease timeout: a write-through
   * storm against a killed server left one per write (20,000 tasks for 20,000 puts).
   */
  @Test
  void anAddThatFailedBeforeItWasSentSchedulesNothing() {
    memcached.failNext("add", 500);
    for (int i = 0; i < 500; i++) {
      String lease = "k" + i + ".lease";
      assertThrows(CacheException.class, () -> herd.addLease(lease, LoadCoordinator.token()));
    }
    assertEquals(0, scheduler.getQueue().size(), "retries scheduled for adds that took nothing");
  }

  /**
   * A timed-out add may have been applied (a frozen server applies it when it resumes): its lease
   * is released once memcached answers, and only if it holds the add's token.
   */
  @Test
  void aTimedOutAddThatWasAppliedIsReleasedOnceMemcachedAnswers() throws InterruptedException {
    byte[] token = LoadCoordinator.token();
    assertTrue(memcached.add("k.lease", 60, token)); // the add, applied though its answer never came
    memcached.timeOutNext("add", 1);
    assertThrows(CacheException.class, () -> herd.addLease("k.lease", token));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (memcached.get("k.lease") != null && System.nanoTime() - deadline < 0) {
      Thread.sleep(5); // a bounded poll for the scheduled release
    }
    assertNull(memcached.get("k.lease"), "released by the late release");

    byte[] others = LoadCoordinator.token();
    assertTrue(memcached.add("j.lease", 60, others));
    memcached.timeOutNext("add", 1);
    assertThrows(CacheException.class, () -> herd.addLease("j.lease", LoadCoordinator.token()));
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (herd.lateReleasesWaiting() > 0 && System.nanoTime() - deadline < 0) {
      Thread.sleep(5);
    }
    assertEquals(0, herd.lateReleasesWaiting());
    assertNotNull(memcached.get("j.lease"), "another holder's lease is left alone");
  }

  /**
   * Adds of one lease that time out while memcached stays silent: one chain of tries for the lease,
   * not one per add; the same token given again (its add's, then its release's) waits once.
   */
  @Test
  void aLeaseHasOneChainOfTriesWhateverNumberOfTokensWait() {
    memcached.timeOutNext("gets", Integer.MAX_VALUE); // memcached answers none of the tries
    memcached.timeOutNext("add", 1_000);
    byte[] first = LoadCoordinator.token();
    assertThrows(CacheException.class, () -> herd.addLease("k.lease", first));
    for (int i = 1; i < 1_000; i++) {
      assertThrows(CacheException.class, () -> herd.addLease("k.lease", LoadCoordinator.token()));
    }
    herd.release("k.lease", first); // times out too: the same token, waiting already
    assertTrue(scheduler.getQueue().size() <= 1, "tasks scheduled for one lease: " + scheduler.getQueue().size());
    assertEquals(1_000, herd.lateReleasesWaiting());
  }

  /** Past {@link LateReleases#MAX_PENDING} tokens waiting, a lease given up on is left to its TTL. */
  @Test
  void atMostMaxPendingTokensWait() {
    memcached.timeOutNext("gets", Integer.MAX_VALUE);
    int adds = LateReleases.MAX_PENDING + 500;
    memcached.timeOutNext("add", adds);
    for (int i = 0; i < adds; i++) {
      String lease = "k" + i + ".lease";
      assertThrows(CacheException.class, () -> herd.addLease(lease, LoadCoordinator.token()));
    }
    assertTrue(scheduler.getQueue().size() <= LateReleases.MAX_PENDING,
        "tasks scheduled: " + scheduler.getQueue().size());
    assertEquals(LateReleases.MAX_PENDING, herd.lateReleasesWaiting());
  }
}
