package io.github.newcache.internal.transport.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.Threads;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** {@link DnsWatcher} in this JVM (moves between real addresses: {@code fleet.DnsMoveTest}). */
class DnsWatcherTest {

  /**
   * close() returns once the watcher's thread has ended, also when it was applying a move (a build
   * of a generation, which takes a moment to close what it built once interrupted). Before, close()
   * only interrupted the thread and returned while it still ran (here for 200 ms more; a DNS lookup
   * or a generation being closed in production).
   */
  @Test
  void closeWaitsForTheWatchersThread() throws Exception {
    // localhost does not resolve to 127.0.0.2: the first check is a move
    InetSocketAddress given = new InetSocketAddress(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 2}), 11211);
    Set<Thread> before = new HashSet<>(Threads.named("newcache-dns"));
    CountDownLatch applying = new CountDownLatch(1);
    AtomicBoolean ended = new AtomicBoolean();
    DnsWatcher w = DnsWatcher.start(List.of(given), 0, 60_000, (was, now) -> {
      applying.countDown();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (!Thread.currentThread().isInterrupted() && System.nanoTime() < deadline) {
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // the build, until close() interrupts it
      }
      long closing = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
      while (System.nanoTime() < closing) {
        Thread.interrupted();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10)); // closing what it built
      }
      ended.set(true);
      throw new IllegalStateException("closed while building");
    });
    try {
      w.lost(given);
      assertTrue(applying.await(5, TimeUnit.SECONDS), "the move is being applied");
    } finally {
      w.close();
    }
    // No time bound on what the fix is about: the move had ended when close() returned (before, it
    // had 200 ms to go). The thread's very end, after its task, is only eventually seen: generous.
    assertTrue(ended.get(), "the move being applied had ended when close() returned");
    assertEquals(List.of(), Threads.awaitGone("newcache-dns", before, Duration.ofSeconds(10)),
        "the watcher's thread after close()");
  }

  /**
   * A move whose applying throws an {@link Error} (no native thread left for the new connections)
   * is tried again at the next check. Before, the Error ended the periodic check for good.
   */
  @Test
  void checksGoOnAfterAnErrorInAMove() throws Exception {
    // localhost does not resolve to 127.0.0.2: every check is a move until one is applied
    InetSocketAddress given = new InetSocketAddress(InetAddress.getByAddress("localhost", new byte[] {127, 0, 0, 2}), 11211);
    java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
    CountDownLatch applied = new CountDownLatch(1);
    DnsWatcher w = DnsWatcher.start(List.of(given), 50, 60_000, (was, now) -> {
      if (calls.incrementAndGet() == 1) {
        throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached");
      }
      applied.countDown();
    });
    try {
      assertTrue(applied.await(10, TimeUnit.SECONDS), "the move was not tried again after the Error (" + calls.get() + " calls)");
    } finally {
      w.close();
    }
  }
}
