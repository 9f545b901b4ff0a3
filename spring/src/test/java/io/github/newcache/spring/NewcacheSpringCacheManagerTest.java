package io.github.newcache.spring;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.cache.Cache;
import org.springframework.cache.jcache.JCacheCache;

/** The Spring manager's caches are Newcache's, with retrieve, whenever they were created. */
@ExtendWith(MemcachedExtension.class)
class NewcacheSpringCacheManagerTest {

  @Test
  void everyCacheOfTheJCacheManagerIsANewcacheSpringCache(TestManagers managers) throws Exception {
    CacheManager jcache = managers.open(Protocol.TEXT);
    jcache.createCache("books", new MutableConfiguration<>());
    NewcacheSpringCacheManager manager = new NewcacheSpringCacheManager(jcache);
    manager.afterPropertiesSet();

    assertEquals(List.of("books"), List.copyOf(manager.getCacheNames()));
    Cache books = manager.getCache("books");
    // A JCacheCache, so Spring Boot's JCacheCacheMeterBinderProvider binds it for Micrometer.
    assertInstanceOf(JCacheCache.class, books);
    assertInstanceOf(NewcacheSpringCache.class, books);
    assertSame(jcache.getCache("books"), books.getNativeCache());

    // Created in the JCache manager after Spring's manager started: found on first use.
    jcache.createCache("later", new MutableConfiguration<>());
    Cache later = manager.getCache("later");
    assertInstanceOf(NewcacheSpringCache.class, later);
    later.put("k", "v");
    assertEquals("v", ((Cache.ValueWrapper) later.retrieve("k").get(10, TimeUnit.SECONDS)).get());

    assertNull(manager.getCache("no-such-cache"));
  }

  @Test
  void theCachesCompleteOnTheManagersExecutorAndHonourAllowNullValues(TestManagers managers) throws Exception {
    CacheManager jcache = managers.open(Protocol.BINARY);
    jcache.createCache("plain", new MutableConfiguration<>());
    NewcacheSpringCacheManager manager = new NewcacheSpringCacheManager(jcache);
    Executor named = r -> new Thread(r, "my-executor").start();
    manager.setExecutor(named);
    manager.setAllowNullValues(false);
    manager.afterPropertiesSet();
    assertSame(named, manager.getExecutor());

    Cache plain = manager.getCache("plain");
    String[] loaderThread = new String[1];
    assertEquals("v", plain.retrieve("k", () -> {
      loaderThread[0] = Thread.currentThread().getName();
      return CompletableFuture.completedFuture("v");
    }).get(10, TimeUnit.SECONDS));
    assertEquals("my-executor", loaderThread[0]);
    assertEquals("v", plain.retrieve("k").get(10, TimeUnit.SECONDS)); // no wrapper without null values
  }
}
