package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.config.CacheDeclaration;
import io.github.newcache.internal.config.ManagerSettings;
import io.github.newcache.internal.expiry.TimeSource;
import io.github.newcache.internal.integration.CloseFailures;
import io.github.newcache.internal.integration.LoaderPool;
import io.github.newcache.internal.store.RecentSlots;
import io.github.newcache.internal.transport.MemcachedTransport;
import io.github.newcache.internal.transport.Transports;
import io.github.newcache.key.KeyMangler;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.function.Function;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.Configuration;
import javax.cache.spi.CachingProvider;

/**
 * A {@link CacheManager} bound to one set of memcached servers through one connection. Caches are
 * known to the manager that created them; their data is shared by every manager that reaches the
 * same servers with the same flavor, version and cache name.
 */
public final class NewcacheCacheManager implements CacheManager {

  private static final System.Logger LOG = System.getLogger("io.github.newcache");

  private final NewcacheCachingProvider provider;
  private final URI uri;
  private final ClassLoader classLoader;
  private final Properties properties;
  private final ManagerSettings settings;
  private final MemcachedTransport transport;
  private final KeyMangler keyMangler;
  private final ValueCodec valueCodec;
  private final LoaderPool executor;
  /** Times the polls of non-blocking loads; one daemon thread, stopped with the manager. */
  private final ScheduledThreadPoolExecutor scheduler;
  private final TimeSource clock;
  private final Map<String, NewcacheCache<?, ?>> caches = new ConcurrentHashMap<>();
  /** Memcached keys of keys used lately, shared by this manager's caches. */
  private final RecentSlots recentSlots = new RecentSlots();
  /** The one {@link #close} that closes the manager (one on another thread meanwhile waits for it). */
  private final CloseOnce closing;

  NewcacheCacheManager(
      NewcacheCachingProvider provider, URI uri, ClassLoader classLoader, Properties properties, ManagerSettings settings) {
    this(provider, uri, classLoader, properties, settings, s -> Transports.open(s.transport()), TimeSource.SYSTEM);
  }

  /**
   * A manager over the transport {@code transports} builds, reading time from {@code clock}: tests
   * of the JCache rules hand in an in-memory transport and a clock they move.
   */
  NewcacheCacheManager(
      NewcacheCachingProvider provider,
      URI uri,
      ClassLoader classLoader,
      Properties properties,
      ManagerSettings settings,
      Function<ManagerSettings, MemcachedTransport> transports,
      TimeSource clock) {
    this.provider = provider;
    this.uri = uri;
    this.classLoader = classLoader;
    this.properties = properties;
    this.settings = settings;
    this.closing = new CloseOnce("cache manager " + uri);
    this.keyMangler = instantiate(settings.keyMangler(), KeyMangler.class, "keyMangler");
    this.valueCodec = instantiate(settings.valueCodec(), ValueCodec.class, "valueCodec");
    this.clock = clock;
    this.transport = transports.apply(settings);
    this.executor = new LoaderPool(uri.toString());
    this.scheduler =
        new ScheduledThreadPoolExecutor(
            1,
            r -> {
              Thread t = new Thread(r, "newcache-scheduler");
              t.setDaemon(true);
              return t;
            });
    this.scheduler.setRemoveOnCancelPolicy(true);
    try {
      for (CacheDeclaration d : settings.caches().values()) {
        NewcacheConfiguration<Object, Object> config =
            new NewcacheConfiguration<>(d.toConfiguration(classLoader))
                .setFailurePolicy(d.failures())
                .setSingleFlight(d.singleFlight())
                .setLeaseTimeoutMillis(d.leaseTimeoutMillis())
                .setStaleWhileRevalidateMillis(d.staleWhileRevalidateMillis());
        if (d.nearCache() != null) {
          config.nearCache(d.nearCache());
        }
        create(d.name(), config, false); // the declaration has the manager-wide defaults already
      }
    } catch (RuntimeException | Error e) {
      undo(e, this::close); // the declaration's failure is what the caller gets; nothing stays open
      throw e;
    }
  }

  private <T> T instantiate(String className, Class<T> type, String setting) {
    try {
      Class<?> c = Class.forName(className, true, classLoader);
      if (!type.isAssignableFrom(c)) {
        throw new IllegalArgumentException(
            setting + "=" + className + " does not implement " + type.getName());
      }
      return type.cast(c.getConstructor().newInstance());
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException(
          setting + "=" + className + " cannot be created: it needs to be a public class with a "
              + "public no-argument constructor implementing " + type.getName() + " (" + e + ")", e);
    }
  }

