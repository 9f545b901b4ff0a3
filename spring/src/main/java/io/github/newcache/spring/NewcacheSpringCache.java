package io.github.newcache.spring;

import io.github.newcache.AsyncCache;
import io.github.newcache.NewcacheCache;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.Cache;
import javax.cache.configuration.CompleteConfiguration;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.cache.jcache.JCacheCache;

/**
 * A Spring {@link org.springframework.cache.Cache} over a Newcache cache: Spring's {@link
 * JCacheCache} (so {@code get}, {@code put}, {@code evict}, {@code invalidate}, {@code get(key,
 * Callable)} for {@code @Cacheable(sync = true)}, {@code NullValue} for cached nulls, and Spring
 * Boot's {@code JCacheCacheMeterBinderProvider} for Micrometer all behave as with any JCache
 * provider) plus the two operations Spring's JCache adapter lacks, {@link #retrieve(Object)} and
 * {@link #retrieve(Object, Supplier)}, which Spring calls for {@code @Cacheable} methods returning
 * {@code CompletableFuture}, {@code Mono} or {@code Flux}.
 *
 * <p>Both run on the cache's non-blocking view ({@link NewcacheCache#async()}): no thread waits
 * while memcached answers. {@code retrieve(key, loader)}, which Spring uses for {@code sync = true},
 * loads once across the fleet: callers of this JVM share one load of a missing key, and other JVMs
 * (or other managers with their own connections) wait on the key's lease in memcached, without
 * blocking a thread, and read what the one load stored.
 *
 * <p><b>Threads.</b> The futures this class returns complete on the {@code executor} given to the
 * constructor (for the manager's caches, {@link NewcacheSpringCacheManager#setExecutor}), never on
 * Newcache's callback threads: Spring continues a miss by calling the cached method in the thread
 * that completes the future, and the method or the caller's own stages may block, which must not
 * hold up the two threads that complete every memcached operation of the manager. The loader of
 * {@code retrieve(key, loader)} is started on that executor too. The cost is one hand-off per call.
 * {@link #clear()} runs on the executor as well, without the caller waiting; {@code put} and {@code
 * evict} wait for memcached's answer (one round trip), in the caller's thread.
 */
public class NewcacheSpringCache extends JCacheCache {

  private static final Log LOG = LogFactory.getLog(NewcacheSpringCache.class);

  private final AsyncCache<Object, Object> async;
  private final Executor executor;
  /** Whether {@link #clear} may run later: not through a writer (see there). */
  private final boolean clearLater;

  /**
   * @param cache a cache of a Newcache manager (a {@link NewcacheCache})
   * @param allowNullValues whether {@code null} is stored (as Spring's {@code NullValue})
   * @param executor where returned futures complete and loaders start (see the class comment)
   * @throws IllegalArgumentException when {@code cache} is not a Newcache cache
   */
  @SuppressWarnings("unchecked")
  public NewcacheSpringCache(Cache<Object, Object> cache, boolean allowNullValues, Executor executor) {
    super(cache, allowNullValues);
    this.executor = Objects.requireNonNull(executor, "executor");
    NewcacheCache<Object, Object> newcache;
    try {
      newcache = cache.unwrap(NewcacheCache.class);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("cache " + cache.getName() + " is not a Newcache cache ("
          + cache.getClass().getName() + "): " + getClass().getSimpleName()
          + " needs Newcache's non-blocking API; use Spring's JCacheCache for other providers", e);
    }
    this.async = newcache.async();
    this.clearLater = !cache.getConfiguration(CompleteConfiguration.class).isWriteThrough();
  }

  /**
   * The value stored for {@code key}, without blocking: a future that completes with {@code null}
   * when there is no entry, otherwise, as Spring expects from a cache that allows null values, with
   * a {@link org.springframework.cache.Cache.ValueWrapper} (holding {@code null} for a cached
   * {@code null}), or with the plain value when null values are not allowed. It fails with the
   * cache's exception when memcached fails or does not answer within the operation timeout.
   */
  @Override
  public CompletableFuture<?> retrieve(Object key) {
    return onExecutor(async.get(key), this::toRetrieved);
  }

  private Object toRetrieved(Object stored) {
    if (stored == null) {
      return null;
    }
    return isAllowNullValues() ? toValueWrapper(stored) : fromStoreValue(stored);
  }

