package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Callers' code that blocks where the non-blocking API's own work runs: stages holding both
 * callback threads while they wait for the manager's futures, and a blocking call in a stage that
 * runs on the client's IO thread. Neither may leave a future pending past its operation timeout,
 * nor report a healthy server stalled.
 */
@ExtendWith(MemcachedExtension.class)
class AsyncBlockingStagesTest {

  private static final int OP_TIMEOUT_MILLIS = 500;
  /** How late after its operation timeout a future may complete: the 10 ms sweep, and a busy machine. */
  private static final long SLACK_MILLIS = 1_000;
  /** How long a test waits for any one future: far past the bound it asserts. */
  private static final long WAIT_MILLIS = 5_000;

  /** Values whose reads take different paths once memcached answers. */
  enum Stored {
    /** Decoded on the IO thread, which completes the future. */
    SMALL_STRING,
    /** Java-serialized: decoded on a callback thread. */
    JAVA_SERIALIZED,
    /** Over 16 KB: handed to a callback thread. */
    LARGE_STRING;

    Object value() {
      return switch (this) {
        case SMALL_STRING -> "v";
        case JAVA_SERIALIZED -> new ArrayList<>(List.of("rate", "5"));
        case LARGE_STRING -> "x".repeat(20_000);
      };
    }
  }

  static Stream<Arguments> protocolsAndValues() {
    return Stream.of(Protocol.values()).flatMap(p -> Stream.of(Stored.values()).map(v -> Arguments.of(p, v)));
  }

  /** How a future ended: its value or failure, or still pending; and after how long. */
  private record Outcome(Object value, Throwable failure, boolean pending, long millis) {
    static Outcome of(CompletableFuture<?> f) {
      long start = System.nanoTime();
      try {
        Object v = f.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
        return new Outcome(v, null, false, since(start));
      } catch (TimeoutException e) {
        return new Outcome(null, null, true, since(start));
      } catch (ExecutionException e) {
        return new Outcome(null, e.getCause(), false, since(start));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }

    /**
     * Asserts that it ended within the operation timeout (and slack): with {@code expected}, or
     * failing with the CacheException that says why.
     */
    void assertEndedInTime(Object expected, String what) {
      assertFalse(pending, what + ": still pending after " + millis + " ms (operation timeout " + OP_TIMEOUT_MILLIS + " ms)");
      assertTrue(millis <= OP_TIMEOUT_MILLIS + SLACK_MILLIS, what + ": ended after " + millis + " ms");
      if (failure == null) {
        assertEquals(expected, value, what);
        return;
      }
      assertTrue(failure instanceof CacheException && failure.getMessage().contains("callback threads")
          && failure.getMessage().contains("your own executor"), what + ": " + failure);
    }
  }

  private static long since(long start) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
  }

  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache
  private static <V> AsyncCache<String, V> async(Cache<String, V> c) {
    return c.unwrap(NewcacheCache.class).async();
  }

  /**
   * Runs {@code blocking} in two stages of the manager's futures at once, so that they hold both
   * callback threads while it runs; returns their futures once both are held.
   */
  private static <T> List<CompletableFuture<T>> inBothCallbackThreads(AsyncCache<String, Object> async, Supplier<T> blocking)
      throws InterruptedException {
    CompletableFuture<Object> gate = new CompletableFuture<>();
    CountDownLatch held = new CountDownLatch(2);
    List<CompletableFuture<T>> stages = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      // pending until the gate opens, so the stage added to it runs on a callback thread
      stages.add(async.get("gate" + i, k -> gate).thenApply(v -> {
        held.countDown();
        try {
          assertTrue(held.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "both callback threads held");
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return blocking.get();
      }));
    }
    gate.complete("open");
    assertTrue(held.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "both stages started");
    return stages;
  }

