package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.TestManagers;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new Spring Boot or Hibernate user meets: caches created at run time with framework
 * configurations (statistics off), and a cache named both in {@code spring.cache.cache-names} and
 * in the file.
 */
@ExtendWith(MemcachedExtension.class)
class FrameworkFacingManagerTest {

  @Test
  void managerWideStatisticsReachCachesCreatedAtRunTime(TestManagers managers, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("app.properties");
    Files.writeString(file, String.join("\n",
        "servers=" + managers.server().address(), "flavor=" + managers.flavor(), "statistics=true", "management=true"));
    CacheManager m = managers.open(file.toUri());
    // What Spring Boot does for spring.cache.cache-names: a plain configuration, statistics off.
    Cache<Object, Object> books = m.createCache("books", new MutableConfiguration<>());
    assertTrue(books.getConfiguration(CompleteConfiguration.class).isStatisticsEnabled());
    books.put("k", "v");
    books.get("k");
    ObjectName stats = new ObjectName("javax.cache:type=CacheStatistics,CacheManager="
        + m.getURI().toString().replaceAll("[,:=\n?*]", ".") + ",Cache=books");
    assertEquals(1L, ManagementFactory.getPlatformMBeanServer().getAttribute(stats, "CacheHits"),
        "what Micrometer's JCacheMetrics reads");
    assertTrue(books.getConfiguration(CompleteConfiguration.class).isManagementEnabled());
  }

  /** A declared cache's own statistics=false or management=false wins over the manager-wide true; one that says nothing gets it. */
  @Test
  void aDeclaredCachesOwnChoiceWinsOverTheManagerWideDefault(TestManagers managers, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("app.properties");
    Files.writeString(file, String.join("\n",
        "servers=" + managers.server().address(), "flavor=" + managers.flavor(), "statistics=true", "management=true",
        "cache.hot.statistics=false", "cache.hot.management=false", "cache.plain.keyType=java.lang.String"));
    CacheManager m = managers.open(file.toUri());
    CompleteConfiguration<?, ?> hot = m.getCache("hot").getConfiguration(CompleteConfiguration.class);
    assertFalse(hot.isStatisticsEnabled());
    assertFalse(hot.isManagementEnabled());
    CompleteConfiguration<?, ?> plain = m.getCache("plain", String.class, Object.class).getConfiguration(CompleteConfiguration.class);
    assertTrue(plain.isStatisticsEnabled());
    assertTrue(plain.isManagementEnabled());
  }

  @Test
  void aCacheDeclaredInTheFileAndCreatedAgainSaysWhereItIsDeclared(TestManagers managers, @TempDir Path dir)
      throws Exception {
    Path file = dir.resolve("app.properties");
    Files.writeString(file, String.join("\n",
        "servers=" + managers.server().address(), "flavor=" + managers.flavor(), "cache.books.statistics=true"));
    CacheManager m = managers.open(file.toUri());
    CacheException e = assertThrows(CacheException.class, () -> m.createCache("books", new MutableConfiguration<>()));
    assertTrue(e.getMessage().contains("declared in the properties file"), e.getMessage());
    assertTrue(e.getMessage().contains("spring.cache.cache-names"), "says what to do: " + e.getMessage());
  }
}
