package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.AsyncCache;
import io.github.newcache.FailurePolicy;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.testkit.LocalMemcached;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import org.junit.jupiter.api.Test;

/**
 * Under {@code failures=miss}, a put that times out is skipped, and the item it was to replace is
 * deleted, best effort and without waiting. When the frozen server's queue is full, that delete is
 * refused at once; before, it waited {@code opQueueWait} for room on the one thread that times out
 * every operation, under its lock, one skipped put after another: hundreds of puts failed tens of
 * seconds after their timeout, and closing the manager waited for that thread.
 */
class MissPolicyTimeoutsTest {

  private static final int OP_TIMEOUT_MILLIS = 1500;
  private static final int OP_QUEUE_WAIT_MILLIS = 100;
  /** Values large enough that the sockets and the queues of 16 fill within a few hundred puts. */
  private static final int VALUE_CHARS = 24 * 1024;

  @Test
  void skippedPutsToAFrozenServerWithAFullQueueCompleteWithinTheTimeout() throws Exception {
    withPutsInFlight((m, inFlight) -> {
      long lastSent = System.nanoTime();
      for (CompletableFuture<Void> f : inFlight) {
        f.get(120, TimeUnit.SECONDS); // skipped: completes normally
      }
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - lastSent);
      System.out.println("miss policy: " + inFlight.size() + " puts in flight completed " + millis
          + " ms after the last was sent");
      // within the timeout plus scheduling on a busy machine; before, one opQueueWait per put
      assertTrue(millis < OP_TIMEOUT_MILLIS + 3000, inFlight.size() + " puts in flight completed only " + millis
          + " ms after the last was sent (timeout " + OP_TIMEOUT_MILLIS + " ms)");
    });
  }

  @Test
  void closingWhileSkippedPutsTimeOutIsPrompt() throws Exception {
    withPutsInFlight((m, inFlight) -> {
      inFlight.get(0).get(60, TimeUnit.SECONDS); // the timeouts have begun
      long start = System.nanoTime();
      m.close();
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      System.out.println("miss policy: closed in " + millis + " ms with " + inFlight.size() + " puts in flight");
      for (CompletableFuture<Void> f : inFlight) {
        f.get(120, TimeUnit.SECONDS);
      }
      assertTrue(millis < 5000, "closing took " + millis + " ms with " + inFlight.size() + " puts timing out");
    });
  }

  /** What a test does with the manager over a frozen server and the puts it has in flight. */
  @FunctionalInterface
  private interface WithPutsInFlight {
    void run(CacheManager m, List<CompletableFuture<Void>> inFlight) throws Exception;
  }

  /** Runs {@code test} with a manager over a frozen server whose queue the puts filled, then lets both go. */
  private void withPutsInFlight(WithPutsInFlight test) throws Exception {
    try (LocalMemcached frozen = LocalMemcached.start()) {
      CacheManager m = manager(frozen);
      try {
        AsyncCache<String, String> async = cache(m);
        frozen.pause();
        try {
          test.run(m, fill(async));
        } finally {
          frozen.resume();
        }
      } finally {
        m.close();
      }
    }
  }

  private CacheManager manager(LocalMemcached server) {
    URI uri = URI.create("memcached://" + server.address() + "/?opTimeout=" + OP_TIMEOUT_MILLIS
        + "&stallTimeouts=0&opQueueSize=16&opQueueWait=" + OP_QUEUE_WAIT_MILLIS + "&opQueueBytes=1073741824");
    return Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
  }

  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache, typed <String, String>
  private static AsyncCache<String, String> cache(CacheManager m) throws Exception {
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setFailurePolicy(FailurePolicy.MISS);
    Cache<String, String> c = m.createCache("c", config);
    AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
    async.put("warm", "v").get(10, TimeUnit.SECONDS);
    return async;
  }

  /**
   * Puts into the frozen server until one is refused at once (its future done on return: the
   * sockets and the queue are full, and the refusal was skipped); returns those still in flight.
   */
  private static List<CompletableFuture<Void>> fill(AsyncCache<String, String> async) {
    String value = "x".repeat(VALUE_CHARS);
    List<CompletableFuture<Void>> inFlight = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      CompletableFuture<Void> put = async.put("k" + i, value);
      if (put.isDone()) {
        assertTrue(inFlight.size() >= 60, "the queue filled after only " + inFlight.size() + " puts");
        return inFlight;
      }
      inFlight.add(put);
    }
    throw new AssertionError("20,000 puts and the frozen server's queue never filled");
  }
}
