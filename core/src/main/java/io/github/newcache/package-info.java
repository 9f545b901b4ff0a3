/**
 * The JCache provider for memcached: the {@link io.github.newcache.NewcacheCachingProvider} that
 * {@code Caching.getCachingProvider()} finds, its cache manager and cache, the cache's
 * non-blocking view {@link io.github.newcache.AsyncCache}, the per-cache
 * {@link io.github.newcache.NewcacheConfiguration}, the {@link io.github.newcache.FailurePolicy},
 * and the statistics interfaces beyond the standard JCache MXBeans.
 *
 * <p>The SPIs are in {@link io.github.newcache.key} (the key function) and {@link
 * io.github.newcache.codec} (the value codec). Packages under {@code io.github.newcache.internal}
 * are not API and may change in any release.
 */
package io.github.newcache;