  /**
   * Two stages hold both callback threads, each waiting for a read of the manager. A read whose
   * answer the IO thread completes (a small String) ends at once; one whose answer goes on to a
   * callback thread (a Java-serialized value, or over 16 KB) could never get there: it stayed
   * pending for ever, and so did every other such read of the manager (the main thread's, below).
   * Now each ends within the operation timeout: with the value, or with a CacheException that says
   * the callback threads were all held. Once the stages let go, the manager reads as before.
   */
  @ParameterizedTest
  @MethodSource("protocolsAndValues")
  void readsEndWithinTheTimeoutWhileStagesHoldEveryCallbackThreadWaitingForThem(
      Protocol p, Stored stored, TestManagers managers) throws Exception {
    Cache<String, Object> c = managers.open(p, "opTimeout=" + OP_TIMEOUT_MILLIS)
        .createCache("held", new MutableConfiguration<String, Object>());
    Object value = stored.value();
    c.put("x", value);
    AsyncCache<String, Object> async = async(c);

    List<CompletableFuture<Outcome>> stages = inBothCallbackThreads(async, () -> Outcome.of(async.get("x")));
    Outcome meanwhile = Outcome.of(async.get("x"));
    for (CompletableFuture<Outcome> stage : stages) {
      stage.get(2 * WAIT_MILLIS, TimeUnit.MILLISECONDS).assertEndedInTime(value, "a stage's get of " + stored);
    }
    meanwhile.assertEndedInTime(value, "another get of " + stored + " while the stages waited");
    Outcome later = Outcome.of(async.get("x"));
    assertEquals(value, later.value(), "the manager reads once the stages are done: " + later);
  }

