package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.codec.DeserializationFilter;
import io.github.newcache.internal.codec.FilteringClassLoader;
import io.github.newcache.internal.config.ManagerSettings;
import io.github.newcache.internal.event.EventDispatcher;
import io.github.newcache.internal.expiry.ExpiryCalculator;
import io.github.newcache.internal.expiry.TimeSource;
import io.github.newcache.internal.herd.HerdStatistics;
import io.github.newcache.internal.herd.LoadCoordinator;
import io.github.newcache.internal.integration.LoaderPool;
import io.github.newcache.internal.integration.UserResources;
import io.github.newcache.internal.integration.WriteThrough;
import io.github.newcache.internal.key.KeyFunction;
import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.internal.key.Namespaces;
import io.github.newcache.internal.management.CacheConfigurationBean;
import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.management.JmxRegistration;
import io.github.newcache.internal.near.NearCache;
import io.github.newcache.internal.store.EntryStore;
import io.github.newcache.internal.transport.CacheTransports;
import io.github.newcache.internal.transport.MemcachedTransport;
import io.github.newcache.key.KeyMangler;
import io.github.newcache.key.KeySpace;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.expiry.EternalExpiryPolicy;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheWriter;

/**
 * Wires a cache from its configuration: the one place that builds its collaborators and picks the
 * cache class (with a loader, the loading one).
 */
final class CacheFactory {

  private CacheFactory() {}

  /**
   * The cache {@code config} describes. A step that fails (a factory, a listener, a bad setting)
   * fails the creation with its own exception, after closing what the earlier steps made: the
   * expiry policy, loader, writer, listeners and filters ({@link UserResources}).
   */
  static <K, V> NewcacheCache<K, V> create(
      String name,
      NewcacheCacheManager manager,
      NewcacheConfiguration<K, V> config,
      MemcachedTransport transport,
      KeyMangler mangler,
      ValueCodec codec,
      LoaderPool executor,
      ScheduledExecutorService scheduler,
      TimeSource clock) {
    Made made = new Made();
    try {
      return wire(name, manager, config, transport, mangler, codec, executor, scheduler, clock, made);
    } catch (RuntimeException | Error e) {
      Throwable closing = made.close(name);
      if (closing != null && closing != e) {
        e.addSuppressed(closing); // the creation's own failure is what the caller gets
      }
      throw e;
    }
  }

