package io.github.newcache.internal.config;

/**
 * Manager-wide defaults for the caches a manager creates, including those created at run time by
 * {@code createCache} (Spring Boot's {@code spring.cache.cache-names}, Hibernate's regions), whose
 * configurations come from frameworks and say nothing about Newcache.
 *
 * @param statistics statistics on for every cache the manager creates
 * @param management the configuration MXBean on for every cache the manager creates
 * @param nearCache the near cache of every cache whose configuration does not choose its own
 *     ({@link NearCacheSettings#OFF} unless {@code nearCache.maxEntries} is given for the manager)
 */
public record CacheDefaults(boolean statistics, boolean management, NearCacheSettings nearCache) {}
