package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testing.Threads;
import java.io.File;
import java.net.URI;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.Test;

/** Closing a manager is quick even with a frozen server, and leaves no threads or descriptors. */
class ShutdownTest {

  private static final String IO_THREAD = "Memcached IO";

  private static CacheManager open(LocalMemcached server, String extra) {
    return Caching.getCachingProvider()
        .getCacheManager(URI.create("memcached://" + server.address() + "/?flavor=close" + extra),
            ShutdownTest.class.getClassLoader());
  }

  @Test
  void closeReturnsWithinOneSecondWithAStalledServer() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      Set<Thread> before = new HashSet<>(Threads.named(IO_THREAD));
      Set<Thread> ours = new HashSet<>(Threads.named("newcache-"));
      CacheManager m = open(server, "&opTimeout=300");
      Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>());
      c.put("k", "v");
      // The non-blocking view starts the callback, timeout and scheduler threads.
      c.unwrap(io.github.newcache.NewcacheCache.class).async().get("k").get(5, java.util.concurrent.TimeUnit.SECONDS);
      server.pause();
      try {
        try {
          c.put("k", "w"); // an operation in flight to the frozen server
        } catch (RuntimeException expected) {
          // timed out
        }
        long start = System.nanoTime();
        m.close();
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.println("close with a stalled server: " + millis + " ms");
        assertTrue(millis < 1000, "close took " + millis + " ms");
        assertEquals(List.of(), Threads.awaitGone(IO_THREAD, before, Duration.ofSeconds(10)), "client threads left");
        assertEquals(List.of(), Threads.awaitGone("newcache-", ours, Duration.ofSeconds(10)),
            "our own threads left (callbacks, timeouts, scheduler, loaders)");
      } finally {
        server.resume();
      }
    }
  }

  /**
   * A blocking call waiting on a frozen server when its manager closes still ends within its own
   * timeout. Before, close() stopped the pause monitor, whose last tick then read as a client pause
   * in progress, and the waiter forgave it: the call ended about 10 s (the most a wait forgives)
   * past its 500 ms timeout.
   */
  @Test
  void aBlockingCallInFlightWhenTheManagerClosesEndsWithinItsTimeout() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      CacheManager m = open(server, "&opTimeout=500&stallTimeouts=0");
      Cache<String, String> c = m.createCache("inflight", new MutableConfiguration<String, String>());
      c.put("k", "v");
      server.pause();
      try {
        java.util.concurrent.CompletableFuture<Long> ended = new java.util.concurrent.CompletableFuture<>();
        Thread caller = new Thread(() -> {
          long start = System.nanoTime();
          try {
            c.get("k");
          } catch (RuntimeException expected) {
            // timed out, or the manager closed
          }
          ended.complete((System.nanoTime() - start) / 1_000_000);
        }, "blocked-get");
        caller.start();
        long until = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (caller.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
          Thread.sleep(1); // until the get is sent and its caller parked for the answer
        }
        m.close();
        long millis = ended.get(20, java.util.concurrent.TimeUnit.SECONDS);
        assertTrue(millis < 3000, "the blocking get ended " + millis + " ms after it began (timeout 500 ms)");
      } finally {
        server.resume();
      }
    }
  }

  @Test
  void openCloseCyclesLeaveThreadsAndDescriptorsFlat() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      for (int i = 0; i < 5; i++) {
        cycle(server);
      }
      Set<Thread> before = new HashSet<>(Threads.named(IO_THREAD));
      Threads.awaitGone(IO_THREAD, before, Duration.ofSeconds(2));
      int threads = Thread.activeCount();
      int fds = descriptors();
      long deadline = System.nanoTime() + 40_000_000_000L;
      int cycles = 0;
      while (cycles < 200 && System.nanoTime() < deadline) {
        cycle(server);
        cycles++;
      }
      assertEquals(200, cycles, "200 cycles within 40 s");
      assertEquals(List.of(), Threads.awaitGone(IO_THREAD, before, Duration.ofSeconds(10)), "client threads left");
      int threadsAfter = Thread.activeCount();
      int fdsAfter = descriptors();
      System.out.printf("200 open/close cycles: threads %d -> %d, descriptors %d -> %d%n", threads, threadsAfter, fds, fdsAfter);
      assertTrue(threadsAfter <= threads + 4, "threads grew from " + threads + " to " + threadsAfter);
      assertTrue(fdsAfter <= fds + 10, "descriptors grew from " + fds + " to " + fdsAfter);
    }
  }

  private static void cycle(LocalMemcached server) {
    CacheManager m = open(server, "");
    Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>());
    c.put("k", "v");
    assertEquals("v", c.get("k"));
    m.close();
  }

  private static int descriptors() {
    String[] fds = new File("/proc/self/fd").list();
    return fds == null ? -1 : fds.length;
  }
}