  private static <K, V> NewcacheCache<K, V> wire(
      String name,
      NewcacheCacheManager manager,
      NewcacheConfiguration<K, V> config,
      MemcachedTransport transport,
      KeyMangler mangler,
      ValueCodec codec,
      LoaderPool executor,
      ScheduledExecutorService scheduler,
      TimeSource clock,
      Made made) {
    ManagerSettings settings = manager.settings();
    if (config.getStaleWhileRevalidateMillis() > 0
        && (config.getCacheLoaderFactory() == null || !config.isReadThrough())) {
      throw new IllegalArgumentException(
          "cache " + name + ": staleWhileRevalidate is set but cannot apply: it needs a read-through cache "
              + "(setReadThrough(true)) with a CacheLoader (setCacheLoaderFactory)");
    }
    ExpiryPolicy policy =
        config.getExpiryPolicyFactory() == null ? null : made.add(config.getExpiryPolicyFactory().create());
    ExpiryCalculator expiry = new ExpiryCalculator(policy == null ? new EternalExpiryPolicy() : policy);
    boolean near = nearCache(name, config, expiry);
    CacheLoader<K, V> loader =
        config.getCacheLoaderFactory() == null ? null : made.add(config.getCacheLoaderFactory().create());
    @SuppressWarnings("unchecked")
    CacheWriter<K, V> writer =
        config.isWriteThrough() && config.getCacheWriterFactory() != null
            ? (CacheWriter<K, V>) made.add(config.getCacheWriterFactory().create())
            : null;
    EventDispatcher<K, V> events = new EventDispatcher<>(name, config.getLeaseTimeoutMillis(), scheduler);
    made.events = events;
    for (CacheEntryListenerConfiguration<K, V> l : config.getCacheEntryListenerConfigurations()) {
      events.register(l, made::keep, made.closes::add); // the failure's cleanup closes what creation made, once
    }
    FailureStatistics failures = new FailureStatistics(name);
    // Safety: the failure policy and signing wrap the shared transport; the allow-list rides on the loader.
    MemcachedTransport cacheTransport =
        CacheTransports.forCache(transport, settings.security(), config.getFailurePolicy(), failures, LeaseKeys::matches);
    // Revalidations ahead of time go out without the failure policy: under failures=miss a failed
    // multi-get would answer "no items" and drop every entry it was to revalidate, long before δ.
    // A failed one must leave them as they are (they revalidate on read), under either policy.
    MemcachedTransport revalidations = config.getFailurePolicy() == FailurePolicy.MISS
        ? CacheTransports.forCache(transport, settings.security(), FailurePolicy.EXCEPTION, failures, LeaseKeys::matches)
        : cacheTransport;
    NearCache nearCache = near ? NearCache.of(config.nearCache(), clock, revalidations::getAllAsync) : NearCache.off();
    if (nearCache.enabled()) {
      failures.onSkipped(nearCache::invalidate); // a write skipped under failures=miss is not served from here
    }
    ClassLoader valueLoader =
        new FilteringClassLoader(
            manager.getClassLoader(),
            DeserializationFilter.forTypes(
                List.of(config.getKeyType(), config.getValueType()),
                settings.security().deserializationAllow(),
                settings.maxItemSize()));
    KeySpace space = new KeySpace(settings.flavor(), settings.version(), Namespaces.of(name));
    EntryStore<K, V> store =
        new EntryStore<>(
            name,
            config.getKeyType(),
            config.getValueType(),
            KeyFunction.of(mangler, space),
            codec,
            valueLoader,
            cacheTransport,
            settings.maxItemSize(),
            CacheTransports.overhead(settings.security()),
            config.getStaleWhileRevalidateMillis(),
            clock,
            failures,
            nearCache,
            manager.recentSlots());
    CacheStatistics statistics = new CacheStatistics(config.isStatisticsEnabled());
    // Leases go through the cache's own transport: signed and under its failure policy.
    HerdStatistics herdStatistics = new HerdStatistics();
    LoadCoordinator herd = new LoadCoordinator(cacheTransport, config.getLeaseTimeoutMillis(), herdStatistics, executor, scheduler);
    JmxRegistration jmx =
        new JmxRegistration(
            manager.getURI().toString(), name, new CacheConfigurationBean(config), statistics, herdStatistics, failures,
            nearCache.enabled() ? nearCache.statistics() : null);
    CacheContext<K, V> context =
        new CacheContext<>(
            name, manager, config, store, expiry, events, statistics, WriteThrough.of(writer), loader, herd, failures,
            jmx, executor);
    return loader == null ? new NewcacheCache<>(context) : new LoadingNewcacheCache<>(context);
  }

  /**
   * Whether the cache gets a near cache. An expiry policy that may change expiry on access (accessed, touched,
   * any policy not built in) needs every read to reach memcached: a near cache the configuration
   * asks for is then refused; one that comes from the manager's default is left out.
   */
  private static boolean nearCache(String name, NewcacheConfiguration<?, ?> config, ExpiryCalculator expiry) {
    if (!config.nearCache().enabled()) {
      return false;
    }
    if (!expiry.accessNeverChanges()) {
      if (config.nearCacheChosen()) {
        throw new IllegalArgumentException(
            "cache " + name + ": a near cache (nearCache.maxEntries=" + config.getNearCacheMaxEntries()
                + ") cannot apply: its expiry policy (" + expiry.policy().getClass().getName() + ") may change an "
                + "entry's expiry on every read, and each such read must reach memcached; use an eternal, created or "
                + "modified expiry policy with a near cache, or leave the near cache off (nearCache.maxEntries=0)");
      }
      LOG.log(System.Logger.Level.DEBUG,
          "cache " + name + " has no near cache: its expiry policy may change expiry on access");
      return false;
    }
    return true;
  }

  /** What a creation has made so far that the cache would close: closed instead if the creation fails. */
  private static final class Made {
    private final List<Object> resources = new ArrayList<>();
    /** The listeners' dispatcher, once made: its listeners and filters. */
    EventDispatcher<?, ?> events;
    /** Closes of listeners made for a registration whose filter factory failed. */
    final List<Runnable> closes = new ArrayList<>(1);

    <T> T add(T resource) {
      resources.add(resource);
      return resource;
    }

    /** Keeps what was made open through {@code closing}: {@link #close} closes it. */
    void keep(UserResources closing) {
      resources.forEach(closing::keep);
    }

    /**
     * Closes what was made, each instance once, each whatever the others threw; answers what the
     * closes kept to throw (the first Error, or the dispatcher's failure), or null.
     */
    Throwable close(String name) {
      UserResources closing = new UserResources(name);
      if (events != null) {
        closing.run(() -> events.close(closing));
      }
      for (Object r : resources) {
        closing.close(r);
      }
      closes.forEach(closing::run);
      return closing.failure();
    }
  }

  private static final System.Logger LOG = System.getLogger(CacheFactory.class.getName());
}
