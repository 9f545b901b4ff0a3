package io.github.newcache.spring;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import javax.cache.CacheManager;
import org.springframework.cache.Cache;
import org.springframework.cache.jcache.JCacheCacheManager;

/**
 * A Spring {@link org.springframework.cache.CacheManager} over a Newcache {@link CacheManager}:
 * Spring's {@link JCacheCacheManager} (caches of the JCache manager, null values allowed by
 * default, transaction awareness on request), whose caches are {@link NewcacheSpringCache}s, so
 * {@code @Cacheable} methods returning {@code CompletableFuture}, {@code Mono} or {@code Flux} work
 * without blocking a thread per call.
 *
 * <pre>{@code
 * javax.cache.CacheManager jcache = Caching.getCachingProvider("io.github.newcache.NewcacheCachingProvider")
 *     .getCacheManager(URI.create("classpath:newcache.properties"), getClass().getClassLoader());
 * NewcacheSpringCacheManager manager = new NewcacheSpringCacheManager(jcache);
 * manager.afterPropertiesSet();   // done by Spring for a @Bean
 * }</pre>
 *
 * <p>Caches created in the JCache manager after this manager started are found on first use, as
 * with Spring's manager. Every cache of the JCache manager must be a Newcache cache.
 */
public class NewcacheSpringCacheManager extends JCacheCacheManager {

  private Executor executor = ForkJoinPool.commonPool();

  /** A manager whose JCache manager is set later with {@link #setCacheManager}. */
  public NewcacheSpringCacheManager() {}

  /**
   * A manager over a Newcache manager.
   *
   * @param cacheManager the Newcache {@code javax.cache.CacheManager} whose caches this serves
   */
  public NewcacheSpringCacheManager(CacheManager cacheManager) {
    super(cacheManager);
  }

  /**
   * Where the caches' {@code retrieve} futures complete and their loaders start (see {@link
   * NewcacheSpringCache}); {@link ForkJoinPool#commonPool()} unless set. On a miss Spring calls the
   * cached method in that thread, so give an executor with room for blocking work if the cached
   * methods, or the stages callers add, block. Set it before the manager initializes its caches.
   *
   * @param executor the executor for the caches created from now on
   */
  public void setExecutor(Executor executor) {
    this.executor = Objects.requireNonNull(executor, "executor");
  }

  /**
   * Where the caches' {@code retrieve} futures complete and their loaders start.
   *
   * @return the executor given to caches created from now on
   */
  public Executor getExecutor() {
    return executor;
  }

  @Override
  protected Collection<Cache> loadCaches() {
    CacheManager manager = jcacheManager();
    List<Cache> caches = new ArrayList<>();
    for (String name : manager.getCacheNames()) {
      caches.add(adapt(manager.getCache(name)));
    }
    return caches;
  }

  @Override
  protected Cache getMissingCache(String name) {
    javax.cache.Cache<Object, Object> cache = jcacheManager().getCache(name);
    return cache == null ? null : adapt(cache);
  }

  private CacheManager jcacheManager() {
    CacheManager manager = getCacheManager();
    if (manager == null) {
      throw new IllegalStateException("no javax.cache.CacheManager set: call setCacheManager first");
    }
    return manager;
  }

  /**
   * The Spring cache over a cache of the JCache manager; override to return a subclass.
   *
   * @param cache a cache of the JCache manager
   * @return the Spring cache over it, with this manager's null-value setting and executor
   */
  protected NewcacheSpringCache adapt(javax.cache.Cache<Object, Object> cache) {
    return new NewcacheSpringCache(cache, isAllowNullValues(), executor);
  }
}