  /**
   * The value stored for {@code key}, or the one {@code valueLoader} produces, stored for the next
   * caller, without blocking. One load runs for a missing key across every client of the cache:
   * concurrent callers in this JVM share it, and clients elsewhere wait on the key's lease in
   * memcached (for at most the cache's {@code leaseTimeout}) and read the stored value. A {@code
   * null} result is stored as {@code NullValue} and completes the future with {@code null}; when
   * null values are not allowed it fails the future with {@link IllegalArgumentException} and
   * nothing is stored. A loader that fails fails the future, stores nothing and releases the lease.
   */
  @Override
  @SuppressWarnings("unchecked") // the value stored for the key is what this loader's method returns
  public <T> CompletableFuture<T> retrieve(Object key, Supplier<CompletableFuture<T>> valueLoader) {
    Objects.requireNonNull(valueLoader, "valueLoader");
    return onExecutor(async.get(key, k -> load(valueLoader)), stored -> (T) fromStoreValue(stored));
  }

  /**
   * {@code source} mapped by {@code fn}, completing on the executor whether it succeeds or fails.
   * {@code thenApplyAsync} would not do for a failure: a stage of a future that fails completes
   * at once, in the thread that failed it (a Newcache timeout or callback thread), without the
   * executor.
   *
   * <p>A failure is the cause itself (the cache's {@code CacheException}, the loader's exception),
   * not a {@link CompletionException} around it: Spring's aspect hands it as is to the {@code
   * CacheErrorHandler}, which must see what the blocking {@code get} throws.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's future: its action completes out, failures included
  private <S, T> CompletableFuture<T> onExecutor(CompletableFuture<S> source, Function<S, T> fn) {
    CompletableFuture<T> out = new CompletableFuture<>();
    source.handleAsync((value, failure) -> {
      if (failure != null) {
        throw failure instanceof CompletionException c ? c : new CompletionException(failure);
      }
      return fn.apply(value);
    }, executor).whenComplete((value, failure) -> { // in the executor's thread, or the one the executor refused
      if (failure == null) {
        out.complete(value);
      } else {
        out.completeExceptionally(unwrapped(failure));
      }
    });
    return out;
  }

  /** {@code failure} without the {@link CompletionException}s that futures wrap around it. */
  private static Throwable unwrapped(Throwable failure) {
    Throwable t = failure;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * Removes every entry without waiting for it: the removal (a listing of the cache's entries on
   * every server, then their deletes) runs on the executor. Spring lets {@code clear} be deferred,
   * and calls it for {@code @CacheEvict(allEntries = true)}, on a {@code CompletableFuture}, {@code
   * Mono} or {@code Flux} method in the thread that completed the method's result, often an event
   * loop that must not wait for memcached. Lookups meanwhile may still see entries, and a write made
   * meanwhile may be removed by it (a later miss, never an older value). A failure is logged, since
   * no caller waits for it; {@link #invalidate()} removes everything before it returns and throws
   * what fails.
   *
   * <p>A write-through cache clears before it returns, as {@code invalidate}: its removal deletes
   * through the {@code CacheWriter}, and run later it would delete what the system of record was
   * given after {@code clear} returned.
   *
   * @throws java.util.concurrent.RejectedExecutionException when the executor refuses the removal
   */
  @Override
  public void clear() {
    if (!clearLater) {
      super.clear();
      return;
    }
    executor.execute(() -> {
      try {
        // As a blocker: on a ForkJoinPool (the default executor, whose common pool has a single
        // thread on two cores) the pool adds a thread meanwhile, so the caches' completions go on.
        ForkJoinPool.managedBlock(new ForkJoinPool.ManagedBlocker() {
          private boolean done;

          @Override
          public boolean block() {
            NewcacheSpringCache.super.clear();
            done = true;
            return true;
          }

          @Override
          public boolean isReleasable() {
            return done;
          }
        });
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        LOG.warn("clear() of cache " + getName() + " failed; entries may remain", e);
      }
    });
  }

  /** Starts the caller's loader on the executor, and turns its result into what is stored. */
  private <T> CompletableFuture<Object> load(Supplier<CompletableFuture<T>> valueLoader) {
    return CompletableFuture.completedFuture(valueLoader)
        .thenComposeAsync(
            loader -> Objects.requireNonNull(loader.get(), "the value loader returned no CompletableFuture"),
            executor)
        .thenApply(this::toStoreValue);
  }
}
