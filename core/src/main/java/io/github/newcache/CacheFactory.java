package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.codec.DeserializationFilter;
import io.github.newcache.internal.codec.FilteringClassLoader;
import io.github.newcache.internal.config.SecuritySettings;
import io.github.newcache.internal.event.EventDispatcher;
import io.github.newcache.internal.expiry.ExpiryCalculator;
import io.github.newcache.internal.herd.HerdStatistics;
import io.github.newcache.internal.herd.LoadCoordinator;
import io.github.newcache.internal.key.Namespaces;
import io.github.newcache.internal.management.CacheConfigurationBean;
import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.management.MBeans;
import io.github.newcache.internal.transport.CacheTransports;
import io.github.newcache.internal.transport.MemcachedTransport;
import io.github.newcache.key.KeyMangler;
import io.github.newcache.key.KeySpace;
import java.util.List;
import java.util.concurrent.ExecutorService;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.expiry.EternalExpiryPolicy;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheWriter;

/** Wires a cache from its configuration: the one place that builds its collaborators. */
final class CacheFactory {

  private CacheFactory() {}

  static <K, V> NewcacheCache<K, V> create(
      String name,
      NewcacheCacheManager manager,
      NewcacheConfiguration<K, V> config,
      MemcachedTransport transport,
      KeyMangler mangler,
      ValueCodec codec,
      ExecutorService executor) {
    ExpiryPolicy policy =
        config.getExpiryPolicyFactory() == null ? null : config.getExpiryPolicyFactory().create();
    ExpiryCalculator expiry = new ExpiryCalculator(policy == null ? new EternalExpiryPolicy() : policy);
    CacheLoader<K, V> loader =
        config.getCacheLoaderFactory() == null ? null : config.getCacheLoaderFactory().create();
    @SuppressWarnings("unchecked")
    CacheWriter<K, V> writer =
        config.isWriteThrough() && config.getCacheWriterFactory() != null
            ? (CacheWriter<K, V>) config.getCacheWriterFactory().create()
            : null;
    EventDispatcher<K, V> events = new EventDispatcher<>();
    for (CacheEntryListenerConfiguration<K, V> l : config.getCacheEntryListenerConfigurations()) {
      events.register(l);
    }
    KeySpace space =
        new KeySpace(manager.settings().flavor(), manager.settings().version(), Namespaces.of(name));
    // Safety: failure policy and signing wrap the shared transport; the allow-list rides on the loader.
    SecuritySettings security = manager.settings().security();
    FailureStatistics failures = new FailureStatistics(name);
    ClassLoader valueLoader =
        new FilteringClassLoader(
            manager.getClassLoader(),
            DeserializationFilter.forTypes(
                List.of(config.getKeyType(), config.getValueType()),
                security.deserializationAllow(),
                manager.settings().maxItemSize()));
    MemcachedTransport cacheTransport =
        CacheTransports.forCache(transport, security, config.getFailurePolicy(), failures);
    // Leases go through the cache's own transport: signed and under its failure policy.
    LoadCoordinator herd =
        new LoadCoordinator(cacheTransport, config.getLeaseTimeoutMillis(), new HerdStatistics(), executor);
    return new NewcacheCache<>(
        name,
        manager,
        config,
        cacheTransport,
        mangler,
        space,
        codec,
        expiry,
        events,
        new CacheStatistics(config.isStatisticsEnabled()),
        loader,
        writer,
        executor,
        System::currentTimeMillis,
        manager.settings().maxItemSize() - CacheTransports.overhead(security),
        valueLoader,
        failures,
        herd);
  }

  static void registerBeans(NewcacheCache<?, ?> cache) {
    if (cache.configuration().isManagementEnabled()) {
      MBeans.register(new CacheConfigurationBean(cache.configuration()), name(cache, MBeans.CONFIGURATION));
    }
    if (cache.configuration().isStatisticsEnabled()) {
      MBeans.register(cache.statistics(), name(cache, MBeans.STATISTICS));
      MBeans.register(cache.herdStatistics(), name(cache, MBeans.HERD));
      MBeans.register(cache.failureStatistics(), name(cache, MBeans.FAILURES));
    }
  }

  static void unregisterBeans(NewcacheCache<?, ?> cache) {
    MBeans.unregister(name(cache, MBeans.CONFIGURATION));
    MBeans.unregister(name(cache, MBeans.STATISTICS));
    MBeans.unregister(name(cache, MBeans.HERD));
    MBeans.unregister(name(cache, MBeans.FAILURES));
  }

  static void setManagement(NewcacheCache<?, ?> cache, boolean enabled) {
    cache.configuration().setManagementEnabled(enabled);
    if (enabled) {
      MBeans.register(new CacheConfigurationBean(cache.configuration()), name(cache, MBeans.CONFIGURATION));
    } else {
      MBeans.unregister(name(cache, MBeans.CONFIGURATION));
    }
  }

  static void setStatistics(NewcacheCache<?, ?> cache, boolean enabled) {
    cache.configuration().setStatisticsEnabled(enabled);
    cache.statistics().setEnabled(enabled);
    if (enabled) {
      MBeans.register(cache.statistics(), name(cache, MBeans.STATISTICS));
      MBeans.register(cache.herdStatistics(), name(cache, MBeans.HERD));
      MBeans.register(cache.failureStatistics(), name(cache, MBeans.FAILURES));
    } else {
      MBeans.unregister(name(cache, MBeans.STATISTICS));
      MBeans.unregister(name(cache, MBeans.HERD));
      MBeans.unregister(name(cache, MBeans.FAILURES));
    }
  }

  private static javax.management.ObjectName name(NewcacheCache<?, ?> cache, String type) {
    return MBeans.name(type, cache.getCacheManager().getURI().toString(), cache.getName());
  }
}