  ManagerSettings settings() {
    return settings;
  }

  /** How many tasks wait on the manager's scheduler now (polls, late lease releases, timers): for tests. */
  int scheduledTasks() {
    return scheduler.getQueue().size();
  }

  RecentSlots recentSlots() {
    return recentSlots;
  }

  @Override
  public CachingProvider getCachingProvider() {
    return provider;
  }

  @Override
  public URI getURI() {
    return uri;
  }

  @Override
  public ClassLoader getClassLoader() {
    return classLoader;
  }

  @Override
  public Properties getProperties() {
    return properties;
  }

  @Override
  public <K, V, C extends Configuration<K, V>> Cache<K, V> createCache(String cacheName, C configuration) {
    return create(cacheName, configuration, true);
  }

  /**
   * {@link #createCache}; {@code managerDefaults}: whether the manager-wide {@code statistics} and
   * {@code management} turn those on (a configuration in code cannot say it chose false), or the
   * configuration says all (a cache the properties file declares, whose own choice wins).
   */
  private <K, V, C extends Configuration<K, V>> Cache<K, V> create(String cacheName, C configuration, boolean managerDefaults) {
    checkOpen();
    Objects.requireNonNull(cacheName, "cacheName");
    Objects.requireNonNull(configuration, "configuration");
    NewcacheConfiguration<K, V> config = new NewcacheConfiguration<>(configuration);
    if (managerDefaults && settings.cacheDefaults().statistics()) {
      config.setStatisticsEnabled(true);
    }
    if (managerDefaults && settings.cacheDefaults().management()) {
      config.setManagementEnabled(true);
    }
    config.nearCacheDefaults(settings.cacheDefaults().nearCache());
    KeyMangler mangler = config.getKeyMangler() == null ? keyMangler : config.getKeyMangler();
    ValueCodec codec = config.getValueCodec() == null ? valueCodec : config.getValueCodec();
    NewcacheCache<K, V> cache = CacheFactory.create(cacheName, this, config, transport, mangler, codec, executor, scheduler, clock);
    if (caches.putIfAbsent(cacheName, cache) != null) {
      CacheException exists = new CacheException(alreadyExists(cacheName));
      undo(exists, cache::closeResources);
      throw exists;
    }
    try {
      cache.registerMBeans();
    } catch (RuntimeException | Error e) {
      // not created after all: neither listed nor left open
      caches.remove(cacheName, cache);
      undo(e, cache::unregisterMBeans, cache::closeResources);
      throw e;
    }
    if (closing.started()) {
      // close() ran while the cache was being made (its factories may take their time): it may
      // have closed the cache already, but not the MBeans registered after it.
      IllegalStateException closedNow = closedException();
      undo(closedNow, cache::unregisterMBeans, () -> {
        if (caches.remove(cacheName, cache)) {
          cache.closeResources();
        }
      });
      throw closedNow;
    }
    return cache;
  }

  /**
   * Undoes a cache not created after all: runs {@code steps} (unregistering its MXBeans, closing
   * it), each whatever the ones before it threw, and suppresses their failure in {@code failure},
   * the creation's own, which the caller throws, as for any {@code createCache} that fails part-way.
   */
  private static void undo(Throwable failure, Runnable... steps) {
    CloseFailures undoing = new CloseFailures();
    for (Runnable step : steps) {
      undoing.run(step);
    }
    Throwable also = undoing.first();
    if (also != null && also != failure) {
      failure.addSuppressed(also);
    }
  }