  /**
   * The loader of get(key, loader) runs on a callback thread; two loaders that each wait for a read
   * of another entry (a Java-serialized one) held both threads, and the read and both loads stayed
   * pending until the loaders gave up waiting. Now the read fails within the operation timeout, and
   * with it the loads.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void loadersWaitingForAnotherReadEndWithinTheTimeout(Protocol p, TestManagers managers) throws Exception {
    Cache<String, Object> c = managers.open(p, "opTimeout=" + OP_TIMEOUT_MILLIS)
        .createCache("loaders", new MutableConfiguration<String, Object>());
    c.put("config", Stored.JAVA_SERIALIZED.value());
    AsyncCache<String, Object> async = async(c);
    CountDownLatch both = new CountDownLatch(2);
    Function<String, CompletableFuture<Object>> loader = k -> {
      both.countDown();
      try {
        assertTrue(both.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "both loaders running");
        return CompletableFuture.completedFuture(k + async.get("config").get(WAIT_MILLIS, TimeUnit.MILLISECONDS));
      } catch (Exception e) {
        return CompletableFuture.failedFuture(e);
      }
    };
    long start = System.nanoTime();
    CompletableFuture<Object> a = async.get("a", loader);
    CompletableFuture<Object> b = async.get("b", loader);
    for (CompletableFuture<Object> load : List.of(a, b)) {
      Outcome o = Outcome.of(load);
      assertFalse(o.pending(), "a load still pending after " + since(start) + " ms");
      assertTrue(since(start) <= OP_TIMEOUT_MILLIS + SLACK_MILLIS, "the loads ended after " + since(start) + " ms: " + o);
      // the loader's own get(timeout) threw ExecutionException: the read's CacheException is its cause
      Throwable read = o.failure() == null ? null : o.failure().getCause();
      if (o.failure() != null) {
        assertTrue(read instanceof CacheException && read.getMessage().contains("callback threads"), String.valueOf(o.failure()));
      }
    }
    assertEquals(Stored.JAVA_SERIALIZED.value(), async.get("config").get(WAIT_MILLIS, TimeUnit.MILLISECONDS));
  }

  /**
   * A stage of the future thenCompose returns runs on the client's IO thread when the inner read
   * completes there (README: such stages may run there). A blocking put in it waited the whole
   * operation timeout for an answer that only that thread could read, stalling every other caller,
   * then failed blaming the server ("timed out; the server may still apply it"); a few such calls
   * tripped the stall breaker, and every later call to the healthy server failed at once. Now the
   * call fails at once saying what happened and what to do, nothing is sent, and the server stays
   * healthy.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aBlockingCallOnTheIoThreadFailsAtOnceAndTheServerStaysHealthy(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = managers.open(p, "opTimeout=" + OP_TIMEOUT_MILLIS)
        .createCache("io", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    blockingCallsOnTheIoThreadAreRefusedAtOnce(managers.server(), c, null);
  }

  /**
   * The same with a listener, while another thread's listener holds the keys' turns for events:
   * the call is refused before it waits for a turn. Before, it waited for the turn on the IO
   * thread (up to the lease timeout), stalling every other caller, and the puts in flight timed
   * out and tripped the stall breaker (review 57).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aBlockingCallOnTheIoThreadIsRefusedBeforeItWaitsForAKeysTurn(Protocol p, TestManagers managers) throws Exception {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Holder.onCreated = () -> {
      holding.countDown();
      io.github.newcache.testing.Threads.awaitReleased(release);
    };
    MutableConfiguration<String, String> config = new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .addCacheEntryListenerConfiguration(new javax.cache.configuration.MutableCacheEntryListenerConfiguration<>(
            javax.cache.configuration.FactoryBuilder.factoryOf(Holder.class), null, false, true));
    Cache<String, String> c = managers.open(p, "opTimeout=" + OP_TIMEOUT_MILLIS).createCache("io-turns", config);
    Thread holder = new Thread(() -> c.putAll(java.util.Map.of("c0", "slow", "c1", "slow", "c2", "slow", "c3", "slow",
        "c4", "slow")));
    holder.start();
    try {
      assertTrue(holding.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the listener holds the keys' turns");
      blockingCallsOnTheIoThreadAreRefusedAtOnce(managers.server(), c, "slow");
    } finally {
      release.countDown();
      holder.join(WAIT_MILLIS);
      Holder.onCreated = () -> { };
    }
  }

  /**
   * A stage on the IO thread that waits for a pending future of the non-blocking API (one it just
   * asked for, or one derived from it): before, join and get blocked the IO thread, which alone could
   * read the answer, for the whole operation timeout, stalling every caller, then failed blaming the
   * server. Now each wait is refused at once with the IllegalStateException a blocking call gets
   * there, the futures are left as they are and complete with their values, and the server stays
   * healthy.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aWaitForOurFutureOnTheIoThreadIsRefusedAtOnce(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = managers.open(p, "opTimeout=" + OP_TIMEOUT_MILLIS)
        .createCache("io-waits", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    AsyncCache<String, String> async = async(c);
    c.put("a", "1");
    c.put("b", "2");
    List<CompletableFuture<String>> waitedFor = new CopyOnWriteArrayList<>();
    List<RuntimeException> refused = new CopyOnWriteArrayList<>();
    List<Long> refusedAfter = new CopyOnWriteArrayList<>();
    List<Function<CompletableFuture<String>, String>> waits = List.of(
        CompletableFuture::join,
        f -> {
          try {
            return f.get();
          } catch (InterruptedException | ExecutionException e) {
            throw new AssertionError(e);
          }
        },
        f -> {
          try {
            return f.get(OP_TIMEOUT_MILLIS * 4L, TimeUnit.MILLISECONDS);
          } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError(e);
          }
        });
    onTheIoThread(managers.server(), async, () -> {
      for (Function<CompletableFuture<String>, String> wait : waits) {
        CompletableFuture<String> read = async.get("a");
        for (CompletableFuture<String> f : List.of(read, read.thenApply(v -> v + "!"))) { // ours, and derived
          waitedFor.add(f);
          long start = System.nanoTime();
          try {
            wait.apply(f);
          } catch (RuntimeException e) {
            refused.add(e);
          }
          refusedAfter.add(since(start));
        }
      }
    });
    assertEquals(6, refused.size(), "every wait on the IO thread was refused: " + refused);
    for (RuntimeException e : refused) {
      assertTrue(e instanceof IllegalStateException && e.getMessage().contains("IO thread")
          && e.getMessage().contains("your own executor"), String.valueOf(e));
    }
    for (long millis : refusedAfter) {
      assertTrue(millis < OP_TIMEOUT_MILLIS / 2, "refused after " + millis + " ms, not at once");
    }
    for (int i = 0; i < waitedFor.size(); i++) {
      assertEquals(i % 2 == 0 ? "1" : "1!", waitedFor.get(i).get(WAIT_MILLIS, TimeUnit.MILLISECONDS),
          "the future was left to complete with its value");
    }
    long start = System.nanoTime();
    assertEquals("1", c.get("a"), "the server is not reported stalled");
    assertTrue(since(start) < OP_TIMEOUT_MILLIS, "a read took " + since(start) + " ms");
  }

  /**
   * A {@code get} with a timeout of zero (or less) on the IO thread is a poll, which never waits:
   * for a pending future of ours, or one derived from it, it throws {@link TimeoutException} as
   * {@code CompletableFuture} does. Before, it was refused with the IllegalStateException of a wait.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aPollWithNoTimeoutOnTheIoThreadIsNotRefused(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = managers.open(p, "opTimeout=" + OP_TIMEOUT_MILLIS)
        .createCache("io-polls", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    AsyncCache<String, String> async = async(c);
    c.put("a", "1");
    c.put("b", "2");
    List<String> polled = new CopyOnWriteArrayList<>();
    onTheIoThread(managers.server(), async, () -> {
      CompletableFuture<String> read = async.get("a"); // its answer waits for this thread: pending
      for (CompletableFuture<String> f : List.of(read, read.thenApply(v -> v + "!"))) {
        for (long timeout : new long[] {0, -1}) {
          try {
            polled.add("value " + f.get(timeout, TimeUnit.MILLISECONDS));
          } catch (TimeoutException e) {
            polled.add("pending");
          } catch (InterruptedException | ExecutionException | RuntimeException e) {
            polled.add(e.toString());
          }
        }
      }
    });
    assertEquals(List.of("pending", "pending", "pending", "pending"), polled);
  }

  /**
   * A non-blocking write made in a stage on the IO thread while the server's budget of pending
   * writes is full (here, a 40 KB put whose listener is held): before, it waited {@code
   * opQueueWait} (3 s here) for room on the IO thread, the very thread whose answers would free it,
   * stalling every caller, and was then refused. Now it is refused at once, its future failing
   * with the queue's error, which says why it did not wait.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aNonBlockingWriteOnTheIoThreadDoesNotWaitForRoom(Protocol p, TestManagers managers) throws Exception {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Holder.onCreated = () -> {
      holding.countDown();
      io.github.newcache.testing.Threads.awaitReleased(release);
    };
    MutableConfiguration<String, String> config = new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .addCacheEntryListenerConfiguration(new javax.cache.configuration.MutableCacheEntryListenerConfiguration<>(
            javax.cache.configuration.FactoryBuilder.factoryOf(Holder.class), null, false, true));
    Cache<String, String> c = managers.open(p, "opTimeout=" + OP_TIMEOUT_MILLIS + "&opQueueBytes=65536&opQueueWait=3000")
        .createCache("io-budget", config);
    AsyncCache<String, String> async = async(c);
    c.put("a", "1");
    c.put("b", "2");
    CompletableFuture<Void> held = async.put("big", "slow" + "x".repeat(40_000)); // charged twice its bytes
    List<CompletableFuture<Void>> written = new CopyOnWriteArrayList<>();
    List<Long> calledFor = new CopyOnWriteArrayList<>();
    try {
      assertTrue(holding.await(WAIT_MILLIS, TimeUnit.MILLISECONDS), "the listener holds the big put, and its bytes");
      onTheIoThread(managers.server(), async, () -> {
        long start = System.nanoTime();
        written.add(async.put("other", "v"));
        calledFor.add(since(start));
      });
    } finally {
      release.countDown();
      Holder.onCreated = () -> { };
    }
    assertTrue(calledFor.get(0) < 1_000, "the put on the IO thread returned after " + calledFor.get(0) + " ms");
    Outcome o = Outcome.of(written.get(0));
    assertTrue(o.failure() instanceof CacheException && o.failure().getMessage().contains("refused")
        && o.failure().getMessage().contains("IO thread"), String.valueOf(o));
    held.get(WAIT_MILLIS, TimeUnit.MILLISECONDS);
    assertEquals("1", c.get("a"), "the server is not reported stalled");
  }

  /**
   * Runs {@code body} in a stage on the client's IO thread: one of the future thenCompose returns,
   * relaying a read of key "b" that the IO thread completes. The server is paused (SIGSTOP) while
   * the stage is added, so that the read is still pending then and its answer comes on the IO
   * thread once the server goes on. Before, the read was sent and the stage added on a running
   * server, tried up to 10 times: on a quiet machine the answer could come each time before the
   * stage was added, which then ran on the calling thread.
   */
  private static void onTheIoThread(LocalMemcached server, AsyncCache<String, String> async, Runnable body)
      throws Exception {
    List<String> ranOn = new CopyOnWriteArrayList<>();
    CompletableFuture<Void> stage;
    server.pause();
    try {
      stage = CompletableFuture.completedFuture(null).thenCompose(v -> async.get("b")).thenRun(() -> {
        ranOn.add(Thread.currentThread().getName());
        if (Thread.currentThread().getName().startsWith("Memcached IO")) {
          body.run();
        }
      });
    } finally {
      server.resume();
    }
    stage.get(30, TimeUnit.SECONDS);
    assertEquals(1, ranOn.size(), "the stage ran once: " + ranOn);
    assertTrue(ranOn.get(0).startsWith("Memcached IO"), "the stage ran on the IO thread, not on " + ranOn);
  }

