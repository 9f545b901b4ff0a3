package io.github.newcache.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.springframework.cache.Cache.ValueWrapper;
import org.springframework.cache.support.NullValue;

/**
 * {@link NewcacheSpringCache#retrieve} on real memcached, as Spring's cache aspect calls it for
 * {@code CompletableFuture} and Reactor {@code @Cacheable} methods: what the futures hold (misses,
 * values, cached nulls), one load across managers with their own connections, failures, and in
 * which threads things run.
 */
@ExtendWith(MemcachedExtension.class)
class NewcacheSpringCacheTest {

  private final AtomicInteger threads = new AtomicInteger();
  /** The executor the caches hand off to; its threads' names tell where code ran. */
  private final ExecutorService executor = Executors.newFixedThreadPool(4, r -> {
    Thread t = new Thread(r, "spring-exec-" + threads.incrementAndGet());
    t.setDaemon(true);
    return t;
  });

  @AfterEach
  void stopExecutor() {
    executor.shutdownNow();
  }

  private NewcacheSpringCache cache(CacheManager manager, String name, boolean allowNullValues) {
    Cache<Object, Object> cache = manager.getCache(name);
    if (cache == null) {
      cache = manager.createCache(name, new MutableConfiguration<>());
    }
    return new NewcacheSpringCache(cache, allowNullValues, executor);
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void retrieveCompletesWithNullForAMissAndAWrapperForAHit(Protocol p, TestManagers managers) throws Exception {
    NewcacheSpringCache books = cache(managers.open(p), "books", true);
    assertNull(await(books.retrieve("missing")));

    books.put("dune", "Dune");
    ValueWrapper hit = (ValueWrapper) await(books.retrieve("dune"));
    assertEquals("Dune", hit.get());

    books.put("nothing", null); // Spring stores a null result as NullValue
    assertSame(NullValue.INSTANCE, books.getNativeCache().get("nothing"));
    ValueWrapper cachedNull = (ValueWrapper) await(books.retrieve("nothing"));
    assertNull(cachedNull.get(), "a cached null is a wrapper holding null, not a miss");
  }

  @Test
  void withoutNullValuesRetrieveCompletesWithThePlainValue(TestManagers managers) throws Exception {
    NewcacheSpringCache books = cache(managers.open(Protocol.TEXT), "plain", false);
    books.put("dune", "Dune");
    assertEquals("Dune", await(books.retrieve("dune")));
    assertNull(await(books.retrieve("missing")));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void retrieveWithALoaderLoadsOnceStoresAndThenHits(Protocol p, TestManagers managers) throws Exception {
    NewcacheSpringCache books = cache(managers.open(p), "loaded", true);
    AtomicInteger loads = new AtomicInteger();
    Supplier<CompletableFuture<String>> loader = () -> {
      loads.incrementAndGet();
      return CompletableFuture.completedFuture("Dune");
    };
    assertEquals("Dune", await(books.retrieve("dune", loader)));
    assertEquals("Dune", await(books.retrieve("dune", loader)));
    assertEquals(1, loads.get());
    assertEquals("Dune", books.getNativeCache().get("dune"));
  }

  @Test
  void aNullLoadIsStoredAsNullValueAndServedAsNull(TestManagers managers) throws Exception {
    NewcacheSpringCache books = cache(managers.open(Protocol.BINARY), "nulls", true);
    AtomicInteger loads = new AtomicInteger();
    Supplier<CompletableFuture<String>> nothing = () -> {
      loads.incrementAndGet();
      return CompletableFuture.completedFuture(null);
    };
    assertNull(await(books.retrieve("none", nothing)));
    assertSame(NullValue.INSTANCE, books.getNativeCache().get("none"));
    assertNull(await(books.retrieve("none", nothing)));
    assertEquals(1, loads.get(), "the stored NullValue is a hit");
    assertNull(((ValueWrapper) await(books.retrieve("none"))).get());
  }

  @Test
  void aNullLoadFailsWhenNullValuesAreNotAllowedAndStoresNothing(TestManagers managers) {
    NewcacheSpringCache books = cache(managers.open(Protocol.TEXT), "nonulls", false);
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> await(books.retrieve("none", () -> CompletableFuture.completedFuture(null))));
    assertInstanceOf(IllegalArgumentException.class, rootCause(e));
    assertFalse(books.getNativeCache().containsKey("none"));
  }

  @Test
  void aFailingLoaderFailsTheFutureStoresNothingAndTheNextCallLoadsAgain(TestManagers managers) throws Exception {
    NewcacheSpringCache books = cache(managers.open(Protocol.BINARY), "failing", true);
    IllegalStateException boom = new IllegalStateException("database down");
    ExecutionException e = assertThrows(ExecutionException.class,
        () -> await(books.retrieve("dune", () -> CompletableFuture.failedFuture(boom))));
    assertSame(boom, rootCause(e));
    assertFalse(books.getNativeCache().containsKey("dune"));
    // The lease was released: the next caller loads at once (well within the 10 s lease timeout).
    long start = System.nanoTime();
    assertEquals("Dune", await(books.retrieve("dune", () -> CompletableFuture.completedFuture("Dune"))));
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000);
  }

