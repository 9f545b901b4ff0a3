package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import io.github.newcache.testing.Threads;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.management.ObjectName;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What closing does to iterators already handed out, to other managers' MXBeans, and to the
 * manager's connections and threads ({@code ClosingTest}: to the caches' own resources).
 */
@ExtendWith(MemcachedExtension.class)
class LifecycleTest {

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anIteratorOfAClosedCacheThrows(Protocol p, TestManagers managers) {
    Cache<String, String> c =
        managers.open(p).createCache("closing", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    for (int i = 0; i < 3; i++) {
      c.put("k" + i, "v" + i);
    }
    Iterator<Cache.Entry<String, String>> it = c.iterator();
    c.close();
    assertThrows(IllegalStateException.class, it::hasNext);
    assertThrows(IllegalStateException.class, it::next);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void closingAManagerNeverUnregistersAnotherManagersBeans(Protocol p, TestManagers managers) throws Exception {
    URI uri = managers.uri(p);
    ClassLoader parent = getClass().getClassLoader();
    try (URLClassLoader other = new URLClassLoader(new URL[0], parent)) {
      CacheManager first = managers.open(uri, parent, null);
      CacheManager second = managers.open(uri, other, null);
      assertNotSame(first, second, "two class loaders, two managers");
      MutableConfiguration<String, String> config =
          new MutableConfiguration<String, String>().setTypes(String.class, String.class).setStatisticsEnabled(true);
      first.createCache("shared", config);
      second.createCache("shared", config);
      ObjectName stats = new ObjectName("javax.cache:type=CacheStatistics,CacheManager="
          + uri.toString().replaceAll("[,:=\n?*]", ".") + ",Cache=shared");
      assertTrue(ManagementFactory.getPlatformMBeanServer().isRegistered(stats));
      second.close();
      assertTrue(ManagementFactory.getPlatformMBeanServer().isRegistered(stats),
          "the first manager's statistics bean outlives the second manager");
    }
  }

  /**
   * A cache whose bean name another manager of its URI still held gets the name once that one lets
   * it go (a manager opened while the previous one of its URI still closes; two class loaders).
   * Before, its beans stayed unregistered for its whole life.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aCacheWaitingForItsBeanNameGetsItWhenTheHolderCloses(Protocol p, TestManagers managers) throws Exception {
    URI uri = managers.uri(p);
    ClassLoader parent = getClass().getClassLoader();
    try (URLClassLoader other = new URLClassLoader(new URL[0], parent)) {
      CacheManager first = managers.open(uri, parent, null);
      CacheManager second = managers.open(uri, other, null);
      MutableConfiguration<String, String> config =
          new MutableConfiguration<String, String>().setTypes(String.class, String.class).setStatisticsEnabled(true);
      first.createCache("handed", config);
      Cache<String, String> later = second.createCache("handed", config);
      later.put("k", "v");
      ObjectName stats = new ObjectName("javax.cache:type=CacheStatistics,CacheManager="
          + uri.toString().replaceAll("[,:=\n?*]", ".") + ",Cache=handed");
      javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
      assertEquals(0L, server.getAttribute(stats, "CachePuts"), "the first cache's bean holds the name");
      first.close();
      assertTrue(server.isRegistered(stats), "handed to the cache that waited for it");
      assertEquals(1L, server.getAttribute(stats, "CachePuts"), "the later cache's own statistics");
      second.close();
      assertFalse(server.isRegistered(stats), "and let go when it closes");
    }
  }
  /**
   * A manager closed while a cache is being created (here: while its expiry policy factory runs)
   * leaves neither a live cache nor its MXBeans: createCache fails as on a closed manager. Before,
   * it returned an open cache over the closed connections, whose beans stayed registered.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aManagerClosedWhileACacheIsCreatedLeavesNoCacheNorBeans(Protocol p, TestManagers managers) throws Exception {
    URI uri = managers.uri(p);
    CacheManager m = managers.open(uri, getClass().getClassLoader(), null);
    java.util.concurrent.CountDownLatch creating = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch closedNow = new java.util.concurrent.CountDownLatch(1);
    javax.cache.configuration.Factory<javax.cache.expiry.ExpiryPolicy> slow = () -> {
      creating.countDown();
      try {
        closedNow.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return new javax.cache.expiry.EternalExpiryPolicy();
    };
    MutableConfiguration<String, String> config = new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).setExpiryPolicyFactory(slow).setStatisticsEnabled(true);
    java.util.concurrent.CompletableFuture<Cache<String, String>> created =
        java.util.concurrent.CompletableFuture.supplyAsync(() -> m.createCache("racing", config));
    assertTrue(creating.await(10, java.util.concurrent.TimeUnit.SECONDS));
    m.close();
    closedNow.countDown();
    java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
        () -> created.get(10, java.util.concurrent.TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
    ObjectName stats = new ObjectName("javax.cache:type=CacheStatistics,CacheManager="
        + uri.toString().replaceAll("[,:=\n?*]", ".") + ",Cache=racing");
    assertTrue(!ManagementFactory.getPlatformMBeanServer().isRegistered(stats), "the statistics bean is left");
  }

  /**
   * A listener whose close throws ("already closed") keeps the manager from nothing: its other
   * caches, loader pool, scheduler and connection close, and the client's IO thread ends. Before,
   * the exception escaped {@code close()} with all of them left open, for good: a second close
   * returned at once.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aListenerThatFailsToCloseLeavesNoConnectionNorThreadOpen(Protocol p, TestManagers managers) throws Exception {
    Set<Thread> io = new HashSet<>(Threads.named("Memcached IO"));
    Set<Thread> ours = new HashSet<>(Threads.named("newcache-"));
    CacheManager m = managers.open(p);
    MutableConfiguration<String, String> failing = new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<String, String>(
            FactoryBuilder.factoryOf(new ClosingTest.Listener("failing listener", "runtime")), null, false, true));
    m.createCache("failing", failing).put("k", "v");
    Cache<String, String> other =
        m.createCache("other", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    m.close();
    assertTrue(m.isClosed());
    assertTrue(other.isClosed(), "the other cache closed too");
    assertEquals(List.of(), Threads.awaitGone("Memcached IO", io, Duration.ofSeconds(10)), "the client's IO thread");
    assertEquals(List.of(), Threads.awaitGone("newcache-", ours, Duration.ofSeconds(10)), "the manager's threads");
  }
}