  private String alreadyExists(String cacheName) {
    String message = "cache " + cacheName + " already exists in cache manager " + uri;
    if (settings.caches().containsKey(cacheName)) {
      message += ": it is declared in the properties file (cache." + cacheName + ".*), which created it when the "
          + "manager opened. Use getCache(\"" + cacheName + "\") instead of creating it, or declare it in one place "
          + "only (with Spring Boot: leave it out of spring.cache.cache-names; Spring finds the file's caches)";
    }
    return message;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <K, V> Cache<K, V> getCache(String cacheName, Class<K> keyType, Class<V> valueType) {
    checkOpen();
    Objects.requireNonNull(cacheName, "cacheName");
    Objects.requireNonNull(keyType, "keyType");
    Objects.requireNonNull(valueType, "valueType");
    NewcacheCache<?, ?> cache = caches.get(cacheName);
    if (cache == null) {
      return null;
    }
    Configuration<?, ?> c = cache.configuration();
    if (c.getKeyType() != keyType || c.getValueType() != valueType) {
      throw new ClassCastException(
          "cache " + cacheName + " holds " + c.getKeyType().getName() + " -> " + c.getValueType().getName()
              + ", not " + keyType.getName() + " -> " + valueType.getName());
    }
    return (Cache<K, V>) cache;
  }

  @Override
  @SuppressWarnings("unchecked")
  public <K, V> Cache<K, V> getCache(String cacheName) {
    checkOpen();
    Objects.requireNonNull(cacheName, "cacheName");
    return (Cache<K, V>) caches.get(cacheName);
  }

  @Override
  public Iterable<String> getCacheNames() {
    checkOpen();
    return Collections.unmodifiableSet(new LinkedHashSet<>(caches.keySet()));
  }

  @Override
  public void destroyCache(String cacheName) {
    checkOpen();
    Objects.requireNonNull(cacheName, "cacheName");
    NewcacheCache<?, ?> cache = caches.get(cacheName);
    if (cache == null) {
      return;
    }
    // The cache is forgotten and closed whatever the clear threw; an Error goes first (CloseFailures).
    CloseFailures destroying = new CloseFailures();
    destroying.run(cache::clearData);
    destroying.run(() -> release(cache));
    destroying.run(cache::closeResources);
    destroying.throwIfAny();
  }

  /** Forgets a cache that is closing; its data stays on the servers. */
  void release(NewcacheCache<?, ?> cache) {
    if (caches.remove(cache.getName(), cache)) {
      cache.unregisterMBeans();
    }
  }

  @Override
  public void enableManagement(String cacheName, boolean enabled) {
    checkOpen();
    NewcacheCache<?, ?> cache = caches.get(Objects.requireNonNull(cacheName, "cacheName"));
    if (cache != null) {
      cache.enableManagement(enabled);
    }
  }

  @Override
  public void enableStatistics(String cacheName, boolean enabled) {
    checkOpen();
    NewcacheCache<?, ?> cache = caches.get(Objects.requireNonNull(cacheName, "cacheName"));
    if (cache != null) {
      cache.enableStatistics(enabled);
    }
  }

  /**
   * {@inheritDoc}
   *
   * <p>Closes each cache, whose resources close each on its own (see {@link
   * io.github.newcache.internal.integration.UserResources}), then the manager's loader pool,
   * scheduler and connections, each step whatever the ones before it threw ({@link CloseFailures}).
   * A cache that fails to close is logged. An Error from a resource's close (a {@code
   * NoClassDefFoundError} at a web application's undeploy) stops nothing either: the first one is
   * thrown once everything is closed, the later ones, and a failure of the manager's own pool,
   * scheduler or connections, suppressed in it; without an Error, such a failure of the manager's
   * own is thrown. Only the first call closes: a second one does nothing, and one called on
   * another thread meanwhile returns once the first has ended; one called on the closing thread
   * itself (a resource's own {@code close()} closing the manager) returns at once ({@link
   * CloseOnce}, which bounds the wait).
   */
  @Override
  public void close() {
    if (!closing.begin()) {
      return;
    }
    try {
      CloseFailures failures = new CloseFailures();
      failures.run(() -> provider.release(this));
      for (NewcacheCache<?, ?> cache : new ArrayList<>(caches.values())) {
        failures.run(() -> forget(cache));
        failures.run(() -> closeCache(cache));
      }
      failures.run(executor::close);
      failures.run(scheduler::shutdownNow);
      failures.run(transport::close);
      failures.throwIfAny();
    } finally {
      closing.end();
      provider.closed(this);
    }
  }

  /** Forgets {@code cache} as the manager closes; a failure to unregister its MXBeans is logged. */
  private void forget(NewcacheCache<?, ?> cache) {
    try {
      release(cache);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cache " + cache.getName() + " of manager " + uri
          + " failed to unregister its MXBeans as the manager closed", e);
    }
  }

  /** Closes {@code cache} as the manager closes: an exception is logged, an Error thrown. */
  private void closeCache(NewcacheCache<?, ?> cache) {
    try {
      cache.closeResources();
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "cache " + cache.getName() + " of manager " + uri
          + " failed to close; the manager closed its other caches all the same", e);
    }
  }

  @Override
  public boolean isClosed() {
    return closing.started();
  }

  @Override
  public <T> T unwrap(Class<T> clazz) {
    if (clazz.isAssignableFrom(getClass())) {
      return clazz.cast(this);
    }
    throw new IllegalArgumentException("cannot unwrap the cache manager to " + clazz.getName());
  }

  private void checkOpen() {
    if (closing.started()) {
      throw closedException();
    }
  }

  private IllegalStateException closedException() {
    return new IllegalStateException("cache manager " + uri + " is closed");
  }
}
