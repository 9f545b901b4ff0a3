package io.github.newcache;

import io.github.newcache.internal.event.EventDispatcher;
import io.github.newcache.internal.expiry.ExpiryCalculator;
import io.github.newcache.internal.herd.LoadCoordinator;
import io.github.newcache.internal.integration.LoaderPool;
import io.github.newcache.internal.integration.WriteThrough;
import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.management.JmxRegistration;
import io.github.newcache.internal.store.EntryStore;
import javax.cache.integration.CacheLoader;

/**
 * Everything one cache is made of, built by {@link CacheFactory} and handed to the cache's
 * constructor in one piece.
 *
 * @param loader the cache loader, or null
 * @param executor the manager's loader pool (loadAll, background refreshes, the async view's blocking calls)
 */
record CacheContext<K, V>(
    String name,
    NewcacheCacheManager manager,
    NewcacheConfiguration<K, V> config,
    EntryStore<K, V> store,
    ExpiryCalculator expiry,
    EventDispatcher<K, V> events,
    CacheStatistics statistics,
    WriteThrough<K, V> writer,
    CacheLoader<K, V> loader,
    LoadCoordinator herd,
    FailureStatistics failures,
    JmxRegistration jmx,
    LoaderPool executor) {}
