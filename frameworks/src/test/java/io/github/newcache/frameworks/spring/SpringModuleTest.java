package io.github.newcache.frameworks.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.newcache.NewcacheCacheManager;
import io.github.newcache.frameworks.boot.Book;
import io.github.newcache.frameworks.support.NewcacheFiles;
import io.github.newcache.spring.NewcacheSpringCache;
import io.github.newcache.spring.NewcacheSpringCacheManager;
import io.github.newcache.testkit.LocalMemcached;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.cache.jcache.JCacheCache;
import org.springframework.cache.support.NullValue;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The Spring module on a real memcached, under the Spring Boot version of the build (4 in
 * {@code frameworks/}, 3.5 in {@code frameworks/boot3/}): {@code @Cacheable} methods returning
 * {@code CompletableFuture} and {@code Mono}, {@code sync = true} loads across two application
 * contexts with their own cache managers and connections (two nodes of a fleet, as far as
 * memcached can tell), null results, evictions, and Actuator's cache meters.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpringModuleTest {

  private static final String FLAVOR = "flavor=spring_module_it";
  private static final String ALLOW = "deserializationAllow=io.github.newcache.frameworks.boot.*";
  /** Statistics for the caches Spring creates, for Actuator's meters. */
  private static final String STATISTICS = "statistics=true";
  private static final Duration WAIT = Duration.ofSeconds(30);

  private LocalMemcached memcached;
  private ConfigurableApplicationContext alpha;
  private ConfigurableApplicationContext beta;
  private AsyncBookService alphaBooks;
  private AsyncBookService betaBooks;
  /** A third manager with its own connection: sees only what is really in memcached. */
  private CacheManager observer;

  @BeforeAll
  void start(@TempDir Path dir) {
    memcached = LocalMemcached.start();
    // Two nodes: identical settings in two files, so two URIs and two managers with their own
    // connections, as two JVMs would have.
    Path alphaFile = NewcacheFiles.write(dir, "alpha.properties", memcached, FLAVOR, ALLOW, STATISTICS);
    Path betaFile = NewcacheFiles.write(dir, "beta.properties", memcached, FLAVOR, ALLOW, STATISTICS);
    alpha = AsyncCatalogApplication.start("--spring.cache.jcache.config=file:" + alphaFile);
    beta = AsyncCatalogApplication.start("--spring.cache.jcache.config=file:" + betaFile);
    alphaBooks = alpha.getBean(AsyncBookService.class);
    betaBooks = beta.getBean(AsyncBookService.class);
    Path observerFile = NewcacheFiles.write(dir, "observer.properties", memcached, FLAVOR, ALLOW);
    observer = Caching.getCachingProvider("io.github.newcache.NewcacheCachingProvider")
        .getCacheManager(observerFile.toUri(), getClass().getClassLoader());
    observer.createCache("books", new MutableConfiguration<>());
  }

  @AfterAll
  void stop() {
    try {
      for (AutoCloseable c : new AutoCloseable[] {alpha, beta, observer}) {
        if (c != null) {
          c.close();
        }
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      memcached.close();
    }
  }

  private Object inMemcached(long id) {
    return observer.getCache("books").get(id);
  }

  /** Runs every call at once (one thread each, released together) and returns their results. */
  private static <T> List<T> together(List<Callable<T>> calls) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(calls.size());
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<T>> futures = new ArrayList<>();
      for (Callable<T> call : calls) {
        futures.add(pool.submit(() -> {
          go.await();
          return call.call();
        }));
      }
      go.countDown();
      List<T> results = new ArrayList<>();
      for (Future<T> f : futures) {
        results.add(f.get(WAIT.toSeconds(), TimeUnit.SECONDS));
      }
      return results;
    } finally {
      pool.shutdownNow();
    }
  }

  /** 8 callers in each context, all at once. */
  private static <T> List<T> eightPerContext(Function<AsyncBookService, T> call, AsyncBookService... services)
      throws Exception {
    List<Callable<T>> calls = new ArrayList<>();
    for (AsyncBookService s : services) {
      for (int i = 0; i < 8; i++) {
        calls.add(() -> call.apply(s));
      }
    }
    return together(calls);
  }

  @Test
  void theModuleConfiguresTheCachesAndExposesTheJCacheManager() {
    for (ConfigurableApplicationContext context : List.of(alpha, beta)) {
      org.springframework.cache.CacheManager spring = context.getBean(org.springframework.cache.CacheManager.class);
      assertThat(spring).isInstanceOf(NewcacheSpringCacheManager.class);
      assertThat(spring.getCache("books")).isInstanceOf(NewcacheSpringCache.class);
      assertThat(context.getBean(CacheManager.class)).isInstanceOf(NewcacheCacheManager.class)
          .isSameAs(((NewcacheSpringCacheManager) spring).getCacheManager());
    }
    assertThat(alpha.getBean(CacheManager.class).getURI())
        .isNotEqualTo(beta.getBean(CacheManager.class).getURI());
  }

  @Test
  void aCompletableFutureCacheableIsServedFromMemcachedTheSecondTime() {
    int alphaFinds = alphaBooks.finds();
    int betaFinds = betaBooks.finds();
    Book first = alphaBooks.find(1).join();
    assertThat(first).isEqualTo(new Book(1, "Book 1", 1));
    assertThat(alphaBooks.find(1).join()).isEqualTo(first);
    assertThat(alphaBooks.finds() - alphaFinds).isEqualTo(1);
    assertThat(inMemcached(1)).isEqualTo(first);
    // The other node finds it in memcached too: its method never runs.
    assertThat(betaBooks.find(1).join()).isEqualTo(first);
    assertThat(betaBooks.finds() - betaFinds).isZero();
  }

  @Test
  void aMonoCacheableIsServedFromMemcachedTheSecondTime() {
    int alphaFinds = alphaBooks.monoFinds();
    int betaFinds = betaBooks.monoFinds();
    Book first = alphaBooks.findMono(2).block(WAIT);
    assertThat(first).isEqualTo(new Book(2, "Mono 2", 1));
    assertThat(alphaBooks.findMono(2).block(WAIT)).isEqualTo(first);
    assertThat(alphaBooks.monoFinds() - alphaFinds).isEqualTo(1);
    assertThat(inMemcached(2)).isEqualTo(first);
    assertThat(betaBooks.findMono(2).block(WAIT)).isEqualTo(first);
    assertThat(betaBooks.monoFinds() - betaFinds).isZero();
  }

  /** A null result is cached as Spring's NullValue and served as null (an empty Mono) without a call. */
  @Test
  void nullResultsAreCachedAsNullValue() {
    int finds = alphaBooks.finds();
    assertThat(alphaBooks.find(-1).join()).isNull();
    assertThat(alphaBooks.find(-1).join()).isNull();
    assertThat(alphaBooks.finds() - finds).isEqualTo(1);
    assertThat(inMemcached(-1)).isSameAs(NullValue.INSTANCE);

    int monoFinds = alphaBooks.monoFinds();
    assertThat(alphaBooks.findMono(-2).blockOptional(WAIT)).isEmpty();
    assertThat(alphaBooks.findMono(-2).blockOptional(WAIT)).isEmpty();
    assertThat(alphaBooks.monoFinds() - monoFinds).isEqualTo(1);
    assertThat(inMemcached(-2)).isSameAs(NullValue.INSTANCE);

    int alphaLoads = alphaBooks.loads();
    int betaLoads = betaBooks.loads();
    assertThat(alphaBooks.load(-3).join()).isNull();
    assertThat(betaBooks.load(-3).join()).isNull();
    assertThat(alphaBooks.loads() - alphaLoads).isEqualTo(1);
    assertThat(betaBooks.loads() - betaLoads).isZero();
    assertThat(inMemcached(-3)).isSameAs(NullValue.INSTANCE);
  }

  @Test
  void cacheEvictRemovesOneEntry() {
    int finds = alphaBooks.finds();
    alphaBooks.find(10).join();
    alphaBooks.find(11).join();
    alphaBooks.evict(10).block(WAIT);
    assertThat(observer.getCache("books").containsKey(10L)).isFalse();
    assertThat(observer.getCache("books").containsKey(11L)).isTrue();
    alphaBooks.find(10).join();
    alphaBooks.find(11).join();
    assertThat(alphaBooks.finds() - finds).isEqualTo(3);
  }

  /**
   * {@code @CacheEvict(allEntries = true)} on a {@code CompletableFuture} method: Spring calls the
   * module's {@code clear()}, which removes the entries on the executor without holding the thread
   * that completed the method's result, so the test waits for the cache to be empty.
   */
  @Test
  void cacheEvictAllEntriesEmptiesTheCache() {
    alphaBooks.find(20).join();
    alphaBooks.findMono(21).block(WAIT);
    int finds = alphaBooks.finds();
    int monoFinds = alphaBooks.monoFinds();
    alphaBooks.evictAll().join();
    long deadline = System.nanoTime() + WAIT.toNanos();
    while (observer.getCache("books").iterator().hasNext()) {
      assertThat(System.nanoTime()).as("entries left %s after the eviction", WAIT).isLessThan(deadline);
      Thread.onSpinWait();
    }
    alphaBooks.find(20).join();
    alphaBooks.findMono(21).block(WAIT);
    assertThat(alphaBooks.finds() - finds).isEqualTo(1);
    assertThat(alphaBooks.monoFinds() - monoFinds).isEqualTo(1);
  }

  /**
   * {@code sync = true} on a {@code CompletableFuture} method: 8 callers in each of the two
   * contexts at once on a cold key. Spring calls {@code retrieve(key, loader)}; the module loads
   * through Newcache's non-blocking single flight, so the 300 ms method runs once in total and
   * every caller gets the one stored book.
   */
  @Test
  void syncCompletableFutureRunsOnceAcrossTwoContexts() throws Exception {
    int before = alphaBooks.loads() + betaBooks.loads();
    List<Book> results = eightPerContext(s -> s.load(100).join(), alphaBooks, betaBooks);
    int runs = alphaBooks.loads() + betaBooks.loads() - before;
    System.out.println("[newcache-spring] 2 contexts x 8 callers of a sync=true CompletableFuture method: " + runs + " run(s)");
    assertThat(new HashSet<>(results)).hasSize(1);
    assertThat(results.get(0).id()).isEqualTo(100);
    assertThat(inMemcached(100)).isEqualTo(results.get(0));
    assertThat(runs).isEqualTo(1);
  }

  @Test
  void syncMonoRunsOnceAcrossTwoContexts() throws Exception {
    int before = alphaBooks.monoLoads() + betaBooks.monoLoads();
    List<Book> results = eightPerContext(s -> s.loadMono(101).block(WAIT), alphaBooks, betaBooks);
    int runs = alphaBooks.monoLoads() + betaBooks.monoLoads() - before;
    System.out.println("[newcache-spring] 2 contexts x 8 callers of a sync=true Mono method: " + runs + " run(s)");
    assertThat(new HashSet<>(results)).hasSize(1);
    assertThat(inMemcached(101)).isEqualTo(results.get(0));
    assertThat(runs).isEqualTo(1);
  }

  /**
   * Blocking {@code sync = true} through the module's caches: Spring's {@code get(key, Callable)},
   * an entry processor that Newcache runs under the key's lease, so once across both contexts.
   */
  @Test
  void syncBlockingRunsOnceAcrossTwoContexts() throws Exception {
    int before = alphaBooks.blockingLoads() + betaBooks.blockingLoads();
    List<Book> results = eightPerContext(s -> s.loadBlocking(102), alphaBooks, betaBooks);
    int runs = alphaBooks.blockingLoads() + betaBooks.blockingLoads() - before;
    assertThat(new HashSet<>(results)).hasSize(1);
    assertThat(inMemcached(102)).isEqualTo(results.get(0));
    assertThat(runs).isEqualTo(1);
  }

  /**
   * Spring continues a miss by calling the method in the thread that completed {@code retrieve}'s
   * future: never one of Newcache's callback threads, which complete every memcached operation, nor
   * spymemcached's IO thread.
   */
  @Test
  void cachedMethodsNeverRunOnNewcachesThreads() throws Exception {
    eightPerContext(s -> s.find(30).join(), alphaBooks);
    alphaBooks.load(31).join();
    alphaBooks.loadMono(32).block(WAIT);
    assertThat(alphaBooks.threads()).isNotEmpty()
        .noneMatch(name -> name.startsWith("newcache-") || name.startsWith("Memcached IO"));
  }

  /** The value of a meter, whatever its kind. */
  private static double meter(MeterRegistry registry, String name, String... tags) {
    Meter meter = registry.find(name).tags(tags).meter();
    assertThat(meter).as("meter %s %s", name, List.of(tags)).isNotNull();
    return meter.measure().iterator().next().getValue();
  }

  /**
   * Actuator binds the module's caches like any {@link JCacheCache} (Boot's {@code
   * JCacheCacheMeterBinderProvider}), and the non-blocking reads count: a miss, a put and a hit of
   * a {@code CompletableFuture} method show in {@code cache.gets} and {@code cache.puts}.
   */
  @Test
  void actuatorCacheMetersCountTheModulesCaches() {
    assertThat(alpha.getBean(org.springframework.cache.CacheManager.class).getCache("books"))
        .isInstanceOf(JCacheCache.class);
    MeterRegistry registry = alpha.getBean(MeterRegistry.class);
    String[] books = {"cache", "books"};
    double hits = meter(registry, "cache.gets", "cache", "books", "result", "hit");
    double misses = meter(registry, "cache.gets", "cache", "books", "result", "miss");
    double puts = meter(registry, "cache.puts", books);

    alphaBooks.find(40).join();
    alphaBooks.find(40).join();

    assertThat(meter(registry, "cache.gets", "cache", "books", "result", "miss") - misses).isEqualTo(1);
    assertThat(meter(registry, "cache.puts", books) - puts).isEqualTo(1);
    assertThat(meter(registry, "cache.gets", "cache", "books", "result", "hit") - hits).isEqualTo(1);
  }
}
