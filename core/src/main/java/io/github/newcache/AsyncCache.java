package io.github.newcache;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import javax.cache.Cache;
import javax.cache.processor.EntryProcessor;

/**
 * A non-blocking view of a {@link NewcacheCache}: {@code cache.unwrap(NewcacheCache.class).async()}.
 *
 * <p>Every method returns at once with a future; the same rules as the blocking call apply (expiry,
 * statistics, listeners, writer and loader, failure policy, single flight), and the result equals
 * the blocking call's. No thread waits while memcached works: each step continues in a callback
 * when memcached answers, and a read-modify-write retries there when another client got in
 * between. A future completes exceptionally with {@link javax.cache.CacheException} (or the
 * exception the blocking call would throw) when memcached does not answer within the operation
 * timeout; nothing waits forever. The writes of one key through this view take effect, and tell
 * their listeners, in the order they were called: a write starts once the key's earlier unfinished
 * write is done (reads do not wait for writes).
 *
 * <p>Threads: the stages you add to these futures run in the client's callback threads ({@code
 * newcache-callback-*}), never in its IO thread (a small read's future completes in the IO thread,
 * which hands its stages on); once the manager is closed, in the thread that completes the
 * future. A future that {@code CompletableFuture} derives itself ({@code
 * thenCompose}'s result, {@code allOf}, {@code anyOf}) is a plain one: its stages run where its
 * inner future completed, possibly the IO thread; give them your executor. Waiting there ({@code
 * join}, {@code get}) for a pending future of this API, or one its stages returned, throws {@link
 * IllegalStateException} at once, as a blocking cache call there does: it would block the thread
 * that reads every answer. Work that may block
 * runs on the manager's loader pool ({@code newcache-loader-*}, 4 threads): listeners, the {@link javax.cache.integration.CacheWriter} (a
 * write-through operation runs there as a whole, holding the key for the fleet), the {@link
 * javax.cache.integration.CacheLoader} of a read-through miss, and entry processors ({@link
 * #invoke}). So dependent stages you add with {@code thenApply} run in a callback thread: hand
 * blocking work to your own executor ({@code thenApplyAsync(f, executor)}).
 *
 * @param <K> the key type
 * @param <V> the value type
 */
public interface AsyncCache<K, V> {

  /**
   * {@link Cache#get}.
   *
   * @param key the key, not null
   * @return a future of the value, or of null when the key is absent
   */
  CompletableFuture<V> get(K key);

  /**
   * The value of {@code key}, loaded with {@code loader} when absent and stored: one load at a time
   * across the fleet for a missing key (callers of this JVM share one flight; other JVMs wait on
   * the key's lease and read what it stored), without blocking a thread while waiting. A null
   * result is not stored and completes the future with null. A result is not stored either, and
   * still completes the future, when the non-blocking writes pending for its server already hold
   * their budget ({@code opQueueBytes}): the store is a side effect of the read.
   *
   * @param key the key, not null
   * @param loader called with the key when it is absent; its future's value is stored
   * @return a future of the stored or loaded value, or of null when the loader found none
   */
  CompletableFuture<V> get(K key, Function<? super K, ? extends CompletableFuture<? extends V>> loader);

  /**
   * {@link Cache#getAll}.
   *
   * @param keys the keys, none null
   * @return a future of the entries found; absent keys are left out
   */
  CompletableFuture<Map<K, V>> getAll(Set<? extends K> keys);

  /**
   * {@link Cache#containsKey}.
   *
   * @param key the key, not null
   * @return a future of true when the cache holds the key
   */
  CompletableFuture<Boolean> containsKey(K key);

  /**
   * {@link Cache#put}.
   *
   * @param key the key, not null
   * @param value the value, not null
   * @return a future completed once the value is stored
   */
  CompletableFuture<Void> put(K key, V value);

  /**
   * {@link Cache#putAll}.
   *
   * @param map the entries, no key or value null
   * @return a future completed once every entry is stored
   */
  CompletableFuture<Void> putAll(Map<? extends K, ? extends V> map);

  /**
   * {@link Cache#putIfAbsent}.
   *
   * @param key the key, not null
   * @param value the value, not null
   * @return a future of true when the value was stored, false when the key was present
   */
  CompletableFuture<Boolean> putIfAbsent(K key, V value);

  /**
   * {@link Cache#remove(Object)}.
   *
   * @param key the key, not null
   * @return a future of true when an entry was removed
   */
  CompletableFuture<Boolean> remove(K key);

  /**
   * {@link Cache#remove(Object, Object)}.
   *
   * @param key the key, not null
   * @param oldValue the value the entry must hold to be removed, not null
   * @return a future of true when the entry held {@code oldValue} and was removed
   */
  CompletableFuture<Boolean> remove(K key, V oldValue);

  /**
   * {@link Cache#replace(Object, Object)}.
   *
   * @param key the key, not null
   * @param value the new value, not null
   * @return a future of true when the key was present and its value replaced
   */
  CompletableFuture<Boolean> replace(K key, V value);

  /**
   * {@link Cache#replace(Object, Object, Object)}.
   *
   * @param key the key, not null
   * @param oldValue the value the entry must hold to be replaced, not null
   * @param newValue the new value, not null
   * @return a future of true when the entry held {@code oldValue} and was replaced
   */
  CompletableFuture<Boolean> replace(K key, V oldValue, V newValue);

  /**
   * {@link Cache#getAndPut}.
   *
   * @param key the key, not null
   * @param value the value, not null
   * @return a future of the previous value, or of null when the key was absent
   */
  CompletableFuture<V> getAndPut(K key, V value);

  /**
   * {@link Cache#getAndRemove}.
   *
   * @param key the key, not null
   * @return a future of the removed value, or of null when the key was absent
   */
  CompletableFuture<V> getAndRemove(K key);

  /**
   * {@link Cache#invoke}; the processor runs on the manager's loader pool (it may block).
   *
   * @param <T> the type of the processor's result
   * @param key the key, not null
   * @param processor the entry processor
   * @param arguments passed to the processor
   * @return a future of the processor's result
   */
  <T> CompletableFuture<T> invoke(K key, EntryProcessor<K, V, T> processor, Object... arguments);

  /**
   * The blocking cache this is a view of.
   *
   * @return the cache
   */
  Cache<K, V> synchronous();
}