  /**
   * 8 callers in each of 2 managers with their own connections (two JVMs, as far as memcached can
   * tell), all at once on a cold key, with a loader that takes 300 ms: one load in total, and every
   * caller gets its value.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void concurrentCallersOfTwoManagersLoadOnce(Protocol p, TestManagers managers) throws Exception {
    List<NewcacheSpringCache> caches = List.of(
        cache(managers.open(p, "opTimeout=5000"), "herd", true),
        cache(managers.open(p, "opTimeout=5001"), "herd", true));
    AtomicInteger loads = new AtomicInteger();
    Supplier<CompletableFuture<String>> slow = () -> {
      int n = loads.incrementAndGet();
      return CompletableFuture.supplyAsync(() -> "loaded#" + n,
          CompletableFuture.delayedExecutor(300, TimeUnit.MILLISECONDS));
    };
    ExecutorService callers = Executors.newFixedThreadPool(16);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<CompletableFuture<String>> results = new ArrayList<>();
      for (NewcacheSpringCache c : caches) {
        for (int i = 0; i < 8; i++) {
          CompletableFuture<String> result = new CompletableFuture<>();
          results.add(result);
          callers.execute(() -> {
            try {
              go.await();
              c.retrieve("cold", slow).whenComplete((v, e) -> {
                if (e != null) {
                  result.completeExceptionally(e);
                } else {
                  result.complete(v);
                }
              });
            } catch (InterruptedException e) {
              result.completeExceptionally(e);
            }
          });
        }
      }
      go.countDown();
      Set<String> seen = new HashSet<>();
      for (CompletableFuture<String> r : results) {
        seen.add(r.get(30, TimeUnit.SECONDS));
      }
      assertEquals(1, loads.get(), "loads across both managers");
      assertEquals(Set.of("loaded#1"), seen);
    } finally {
      callers.shutdownNow();
    }
  }

  /**
   * A frozen server: retrieve returns at once, long before the operation timeout (2 s here) that a
   * blocking call would wait out, and the future fails soon after that timeout instead of waiting
   * forever.
   */
  @Test
  void retrieveNeverBlocksTheCallerAndFailsWithinTheOperationTimeout(TestManagers managers, LocalMemcached server)
      throws Exception {
    NewcacheSpringCache books = cache(managers.open(Protocol.BINARY, "opTimeout=2000"), "frozen", true);
    books.put("warm", "up"); // connected before the freeze
    server.pause();
    try {
      long start = System.nanoTime();
      CompletableFuture<?> hit = books.retrieve("warm");
      CompletableFuture<String> load = books.retrieve("cold", () -> CompletableFuture.completedFuture("x"));
      long returnedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      // Where Spring's continuation would run: stages attached while the futures are pending.
      CompletableFuture<String> hitFailedIn = hit.handle((v, x) -> Thread.currentThread().getName());
      CompletableFuture<String> loadFailedIn = load.handle((v, x) -> Thread.currentThread().getName());
      assertTrue(returnedMillis < 1_000, "retrieve returned after " + returnedMillis + " ms");
      assertFalse(hit.isDone());
      assertFalse(load.isDone());
      // A failure completes on the executor too: Spring's error handler may call the cached method
      // there. (Awaited first: a thread waiting in hit.get() may run hit's stages itself.)
      assertTrue(await(hitFailedIn).startsWith("spring-exec-"), hitFailedIn.join());
      assertTrue(await(loadFailedIn).startsWith("spring-exec-"), loadFailedIn.join());
      ExecutionException e = assertThrows(ExecutionException.class, () -> hit.get(10, TimeUnit.SECONDS));
      assertInstanceOf(CacheException.class, rootCauseOrCacheException(e));
      assertThrows(ExecutionException.class, () -> load.get(10, TimeUnit.SECONDS));
      long failedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(failedMillis < 10_000, "failed after " + failedMillis + " ms");
    } finally {
      server.resume();
    }
  }

