package io.github.newcache.internal.herd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import io.github.newcache.testing.Threads;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javax.cache.CacheException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A flight's outcome in one JVM over an in-memory memcached: what its waiters take from its
 * leader, and what they do not (a failure that was the leader's own interrupt).
 */
class LoadCoordinatorTest {

  private static final String KEY = "k";

  private final InMemoryTransport memcached = new InMemoryTransport(new ManualClock());
  private final HerdStatistics stats = new HerdStatistics();
  private final LoadCoordinator herd = new LoadCoordinator(memcached, 10_000, stats, null, null);
  private final ExecutorService pool = Executors.newFixedThreadPool(2);
  private final AtomicInteger loads = new AtomicInteger();

  @AfterEach
  void stop() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
  }

  private Supplier<String> fetch() {
    return () -> {
      byte[] v = memcached.get(KEY);
      return v == null ? null : new String(v, java.nio.charset.StandardCharsets.UTF_8);
    };
  }

  private Supplier<String> loading(String value) {
    return () -> {
      loads.incrementAndGet();
      memcached.set(KEY, 0, value.getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return value;
    };
  }

  /**
   * A leader whose load failed because its thread was interrupted (its loader gave up, or the
   * client refused to send the store for it) fails alone: the thread waiting for its flight loads
   * itself. Before, it failed with the leader's "the calling thread is interrupted".
   */
  @Test
  void aLeaderInterruptedInItsLoadFailsAloneItsWaiterLoadsItself() throws Exception {
    CountDownLatch loading = new CountDownLatch(1);
    CountDownLatch joined = new CountDownLatch(1);
    Future<String> leader = pool.submit(() -> herd.load(KEY, fetch(), () -> {
      loading.countDown();
      Threads.awaitReleased(joined);
      Thread.currentThread().interrupt();
      throw new CacheException("memcached add of k not sent: the calling thread is interrupted");
    }));
    assertTrue(loading.await(10, TimeUnit.SECONDS));
    AtomicReference<Thread> waiterThread = new AtomicReference<>();
    Future<Object> waiter = pool.submit(() -> {
      waiterThread.set(Thread.currentThread());
      return interruptedOr(herd.load(KEY, fetch(), loading("mine")));
    });
    awaitIn(waiterThread, "join");
    joined.countDown();
    ExecutionException e = assertThrows(ExecutionException.class, () -> leader.get(10, TimeUnit.SECONDS));
    assertTrue(e.getCause().getMessage().contains("interrupted"), "the leader's own failure: " + e.getCause());
    assertEquals("mine", waiter.get(10, TimeUnit.SECONDS), "the waiter loaded for itself, and was not interrupted");
    assertEquals(1, loads.get());
  }

  /**
   * A leader interrupted while it polls for another client's lease fails alone: the thread waiting
   * for its flight takes the flight over. Before, it failed with "interrupted while waiting for
   * another client's load".
   */
  @Test
  void aLeaderInterruptedWhileWaitingForAnotherClientsLeaseFailsAlone() throws Exception {
    String lease = LeaseKeys.of(KEY);
    memcached.set(lease, 0, new byte[] {7}); // another client's load is under way
    AtomicReference<Thread> leaderThread = new AtomicReference<>();
    Future<String> leader = pool.submit(() -> {
      leaderThread.set(Thread.currentThread());
      return herd.load(KEY, fetch(), loading("leader's"));
    });
    awaitIn(leaderThread, "sleep");
    AtomicReference<Thread> waiterThread = new AtomicReference<>();
    Future<Object> waiter = pool.submit(() -> {
      waiterThread.set(Thread.currentThread());
      return interruptedOr(herd.load(KEY, fetch(), loading("mine")));
    });
    awaitIn(waiterThread, "join");
    leader.cancel(true); // interrupts the leader in its poll
    awaitGone(leaderThread.get());
    memcached.delete(lease); // the other client finished without storing a value
    assertEquals("mine", waiter.get(10, TimeUnit.SECONDS), "the waiter took the flight over");
    assertEquals(1, loads.get());
  }

  private static Object interruptedOr(String value) {
    return Thread.currentThread().isInterrupted() ? "interrupted" : value;
  }

  /** Waits until the thread {@code t} names (once its task runs) is inside {@code method} of the coordinator. */
  private static void awaitIn(AtomicReference<Thread> t, String method) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (t.get() == null || !in(t.get(), method)) {
      assertTrue(System.nanoTime() < deadline, "never reached LoadCoordinator." + method);
      Thread.sleep(1);
    }
  }

  /** Waits until {@code t} has left the coordinator (its load failed or ended). */
  private static void awaitGone(Thread t) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().equals(LoadCoordinator.class.getName()))) {
      assertTrue(System.nanoTime() < deadline, "still in the coordinator");
      Thread.sleep(1);
    }
  }

  private static boolean in(Thread t, String method) {
    return Arrays.stream(t.getStackTrace())
        .anyMatch(f -> f.getClassName().equals(LoadCoordinator.class.getName()) && f.getMethodName().equals(method));
  }
}