  /**
   * A synchronous CREATED listener that runs {@link #onCreated} for a value starting with "slow" (a
   * test's hold of the keys' turns, or of a write's bytes).
   */
  public static final class Holder
      implements javax.cache.event.CacheEntryCreatedListener<String, String>, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static volatile Runnable onCreated = () -> { };

    @Override
    public void onCreated(Iterable<javax.cache.event.CacheEntryEvent<? extends String, ? extends String>> events) {
      for (javax.cache.event.CacheEntryEvent<? extends String, ? extends String> e : events) {
        if (e.getValue().startsWith("slow")) {
          onCreated.run();
          return;
        }
      }
    }
  }

  /**
   * Blocking puts of c0..c4 in a stage on the IO thread are refused at once, nothing is sent
   * ({@code c0}..{@code c4} keep {@code before}), and the server is not reported stalled.
   */
  private static void blockingCallsOnTheIoThreadAreRefusedAtOnce(
      LocalMemcached server, Cache<String, String> c, String before)
      throws Exception {
    AsyncCache<String, String> async = async(c);
    c.put("a", "1");
    c.put("b", "2");
    List<RuntimeException> refused = new CopyOnWriteArrayList<>();
    List<Long> refusedAfter = new CopyOnWriteArrayList<>();
    onTheIoThread(server, async, () -> {
      for (int i = 0; i < 5; i++) {
        long start = System.nanoTime();
        try {
          c.put("c" + i, "3");
        } catch (RuntimeException e) {
          refused.add(e);
        }
        refusedAfter.add(since(start));
      }
    });
    assertEquals(5, refused.size(), "the stage's 5 puts were refused: " + refused);
    for (RuntimeException e : refused) {
      assertTrue(e instanceof IllegalStateException && e.getMessage().contains("IO thread")
          && e.getMessage().contains("Nothing was sent") && e.getMessage().contains("your own executor"), String.valueOf(e));
    }
    for (long millis : refusedAfter) {
      assertTrue(millis < OP_TIMEOUT_MILLIS / 2, "refused after " + millis + " ms, not at once");
    }
    for (int i = 0; i < 5; i++) {
      assertEquals(before, c.get("c" + i), "nothing was sent");
    }
    for (int i = 0; i < 3; i++) {
      long start = System.nanoTime();
      assertEquals("1", c.get("a"), "the server is not reported stalled");
      assertEquals("1", async.get("a").get(WAIT_MILLIS, TimeUnit.MILLISECONDS));
      assertTrue(since(start) < OP_TIMEOUT_MILLIS, "a read took " + since(start) + " ms");
    }
  }
}