  /**
   * Spring's aspect continues a failed retrieve with exceptionallyCompose, which hands its function
   * the failure as is, and a CacheErrorHandler then sees it as the blocking get's: the cache's
   * CacheException, not a CompletionException around it (a handler that treats CacheException as a
   * miss worked for blocking methods only).
   */
  @Test
  void retrieveFailsWithTheCacheExceptionThatGetThrows(TestManagers managers, LocalMemcached server) throws Exception {
    NewcacheSpringCache books = cache(managers.open(Protocol.TEXT, "opTimeout=300&stallTimeouts=0"), "errors", true);
    books.put("warm", "up"); // connected before the freeze
    server.pause();
    try {
      List<CompletableFuture<?>> retrieved = List.of(
          books.retrieve("k"), books.retrieve("k2", () -> CompletableFuture.completedFuture("v")));
      for (CompletableFuture<?> f : retrieved) {
        CompletableFuture<Throwable> seen = new CompletableFuture<>();
        f.exceptionallyCompose(ex -> {
          seen.complete(ex);
          return CompletableFuture.completedFuture(null);
        });
        assertInstanceOf(CacheException.class, await(seen), "what the aspect's error handler is given");
      }
      RuntimeException blocking = assertThrows(RuntimeException.class, () -> books.get("k"));
      assertInstanceOf(CacheException.class, blocking, "what the blocking get throws");
    } finally {
      server.resume();
    }
  }

  /**
   * The loader starts on the cache's executor, and the futures complete there, never on
   * Newcache's callback threads or spymemcached's IO thread, which Spring's continuation (the
   * cached method, on a miss) would otherwise hold up. Each stage is attached while its future is
   * pending (a stage attached to a completed future runs in the thread attaching it).
   */
  @Test
  void loadersAndCompletionsRunOnTheExecutorNotOnNewcachesCallbackThreads(TestManagers managers, LocalMemcached server)
      throws Exception {
    NewcacheSpringCache books = cache(managers.open(Protocol.TEXT), "threads", true);
    books.put("warm", "up"); // connected before the pause
    CompletableFuture<String> loaderResult = new CompletableFuture<>();
    List<String> loaders = new ArrayList<>();
    CompletableFuture<String> loaded = books.retrieve("k", () -> {
      synchronized (loaders) {
        loaders.add(Thread.currentThread().getName());
      }
      return loaderResult;
    });
    CompletableFuture<String> loadedIn = loaded.thenApply(v -> v + " in " + Thread.currentThread().getName());
    assertFalse(loaded.isDone());
    loaderResult.complete("v");
    assertTrue(await(loadedIn).startsWith("v in spring-exec-"), loadedIn.join());
    synchronized (loaders) {
      assertEquals(1, loaders.size(), loaders.toString());
      assertTrue(loaders.get(0).startsWith("spring-exec-"), loaders.toString());
    }

    server.pause();
    CompletableFuture<?> retrieved;
    CompletableFuture<String> retrievedIn;
    try {
      retrieved = books.retrieve("k");
      retrievedIn = retrieved.thenApply(v -> Thread.currentThread().getName());
      assertFalse(retrieved.isDone());
    } finally {
      server.resume();
    }
    assertTrue(await(retrievedIn).startsWith("spring-exec-"), retrievedIn.join());
  }

