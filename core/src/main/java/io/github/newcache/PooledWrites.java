package io.github.newcache;

import io.github.newcache.internal.store.Encoded;
import io.github.newcache.internal.store.Slot;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import javax.cache.processor.EntryProcessor;

/**
 * The non-blocking writes that {@link AsyncView} runs as the blocking call on the manager's loader
 * pool, because they may block: every write of a cache with a writer, and every {@code invoke}.
 *
 * <p>Memory: such a write waits for the key's earlier writes ({@link WriteOrder}), then for a pool
 * thread (4 of them, 10,000 tasks waiting), holding what it was given all the while, outside the
 * server's queues; behind a frozen server each of the 4 threads is held an operation timeout. So
 * each is charged to its server's budget of pending writes from the call until it is done, for
 * what it holds: a value is checked and encoded at the call, charged as any write's (twice its
 * encoded bytes), and handed encoded to the blocking call, which does not encode it again; an
 * {@code invoke} is charged for its arguments ({@link
 * io.github.newcache.internal.store.EntryStore#chargeArguments}). Before, these were charged 400
 * bytes and their key whatever they held, and a putAll through a writer nothing: 1 MB puts through
 * a writer ran a 128 MB heap out in about 120 calls.
 *
 * <p>A removal holds no value: charged for its place in line. The expected value of {@code
 * remove(k, v)} and {@code replace(k, v, w)} is held too, and counted ({@link
 * io.github.newcache.internal.store.EntryStore#charge(Slot, Encoded, Object)}), as in the writes
 * without a writer; before, it was not, in either.
 */
final class PooledWrites<K, V> {

  private final NewcacheCache<K, V> cache;
  private final WriteOrder order;

  PooledWrites(NewcacheCache<K, V> cache, WriteOrder order) {
    this.cache = cache;
    this.order = order;
  }

  CompletableFuture<Void> put(K key, V value) {
    return write(key, value, (s, e) -> {
      cache.put(s, e);
      return null;
    });
  }

  CompletableFuture<V> getAndPut(K key, V value) {
    return write(key, value, cache::getAndPut);
  }

  CompletableFuture<Boolean> putIfAbsent(K key, V value) {
    return write(key, value, cache::putIfAbsent);
  }

  CompletableFuture<Boolean> replace(K key, V value) {
    return write(key, value, (s, e) -> cache.replace(s, null, e));
  }

  CompletableFuture<Boolean> replace(K key, V oldValue, V newValue) {
    cache.checkOpen();
    Slot<K> s = cache.store.slot(key);
    cache.store.checkValue(oldValue); // as the blocking call: the expected value first
    Encoded<V> e = cache.store.encode(s, newValue);
    return order.run(s.memcachedKey(), () -> cache.store.charge(s, e, oldValue),
        () -> onPool(() -> cache.replace(s, oldValue, e)));
  }

  CompletableFuture<Boolean> remove(K key) {
    return removal(key, () -> cache.remove(key));
  }

  CompletableFuture<Boolean> remove(K key, V oldValue) {
    Slot<K> s = cache.store.slot(key);
    return order.run(s.memcachedKey(), () -> cache.store.charge(s, null, oldValue),
        () -> onPool(() -> cache.remove(key, oldValue)));
  }

  CompletableFuture<V> getAndRemove(K key) {
    return removal(key, () -> cache.getAndRemove(key));
  }

  /**
   * One call of the writer's batch method, after the earlier writes of all its keys, its values
   * checked and encoded first (nothing is written when one cannot be) and charged to their servers.
   */
  CompletableFuture<Void> putAll(Map<? extends K, ? extends V> map) {
    cache.checkOpen();
    Objects.requireNonNull(map, "map");
    List<Slot<K>> slots = new ArrayList<>(map.size());
    List<V> given = new ArrayList<>(map.size());
    for (Map.Entry<? extends K, ? extends V> entry : map.entrySet()) {
      slots.add(cache.store.slot(entry.getKey()));
      cache.store.checkValue(entry.getValue());
      given.add(entry.getValue());
    }
    List<Encoded<V>> values = new ArrayList<>(slots.size());
    List<String> mkeys = new ArrayList<>(slots.size());
    for (int i = 0; i < slots.size(); i++) {
      values.add(cache.store.encode(slots.get(i), given.get(i)));
      mkeys.add(slots.get(i).memcachedKey());
    }
    return order.runAll(mkeys, () -> cache.store.chargeAll(slots, values), () -> onPool(() -> {
      cache.putAll(slots, values);
      return null;
    }));
  }

  <T> CompletableFuture<T> invoke(K key, EntryProcessor<K, V, T> processor, Object... arguments) {
    cache.checkOpen();
    Slot<K> s = cache.store.slot(key);
    Objects.requireNonNull(processor, "processor");
    return order.run(s.memcachedKey(), () -> cache.store.chargeArguments(s, arguments),
        () -> onPool(() -> cache.invoke(key, processor, arguments)));
  }

  /** A write of {@code value}: checked and encoded now, then {@link #write(Slot, Encoded, BiFunction)}. */
  private <T> CompletableFuture<T> write(K key, V value, BiFunction<Slot<K>, Encoded<V>, T> blocking) {
    cache.checkOpen();
    Slot<K> s = cache.store.slot(key);
    return write(s, cache.store.encode(s, value), blocking);
  }

  /** {@code blocking} with {@code e} on the pool, after the key's earlier writes, charged for {@code e} until done. */
  private <T> CompletableFuture<T> write(Slot<K> s, Encoded<V> e, BiFunction<Slot<K>, Encoded<V>, T> blocking) {
    return order.run(s.memcachedKey(), () -> cache.store.charge(s, e), () -> onPool(() -> blocking.apply(s, e)));
  }

  /** {@code blocking}, a removal of {@code key}, on the pool after the key's earlier writes: charged for its place in line. */
  private <T> CompletableFuture<T> removal(K key, Supplier<T> blocking) {
    Slot<K> s = cache.store.slot(key);
    return order.run(s.memcachedKey(), () -> cache.store.charge(s, null), () -> onPool(blocking));
  }

  /** The blocking call on the loader pool; a cache closed meanwhile fails it, as the blocking call would. */
  private <T> CompletableFuture<T> onPool(Supplier<T> blocking) {
    return cache.executor.supply(() -> {
      cache.checkOpen();
      return blocking.get();
    });
  }
}
