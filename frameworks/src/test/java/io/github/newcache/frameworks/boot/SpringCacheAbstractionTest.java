package io.github.newcache.frameworks.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.github.newcache.NewcacheCacheManager;
import io.github.newcache.frameworks.support.NewcacheFiles;
import io.github.newcache.testkit.LocalMemcached;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.interceptor.SimpleKey;
import org.springframework.cache.jcache.JCacheCacheManager;
import org.springframework.cache.support.NullValue;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Spring Boot's cache abstraction on Newcache and a real memcached. The application is configured
 * only with {@code spring.cache.*} (its {@code application.properties}); the test changes nothing
 * but {@code spring.cache.jcache.config}, to a file naming the memcached it started — exactly the
 * resource-to-URI path Boot takes on an exploded classpath ({@code file:/…}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpringCacheAbstractionTest {

  private static final String FLAVOR = "flavor=boot_it";
  /** Spring's caches hold Objects: the application's own value classes must be allowed. */
  private static final String ALLOW = "deserializationAllow=io.github.newcache.frameworks.boot.*";

  private Path dir;

  private LocalMemcached memcached;
  private Path config;
  private ConfigurableApplicationContext context;
  private BookService books;
  private CacheManager jcache;
  private CacheManager observer;

  @BeforeAll
  void start(@TempDir Path tempDir) {
    dir = tempDir;
    memcached = LocalMemcached.start();
    config = NewcacheFiles.write(dir, "newcache.properties", memcached, FLAVOR, ALLOW);
    context = app("--spring.cache.jcache.config=file:" + config);
    books = context.getBean(BookService.class);
    jcache = context.getBean(CacheManager.class);
    // A second manager with its own connection (a different URI naming an identical file): it
    // stands for another JVM and sees only what is really in memcached.
    Path copy = NewcacheFiles.write(dir, "observer.properties", memcached, FLAVOR, ALLOW);
    observer = Caching.getCachingProvider("io.github.newcache.NewcacheCachingProvider")
        .getCacheManager(copy.toUri(), getClass().getClassLoader());
    observer.createCache("books", new MutableConfiguration<>());
    observer.createCache("searches", new MutableConfiguration<>());
  }

  @AfterAll
  void stop() {
    try {
      if (context != null) {
        context.close();
      }
      if (observer != null) {
        observer.close();
      }
    } finally {
      memcached.close();
    }
  }

  private static ConfigurableApplicationContext app(String... args) {
    return new SpringApplicationBuilder(CatalogApplication.class)
        .main(CatalogApplication.class)
        .web(WebApplicationType.NONE)
        .run(args);
  }

  @Test
  void bootCreatesTheManagerFromTheResourceAndTheCachesFromCacheNames() {
    // Boot's own manager: newcache-spring is on the test class path, but the application turns it
    // off (newcache.spring.enabled=false).
    assertThat(context.getBean(org.springframework.cache.CacheManager.class))
        .isExactlyInstanceOf(JCacheCacheManager.class);
    assertThat(jcache).isInstanceOf(NewcacheCacheManager.class);
    assertThat(jcache.getURI()).isEqualTo(URI.create("file:" + config));
    assertThat(jcache.getCacheNames()).contains("books", "searches");
    assertThat(jcache.<Object, Object>getCache("no-such-cache")).isNull();
  }

  @Test
  void cacheableCallsTheServiceOnceAndStoresTheValueInMemcached() {
    int before = books.findCalls();
    Book first = books.find(1);
    Book second = books.find(1);
    assertThat(second).isEqualTo(first);
    assertThat(books.findCalls() - before).isEqualTo(1);
    assertThat(observer.getCache("books").get(1L)).isEqualTo(first);
  }

  @Test
  void aNullResultIsCachedAsNullValue() {
    int before = books.findCalls();
    assertThat(books.find(-5)).isNull();
    assertThat(books.find(-5)).isNull();
    assertThat(books.findCalls() - before).isEqualTo(1);
    // Spring stores null as NullValue.INSTANCE; it comes back through readResolve as the singleton.
    assertThat(jcache.getCache("books").get(-5L)).isSameAs(NullValue.INSTANCE);
    assertThat(observer.getCache("books").get(-5L)).isSameAs(NullValue.INSTANCE);
  }

  @Test
  void multiArgumentKeysAreSimpleKeys() {
    int before = books.searchCalls();
    String first = books.search("knuth", 1968);
    assertThat(books.search("knuth", 1968)).isEqualTo(first);
    assertThat(books.searchCalls() - before).isEqualTo(1);
    books.search("knuth", 1969);
    assertThat(books.searchCalls() - before).isEqualTo(2);
    assertThat(observer.getCache("searches").get(new SimpleKey("knuth", 1968))).isEqualTo(first);
  }

  @Test
  void cachePutReplacesWhatCacheableReturns() {
    int before = books.findCalls();
    books.find(7);
    Book revised = new Book(7, "Revised", 2);
    books.save(revised);
    assertThat(books.find(7)).isEqualTo(revised);
    assertThat(books.findCalls() - before).isEqualTo(1);
    assertThat(observer.getCache("books").get(7L)).isEqualTo(revised);
  }

  @Test
  void cacheEvictRemovesOneEntry() {
    int before = books.findCalls();
    books.find(8);
    books.find(9);
    books.evict(8);
    assertThat(observer.getCache("books").containsKey(8L)).isFalse();
    books.find(8);
    books.find(9);
    assertThat(books.findCalls() - before).isEqualTo(3);
  }

  @Test
  void cacheEvictAllEntriesEmptiesOnlyThatCache() {
    books.find(10);
    books.find(11);
    String search = books.search("evict-all", 1);
    int findsBefore = books.findCalls();
    int searchesBefore = books.searchCalls();
    books.evictAll();
    assertThat(observer.getCache("books").iterator().hasNext()).isFalse();
    books.find(10);
    books.find(11);
    assertThat(books.findCalls() - findsBefore).isEqualTo(2);
    assertThat(books.search("evict-all", 1)).isEqualTo(search);
    assertThat(books.searchCalls() - searchesBefore).isZero();
  }

  /**
   * A manager whose file does not allow the application's classes refuses to deserialize them. The
   * refused entry reads as a miss, not an error: the entry is there, but {@code get} returns null,
   * so an application that forgets {@code deserializationAllow} silently never hits.
   */
  @Test
  void withoutDeserializationAllowTheApplicationsValuesReadAsMisses() {
    books.find(40);
    Path strict = NewcacheFiles.write(dir, "strict.properties", memcached, FLAVOR);
    CacheManager manager = Caching.getCachingProvider("io.github.newcache.NewcacheCachingProvider")
        .getCacheManager(strict.toUri(), getClass().getClassLoader());
    try {
      Cache<Object, Object> cache = manager.createCache("books", new MutableConfiguration<>());
      assertThat(cache.containsKey(40L)).isTrue();
      assertThat(cache.get(40L)).isNull();
    } finally {
      manager.close();
    }
  }

  @Test
  void syncCacheableLoadsOnceThenHits() {
    int before = books.loadCalls();
    Book first = books.load(20);
    assertThat(books.load(20)).isEqualTo(first);
    assertThat(books.loadCalls() - before).isEqualTo(1);
    assertThat(observer.getCache("books").get(20L)).isEqualTo(first);
  }

  /**
   * {@code sync=true} under contention. Spring implements it with {@code Cache.invoke}; Newcache
   * lets entry processors on one key take turns in a JVM and, on an absent entry, take the key's
   * lease in memcached, so the method runs once and every caller gets the one stored value.
   */
  @Test
  void syncCacheableUnderContentionRunsTheMethodOnce() throws Exception {
    int threads = 8;
    int before = books.loadCalls();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<Book>> results = new ArrayList<>();
      for (int i = 0; i < threads; i++) {
        results.add(pool.submit(() -> {
          go.await();
          return books.load(21);
        }));
      }
      go.countDown();
      Set<Book> seen = new HashSet<>();
      for (Future<Book> f : results) {
        seen.add(f.get(30, TimeUnit.SECONDS));
      }
      int loads = books.loadCalls() - before;
      System.out.println("[sync=true] " + threads + " concurrent callers ran the loader " + loads
          + " time(s); distinct results seen: " + seen.size());
      assertThat(seen).hasSize(1);
      assertThat(observer.getCache("books").get(21L)).isEqualTo(seen.iterator().next());
      assertThat(loads).isEqualTo(1);
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * A cache both declared in the properties file and listed in {@code spring.cache.cache-names}:
   * Boot calls {@code createCache} for a name the manager already created, and JSR-107 says that
   * is a {@code CacheException}. Startup fails; declare a cache in one place only.
   */
  @Test
  void aCacheDeclaredInTheFileAndInCacheNamesFailsStartup() {
    Path both = NewcacheFiles.write(dir, "both.properties", memcached,
        FLAVOR, ALLOW, "cache.books.statistics=true");
    assertThatThrownBy(() -> app("--spring.cache.jcache.config=file:" + both).close())
        .hasRootCauseInstanceOf(javax.cache.CacheException.class)
        .rootCause().hasMessageContaining("books").hasMessageContaining("already exists");
  }

  /** Caches declared only in the file, no cache-names: Spring finds them through getCacheNames. */
  @Test
  void cachesDeclaredOnlyInTheFileAreUsedWithoutCacheNames() {
    Path declared = NewcacheFiles.write(dir, "declared.properties", memcached,
        "flavor=boot_it_declared", ALLOW, "cache.books.keyType=java.lang.Long",
        "cache.searches.expiry=created", "cache.searches.expiryDuration=10m");
    try (ConfigurableApplicationContext other = app(
        "--spring.cache.jcache.config=file:" + declared, "--spring.cache.cache-names=")) {
      BookService service = other.getBean(BookService.class);
      service.find(30);
      service.find(30);
      service.search("declared", 1);
      service.search("declared", 1);
      assertThat(service.findCalls()).isEqualTo(1);
      assertThat(service.searchCalls()).isEqualTo(1);
      Cache<Object, Object> cache = other.getBean(CacheManager.class).getCache("books");
      assertThat(cache.get(30L)).isEqualTo(new Book(30, "Book 30", 1));
    }
  }
}