  /**
   * {@code clear()} returns without waiting for memcached (Spring calls it for a reactive {@code
   * @CacheEvict(allEntries = true)} in the thread that completed the method's result): with the
   * server frozen it returns long before the operation timeout (10 s here; a clear that waited took
   * 30 s), and the entries go once the server answers again. {@code invalidate()} removes them before it returns.
   */
  @Test
  void clearReturnsWithoutWaitingForMemcachedAndInvalidateWaits(TestManagers managers, LocalMemcached server)
      throws Exception {
    NewcacheSpringCache books = cache(managers.open(Protocol.TEXT, "opTimeout=10000"), "clearing", true);
    for (int i = 0; i < 20; i++) {
      books.put("b" + i, "book " + i);
    }
    server.pause();
    long start = System.nanoTime();
    try {
      books.clear();
    } finally {
      long returnedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      server.resume();
      assertTrue(returnedMillis < 5_000, "clear() returned after " + returnedMillis + " ms");
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (books.get("b0") != null || books.get("b19") != null) {
      assertTrue(System.nanoTime() < deadline, "entries still there 20 s after clear()");
      Thread.onSpinWait();
    }

    books.put("again", "x");
    assertTrue(books.invalidate());
    assertNull(books.get("again"));
  }

  /**
   * A clear waiting for a frozen server on a ForkJoinPool of one thread (the common pool on two
   * cores, the module's default executor) does not hold up the pool's other work: it waits as a
   * managed blocker, so the pool adds a thread meanwhile.
   */
  @Test
  void aWaitingClearLeavesTheForkJoinPoolWorking(TestManagers managers, LocalMemcached server) throws Exception {
    ForkJoinPool pool = new ForkJoinPool(1);
    try {
      Cache<Object, Object> jcache = managers.open(Protocol.TEXT, "opTimeout=2000")
          .createCache("pool", new MutableConfiguration<>());
      NewcacheSpringCache books = new NewcacheSpringCache(jcache, true, pool);
      books.put("b", "book");
      CountDownLatch clearing = new CountDownLatch(1);
      server.pause();
      try {
        books.clear();
        // The clear is the pool's only task so far; it waits for the frozen server (2 s timeouts).
        pool.execute(clearing::countDown);
        assertTrue(clearing.await(5, TimeUnit.SECONDS), "the pool ran nothing else while clear() waited");
      } finally {
        server.resume();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  /** Records the keys a cache deleted through it. */
  public static final class DeletesRecorded implements javax.cache.integration.CacheWriter<Object, Object> {
    static final java.util.Set<Object> DELETED = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public void write(Cache.Entry<?, ?> entry) {}

    @Override
    public void writeAll(java.util.Collection<Cache.Entry<?, ?>> entries) {}

    @Override
    public void delete(Object key) {
      DELETED.add(key);
    }

    @Override
    public void deleteAll(java.util.Collection<?> keys) {
      DELETED.addAll(keys);
      keys.clear();
    }
  }

  /**
   * A write-through cache clears before clear() returns: run later, its deletes through the writer
   * would remove what the system of record was given after clear() returned. (An executor that
   * never runs what it is given shows that nothing was deferred.)
   */
  @Test
  void aWriteThroughCacheClearsBeforeClearReturns(TestManagers managers) throws Exception {
    MutableConfiguration<Object, Object> config = new MutableConfiguration<>()
        .setWriteThrough(true)
        .setCacheWriterFactory(javax.cache.configuration.FactoryBuilder.factoryOf(DeletesRecorded.class));
    Cache<Object, Object> jcache = managers.open(Protocol.TEXT).createCache("written", config);
    List<Runnable> neverRun = new ArrayList<>();
    NewcacheSpringCache books = new NewcacheSpringCache(jcache, true, neverRun::add);
    DeletesRecorded.DELETED.clear();
    books.put("b", "book");
    books.clear();
    assertNull(books.get("b"));
    assertEquals(Set.of("b"), DeletesRecorded.DELETED);
    assertTrue(neverRun.isEmpty(), "nothing was handed to the executor");
  }

  @Test
  void aCacheOfAnotherProviderIsRefusedWithAReason() {
    @SuppressWarnings("unchecked")
    Cache<Object, Object> foreign = (Cache<Object, Object>) java.lang.reflect.Proxy.newProxyInstance(
        getClass().getClassLoader(), new Class<?>[] {Cache.class}, (proxy, method, args) -> {
          if (method.getName().equals("unwrap")) {
            throw new IllegalArgumentException("cannot unwrap");
          }
          if (method.getName().equals("getName")) {
            return "elsewhere";
          }
          throw new UnsupportedOperationException(method.getName());
        });
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new NewcacheSpringCache(foreign, true, executor));
    assertTrue(e.getMessage().contains("elsewhere") && e.getMessage().contains("not a Newcache cache"), e.getMessage());
  }

  private static Throwable rootCause(Throwable t) {
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  /** The first CacheException in the chain (memcached's timeout is wrapped in one). */
  private static Throwable rootCauseOrCacheException(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof CacheException) {
        return c;
      }
    }
    return rootCause(t);
  }
}
