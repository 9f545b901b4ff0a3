package io.github.newcache.frameworks.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.newcache.frameworks.support.NewcacheFiles;
import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.testkit.LocalMemcached;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.JCacheMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Micrometer's {@link JCacheMetrics} reads {@code CacheHits}, {@code CacheMisses}, {@code
 * CachePuts} and {@code CacheRemovals} from the statistics MXBean it names {@code
 * javax.cache:type=CacheStatistics,CacheManager=<getURI() with ':' as '.'>,Cache=<name>}. With a
 * manager opened from a properties file that name is valid and is the one Newcache registers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MicrometerJCacheMetricsTest {

  @TempDir Path dir;

  private LocalMemcached memcached;
  private CachingProvider provider;

  @BeforeAll
  void start() {
    memcached = LocalMemcached.start();
    provider = Caching.getCachingProvider("io.github.newcache.NewcacheCachingProvider");
  }

  @AfterAll
  void stop() {
    try {
      provider.close(getClass().getClassLoader());
    } finally {
      memcached.close();
    }
  }

  /** The value of a meter, whatever its kind ({@code cache.removals} is a gauge by default). */
  private static double counter(MeterRegistry registry, String name, String... tags) {
    Meter meter = registry.find(name).tags(tags).meter();
    assertThat(meter).as("meter %s %s", name, List.of(tags)).isNotNull();
    return meter.measure().iterator().next().getValue();
  }

  @Test
  void reportsHitsMissesPutsAndRemovalsOfACacheDeclaredInAPropertiesFile() throws Exception {
    Path file = NewcacheFiles.write(dir, "metered.properties", memcached,
        "flavor=metrics", "cache.metered.keyType=java.lang.String",
        "cache.metered.valueType=java.lang.String", "cache.metered.statistics=true");
    CacheManager manager = provider.getCacheManager(file.toUri(), getClass().getClassLoader());
    Cache<String, String> cache = manager.getCache("metered", String.class, String.class);

    MeterRegistry registry = new SimpleMeterRegistry();
    JCacheMetrics.monitor(registry, cache);

    cache.put("a", "1");
    cache.put("b", "2");
    cache.put("c", "3");
    assertThat(cache.get("a")).isEqualTo("1");
    assertThat(cache.get("b")).isEqualTo("2");
    assertThat(cache.get("missing")).isNull();
    assertThat(cache.remove("c")).isTrue();

    assertThat(counter(registry, "cache.gets", "cache", "metered", "result", "hit")).isEqualTo(2);
    assertThat(counter(registry, "cache.gets", "cache", "metered", "result", "miss")).isEqualTo(1);
    assertThat(counter(registry, "cache.puts", "cache", "metered")).isEqualTo(3);
    assertThat(counter(registry, "cache.removals", "cache", "metered")).isEqualTo(1);

    // The name Micrometer builds is exactly one Newcache registered.
    ObjectName micrometers = new ObjectName("javax.cache:type=CacheStatistics,CacheManager="
        + manager.getURI().toString().replace(':', '.') + ",Cache=metered");
    assertThat(ManagementFactory.getPlatformMBeanServer().isRegistered(micrometers)).isTrue();
    manager.close();
  }

  /**
   * A {@code memcached://…?binary=true} manager URI: Micrometer puts the URI into the ObjectName
   * unescaped, and {@code =} is not allowed in a value. Newcache registers its MXBean under a
   * sanitized name, but Micrometer cannot name it. Observed: {@code JCacheMetrics} throws
   * {@code InvalidConfigurationException} ("results in an invalid JMX name"). Recorded, not a
   * failure of the provider.
   */
  @Test
  void aMemcachedUriWithAQueryGivesMicrometerAnInvalidName() throws Exception {
    URI uri = URI.create("memcached://" + memcached.address() + "/?binary=true");
    CacheManager manager = provider.getCacheManager(uri, getClass().getClassLoader());
    Cache<String, String> cache = manager.createCache("binary_metered",
        new MutableConfiguration<String, String>().setTypes(String.class, String.class)
            .setStatisticsEnabled(true));
    cache.put("k", "v");
    cache.get("k");

    Set<ObjectName> ours = ManagementFactory.getPlatformMBeanServer().queryNames(
        new ObjectName("javax.cache:type=CacheStatistics,Cache=binary_metered,*"), null);
    assertThat(ours).as("Newcache registers a sanitized name").hasSize(1);
    System.out.println("[micrometer, " + uri + "] Newcache registered " + ours);

    Throwable failure = null;
    MeterRegistry registry = new SimpleMeterRegistry();
    try {
      JCacheMetrics.monitor(registry, cache);
    } catch (RuntimeException e) {
      failure = e;
    }
    System.out.println("[micrometer, " + uri + "] JCacheMetrics: "
        + (failure == null ? "accepted; cache.gets hit = "
            + counter(registry, "cache.gets", "result", "hit") : failure));
    if (failure != null) {
      assertThat(failure).hasMessageContaining("invalid JMX name");
    }
    manager.close();
  }

  /**
   * A bare {@code ?} makes Micrometer's name a pattern: it is accepted, but no MBean matches it
   * exactly, so every statistic silently reads 0 although Newcache counted the hit.
   */
  @Test
  void aMemcachedUriWithABareQuestionMarkReadsZeros() throws Exception {
    URI uri = URI.create("memcached://" + memcached.address() + "/?");
    CacheManager manager = provider.getCacheManager(uri, getClass().getClassLoader());
    Cache<String, String> cache = manager.createCache("pattern_metered",
        new MutableConfiguration<String, String>().setTypes(String.class, String.class)
            .setStatisticsEnabled(true));
    MeterRegistry registry = new SimpleMeterRegistry();
    JCacheMetrics.monitor(registry, cache);
    cache.put("k", "v");
    assertThat(cache.get("k")).isEqualTo("v");
    double hits = counter(registry, "cache.gets", "cache", "pattern_metered", "result", "hit");
    System.out.println("[micrometer, " + uri + "] cache.gets hit = " + hits + " after one hit");
    assertThat(hits).isZero();
    manager.close();
  }
}
