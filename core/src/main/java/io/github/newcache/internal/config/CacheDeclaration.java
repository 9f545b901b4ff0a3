package io.github.newcache.internal.config;

import io.github.newcache.FailurePolicy;
import java.util.concurrent.TimeUnit;
import javax.cache.configuration.Factory;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.EternalExpiryPolicy;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.expiry.ModifiedExpiryPolicy;
import javax.cache.expiry.TouchedExpiryPolicy;

/**
 * A cache declared in a properties file ({@code cache.<name>.<attribute>=…}), created as soon as
 * its manager opens so that every JVM of a fleet sees the same caches without code.
 *
 * @param name the cache name
 * @param keyType the key type, {@code java.lang.Object} when not declared
 * @param valueType the value type, {@code java.lang.Object} when not declared
 * @param expiry one of eternal, created, accessed, modified, touched
 * @param expiryMillis the expiry duration in milliseconds (ignored for eternal)
 * @param statistics whether statistics are enabled
 * @param management whether the configuration MXBean is registered
 * @param failures what the cache does when memcached fails ({@code cache.<name>.failures})
 * @param singleFlight whether loads of a missing key run once across the fleet
 * @param leaseTimeoutMillis how long a load lease lasts
 * @param staleWhileRevalidateMillis the stale-while-revalidate window, 0 for off
 * @param nearCache the near cache declared ({@code cache.<name>.nearCache.*}), or null when the
 *     file says nothing about it (the manager's default then applies)
 */
public record CacheDeclaration(
    String name,
    String keyType,
    String valueType,
    String expiry,
    long expiryMillis,
    boolean statistics,
    boolean management,
    FailurePolicy failures,
    boolean singleFlight,
    long leaseTimeoutMillis,
    long staleWhileRevalidateMillis,
    NearCacheSettings nearCache) {

  /** The JCache configuration this declaration stands for, with types loaded from {@code loader}. */
  public MutableConfiguration<Object, Object> toConfiguration(ClassLoader loader) {
    MutableConfiguration<Object, Object> config = new MutableConfiguration<>();
    config.setTypes(load(keyType, loader, "keyType"), load(valueType, loader, "valueType"));
    config.setExpiryPolicyFactory(expiryFactory());
    config.setStatisticsEnabled(statistics);
    config.setManagementEnabled(management);
    return config;
  }

  private Factory<ExpiryPolicy> expiryFactory() {
    Duration d = new Duration(TimeUnit.MILLISECONDS, expiryMillis);
    return switch (expiry) {
      case "created" -> CreatedExpiryPolicy.factoryOf(d);
      case "accessed" -> AccessedExpiryPolicy.factoryOf(d);
      case "modified" -> ModifiedExpiryPolicy.factoryOf(d);
      case "touched" -> TouchedExpiryPolicy.factoryOf(d);
      default -> EternalExpiryPolicy.factoryOf();
    };
  }

  @SuppressWarnings("unchecked")
  private Class<Object> load(String type, ClassLoader loader, String attribute) {
    try {
      return (Class<Object>) Class.forName(type, false, loader);
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException(
          "cache." + name + "." + attribute + "=" + type + ": no such class on the class path", e);
    }
  }
}
