package io.github.newcache;

import io.github.newcache.internal.event.EntryEvent;
import io.github.newcache.internal.event.EventTurns.Turn;
import io.github.newcache.internal.store.Applied;
import io.github.newcache.internal.store.Current;
import io.github.newcache.internal.store.Decision;
import io.github.newcache.internal.store.Encoded;
import io.github.newcache.internal.store.Slot;
import io.github.newcache.internal.transport.BestEffort;
import io.github.newcache.internal.transport.HandOffFuture;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.event.EventType;
import javax.cache.processor.EntryProcessor;

/**
 * {@link AsyncCache} over a {@link NewcacheCache}: the same decisions and the same statistics and
 * event rules as the blocking calls (shared with the cache), driven by the store's non-blocking
 * reads and compute loop. What may block goes to the manager's loader pool: listeners, writers,
 * loaders, entry processors, and expired entries (their EXPIRED event or stale refresh). The writes
 * of one key take effect, and tell their listeners, in the order they were called ({@link
 * WriteOrder}); while a listener wants a write's events, the write also takes the key's turn for
 * events from its change until its listener step is done ({@link ListenerSteps#inTurn}), as
 * blocking writes do, so a key's listeners hear of its blocking and non-blocking changes in the
 * order they were made.
 */
final class AsyncView<K, V> implements AsyncCache<K, V> {

  private final NewcacheCache<K, V> cache;
  /** Each key's writes, one after another. */
  final WriteOrder order;
  /** The writes run as the blocking call on the loader pool: through a writer, and invoke. */
  private final PooledWrites<K, V> pooled;
  /** Where writes' listener steps run, and the key's turn for events they hold. */
  private final ListenerSteps<K, V> steps;

  /**
   * @param cache the cache
   * @param leaseTimeoutMillis its lease timeout: how long a write may wait for the key's earlier writes
   */
  AsyncView(NewcacheCache<K, V> cache, long leaseTimeoutMillis) {
    this.cache = cache;
    this.order = new WriteOrder(cache.store.continuations(), leaseTimeoutMillis);
    this.pooled = new PooledWrites<>(cache, order);
    this.steps = new ListenerSteps<>(cache);
  }

  @Override
  public Cache<K, V> synchronous() {
    return cache;
  }

  /**
   * Runs {@code start}; an exception it throws (bad input, a closed cache) fails the future. What
   * the caller gets hands its stages to the callback threads ({@link HandOffFuture}): the future
   * may complete on the client's IO thread.
   */
  private <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> start) {
    CompletableFuture<T> started;
    try {
      started = start.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return started.isDone() || started instanceof HandOffFuture ? started : HandOffFuture.of(started, cache.store.continuations());
  }

  /** The blocking call on the loader pool: for what must block (a loader, an expired entry's event or refresh). */
  private <T> CompletableFuture<T> onPool(Supplier<T> blocking) {
    return cache.executor.supply(blocking);
  }

  /**
   * {@code write}, the memcached part of a write of {@code s} and its listener step, after the
   * key's earlier writes; charged to the key's server until it is done for {@code value} (null
   * for a removal), which it holds meanwhile ({@link WriteOrder}).
   */
  private <T> CompletableFuture<T> ordered(
      Slot<K> s, Encoded<V> value, Function<WriteOrder.Place, CompletableFuture<T>> write) {
    return order.run(s.memcachedKey(), () -> cache.store.charge(s, value), write);
  }

  /** {@link #ordered}, for a put: a blind one (a lone {@code set}) takes no turn ({@link WriteOrder#runBlind}). */
  private <T> CompletableFuture<T> orderedPut(
      Slot<K> s, Encoded<V> value, Function<WriteOrder.Place, CompletableFuture<T>> write) {
    return cache.rules.blindWrites()
        ? order.runBlind(s.memcachedKey(), () -> cache.store.charge(s, value), () -> write.apply(null))
        : ordered(s, value, write);
  }

  // ---------------------------------------------------------------- reads

  @Override
  @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's future: its action completes out, failures included
  public CompletableFuture<V> get(K key) {
    return call(() -> {
      cache.checkOpen();
      Slot<K> s = cache.store.slot(key);
      long start = cache.stats.start();
      // A hit, the common case, completes the caller's future straight from the store's answer;
      // a miss, an expired entry or a value this JVM refuses (a class it lacks: null, as the
      // blocking read answers) goes on as read() and the miss rules say.
      CompletableFuture<V> out = HandOffFuture.pending(cache.store.continuations());
      current(s, (c, e) -> {
        V hit = e == null ? c.liveValue() : null;
        if (e != null) {
          out.completeExceptionally(e);
        } else if (hit != null) {
          cache.stats.hits(1);
          cache.stats.getTime(start);
          out.complete(hit);
        } else {
          try {
            HandOffFuture.forward(rest(s, c).thenCompose(v -> afterRead(s, v, start)), out);
          } catch (RuntimeException x) { // a step that throws before it returns a future (a closed cache)
            out.completeExceptionally(x);
          }
        }
      });
      return out;
    });
  }

  /** A get's end once its value is read: a hit, or a miss that the loader (if any) fills. */
  private CompletableFuture<V> afterRead(Slot<K> s, V v, long start) {
    if (v != null) {
      cache.stats.hits(1);
      cache.stats.getTime(start);
      return CompletableFuture.completedFuture(v);
    }
    cache.stats.misses(1);
    CompletableFuture<V> loaded = cache.loads()
        ? onPool(() -> cache.loadMissing(s))
        : CompletableFuture.completedFuture(null);
    return loaded.whenComplete((x, e) -> cache.stats.getTime(start));
  }

  /** The live value as the blocking read gives it; an expired entry is handled on the pool. */
  private CompletableFuture<V> read(Slot<K> s) {
    return current(s).thenCompose(c -> rest(s, c));
  }

  /** {@link #current(Slot)}, handed to {@code then}: without a future between when nothing is touched. */
  @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's future: then handles failures too
  private void current(Slot<K> s, BiConsumer<? super Current<V>, ? super Throwable> then) {
    if (cache.expiry.accessNeverChanges()) {
      cache.store.getAsync(s, then);
    } else {
      current(s).whenComplete(then);
    }
  }

  /** The entry as a read finds it, touched first when the expiry policy changes expiry on access. */
  private CompletableFuture<Current<V>> current(Slot<K> s) {
    return cache.expiry.accessNeverChanges()
        ? cache.store.getAsync(s)
        : cache.store.computeAsync(s, cache::touchIfLive).thenApply(Applied::before);
  }

  /** The live value of {@code c}; an expired entry is handled on the pool. */
  private CompletableFuture<V> rest(Slot<K> s, Current<V> c) {
    if (c.present()) {
      return CompletableFuture.completedFuture(c.value());
    }
    return c.expired() ? onPool(() -> cache.expiredRead(s, c, true)) : CompletableFuture.completedFuture(null);
  }


  @Override
  public CompletableFuture<V> get(K key, Function<? super K, ? extends CompletableFuture<? extends V>> loader) {
    return call(() -> {
      cache.checkOpen();
      Objects.requireNonNull(loader, "loader");
      Slot<K> s = cache.store.slot(key);
      long start = cache.stats.start();
      return read(s).thenCompose(v -> {
        if (v != null) {
          cache.stats.hits(1);
          cache.stats.getTime(start);
          return CompletableFuture.completedFuture(v);
        }
        cache.stats.misses(1);
        Supplier<CompletableFuture<V>> loadAndStore = () -> loadAndStore(s, loader);
        CompletableFuture<V> loaded =
            cache.singleFlight() ? cache.herd.loadAsync(s.memcachedKey(), () -> read(s), loadAndStore) : loadAndStore.get();
        return loaded.whenComplete((x, e) -> cache.stats.getTime(start));
      });
    });
  }

  /**
   * Runs the caller's loader, on a callback thread (this may run on the client's IO thread, which
   * must never run the caller's code), and stores a non-null result unless another client stored
   * one first. A loader that throws, an {@link Error} included, fails the load, which releases the
   * key's flight and lease; the Error is not thrown on in the callback thread, where nobody would
   * catch it (as a {@code CompletableFuture} stage does).
   *
   * <p>The store holds the value and its encoded copy until memcached answers its {@code gets} and
   * {@code add}, outside the queues: it is charged to the server's budget of pending writes as any
   * write is, but without waiting for room (it runs in whatever thread completed the loader's
   * future, perhaps a callback thread, see {@link BestEffort}). When the budget refuses it, the
   * value is not stored and the get still answers it: the caller asked for the value, and the store
   * is a side effect, as a failed store under {@code failures=miss} is. Before, the store was not
   * charged at all.
   */
  // FutureReturnValueIgnored: the future whenComplete returns is dropped; its action completes loading.
  @SuppressWarnings("FutureReturnValueIgnored")
  private CompletableFuture<V> loadAndStore(Slot<K> s, Function<? super K, ? extends CompletableFuture<? extends V>> loader) {
    CompletableFuture<V> loading = new CompletableFuture<>();
    try {
      cache.store.continuations().execute(() -> {
        try {
          Objects.requireNonNull(loader.apply(s.key()), "the loader returned no future").whenComplete((v, e) -> {
            if (e == null) {
              loading.complete(v);
            } else {
              loading.completeExceptionally(e);
            }
          });
        } catch (Throwable e) { // an Error, or a checked exception thrown undeclared: the caller hears of it
          loading.completeExceptionally(e);
        }
      });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    return loading.thenCompose(v -> {
      if (v == null) {
        return CompletableFuture.completedFuture(null);
      }
      Encoded<V> e = cache.store.encode(s, v);
      Runnable release;
      try {
        release = BestEffort.send(() -> cache.store.charge(s, e));
      } catch (CacheException refused) { // the pending writes' budget is full: the value, unstored
        return CompletableFuture.completedFuture(v);
      }
      try {
        return steps.inTurn(s, WriteRules.PUTS, turn -> steps.then(turn,
            cache.store.computeAsync(s, c -> c.present() ? Decision.keep() : Decision.write(e, cache.expiry.forCreation(c.now()))),
            a -> {
              if (a.stored()) {
                cache.stats.puts(1);
                cache.events.dispatch(new EntryEvent<>(cache, EventType.CREATED, s.key(), v, null, false));
                return v;
              }
              V present = a.before().liveValue();
              return present != null ? present : v; // another client stored first: theirs is the value
            }))
            .whenComplete((x, failed) -> release.run());
      } catch (RuntimeException | Error failed) {
        release.run();
        throw failed;
      }
    });
  }

  @Override
  public CompletableFuture<Map<K, V>> getAll(Set<? extends K> keys) {
    return call(() -> {
      cache.checkOpen();
      Objects.requireNonNull(keys, "keys");
      List<Slot<K>> slots = cache.store.slots(keys);
      long start = cache.stats.start();
      CompletableFuture<List<Current<V>>> found;
      if (cache.expiry.accessNeverChanges()) {
        found = cache.store.getAllAsync(slots);
      } else {
        List<CompletableFuture<Current<V>>> each = new ArrayList<>(slots.size());
        for (Slot<K> s : slots) {
          each.add(cache.store.computeAsync(s, cache::touchIfLive).thenApply(Applied::before));
        }
        found = CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0]))
            .thenApply(x -> each.stream().map(CompletableFuture::join).toList());
      }
      return found.thenCompose(currents -> {
        Map<K, V> result = new LinkedHashMap<>(slots.size() * 4 / 3 + 1);
        List<Slot<K>> missing = new ArrayList<>();
        List<Slot<K>> expired = new ArrayList<>();
        for (int i = 0; i < slots.size(); i++) {
          V v = currents.get(i).liveValue();
          if (v != null) {
            result.put(slots.get(i).key(), v);
          } else {
            missing.add(slots.get(i));
            if (currents.get(i).expired()) {
              expired.add(slots.get(i));
            }
          }
        }
        cache.stats.hits(result.size());
        cache.stats.misses(missing.size());
        if (expired.isEmpty() && (missing.isEmpty() || !cache.loads())) {
          cache.stats.getTime(start);
          return CompletableFuture.completedFuture(result);
        }
        return onPool(() -> {
          expired.forEach(cache::expired);
          if (!missing.isEmpty()) {
            result.putAll(cache.loadMissing(missing));
          }
          cache.stats.getTime(start);
          return result;
        });
      });
    });
  }

  @Override
  public CompletableFuture<Boolean> containsKey(K key) {
    return call(() -> {
      cache.checkOpen();
      return cache.store.getAsync(cache.store.slot(key)).thenApply(Current::present);
    });
  }

  // ---------------------------------------------------------------- writes

  @Override
  public CompletableFuture<Void> put(K key, V value) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.put(key, value));
    }
    return call(() -> {
      cache.checkOpen();
      Slot<K> s = cache.store.slot(key);
      Encoded<V> e = cache.store.encode(s, value);
      long start = cache.stats.start();
      return orderedPut(s, e, place -> put(place, s, e, () -> cache.stats.putTime(start))).thenApply(old -> null);
    });
  }

  /**
   * A put's memcached part, statistics and event; the old live value. {@code timed} runs once the
   * put is applied, before its event, as the blocking put times itself.
   */
  private CompletableFuture<V> put(WriteOrder.Place place, Slot<K> s, Encoded<V> e, Runnable timed) {
    if (cache.rules.blindWrites()) {
      long at = cache.expiry.forCreation(cache.store.now());
      return cache.store.setAsync(s, e, at).thenApply(x -> {
        if (at > cache.store.now()) {
          cache.stats.puts(1);
        }
        timed.run();
        return null;
      });
    }
    return steps.inTurn(place, s, WriteRules.PUTS, turn -> steps.then(turn,
        cache.store.computeAsync(s, c -> cache.rules.putDecision(e, c)), a -> {
      List<EntryEvent<K, V>> out = new ArrayList<>(1);
      V old = cache.rules.written(s, e, a, out);
      timed.run();
      cache.events.dispatch(out);
      return old;
    }));
  }

  @Override
  public CompletableFuture<Void> putAll(Map<? extends K, ? extends V> map) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.putAll(map)); // one call of the writer's batch method
    }
    return call(() -> {
      cache.checkOpen();
      Objects.requireNonNull(map, "map");
      int n = map.size();
      List<Slot<K>> slots = new ArrayList<>(n);
      List<V> given = new ArrayList<>(n);
      for (Map.Entry<? extends K, ? extends V> entry : map.entrySet()) {
        slots.add(cache.store.slot(entry.getKey()));
        cache.store.checkValue(entry.getValue());
        given.add(entry.getValue());
      }
      // As the blocking putAll: every value is encoded before any is sent, so a value that cannot
      // be stored (too large, or its codec throws) fails the call with nothing written.
      List<Encoded<V>> values = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        values.add(cache.store.encode(slots.get(i), given.get(i)));
      }
      long start = cache.stats.start();
      CompletableFuture<?>[] each = new CompletableFuture<?>[n];
      for (int i = 0; i < n; i++) {
        Slot<K> s = slots.get(i);
        Encoded<V> e = values.get(i);
        each[i] = orderedPut(s, e, place -> put(place, s, e, () -> {}));
      }
      return CompletableFuture.allOf(each).thenApply(x -> {
        cache.stats.putTime(start); // once per call, as the blocking putAll
        return null;
      });
    });
  }

  @Override
  public CompletableFuture<Boolean> putIfAbsent(K key, V value) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.putIfAbsent(key, value));
    }
    return call(() -> {
      cache.checkOpen();
      Slot<K> s = cache.store.slot(key);
      Encoded<V> e = cache.store.encode(s, value);
      long start = cache.stats.start();
      return ordered(s, e, place -> putIfAbsent(place, s, e, start));
    });
  }

  /** A putIfAbsent's memcached part, statistics and event. */
  private CompletableFuture<Boolean> putIfAbsent(WriteOrder.Place place, Slot<K> s, Encoded<V> e, long start) {
    return steps.inTurn(place, s, WriteRules.PUTS, turn -> putIfAbsent(s, e, start, turn));
  }

  /** {@link #putIfAbsent(WriteOrder.Place, Slot, Encoded, long)} holding {@code turn}. */
  private CompletableFuture<Boolean> putIfAbsent(Slot<K> s, Encoded<V> e, long start, Turn turn) {
    K key = s.key();
    V value = e.value();
    CompletableFuture<Boolean> added =
        cache.expiry.isEternal()
            ? cache.store.addAsync(s, e, cache.expiry.forCreation(cache.store.now()))
            : CompletableFuture.completedFuture(false);
    return added.thenCompose(took -> {
      if (took) {
        return steps.then(turn, CompletableFuture.completedFuture(true), x -> cache.rules.absentPut(key, value, start, true));
      }
      return steps.then(turn,
          cache.store.computeAsync(s, c -> c.present() ? Decision.keep() : Decision.write(e, cache.expiry.forCreation(c.now()))),
          a -> {
            if (a.decision().kind() == Decision.Kind.KEEP) {
              cache.stats.hits(1);
              cache.stats.getTime(start);
              return false;
            }
            return cache.rules.absentPut(key, value, start, a.stored());
          });
    });
  }

  @Override
  public CompletableFuture<V> getAndPut(K key, V value) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.getAndPut(key, value));
    }
    return call(() -> {
      cache.checkOpen();
      Slot<K> s = cache.store.slot(key);
      Encoded<V> e = cache.store.encode(s, value);
      long start = cache.stats.start();
      return ordered(s, e, place -> steps.inTurn(place, s, WriteRules.PUTS, turn -> steps.then(turn,
        cache.store.computeAsync(s, c -> cache.rules.putDecision(e, c)), a -> {
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        V old = cache.rules.written(s, e, a, out);
        if (old != null) {
          cache.stats.hits(1);
        } else {
          cache.stats.misses(1);
        }
        cache.stats.getTime(start);
        cache.stats.putTime(start);
        cache.events.dispatch(out);
        return old;
      })));
    });
  }

  @Override
  public CompletableFuture<Boolean> remove(K key) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.remove(key));
    }
    return call(() -> {
      cache.checkOpen();
      Slot<K> s = cache.store.slot(key);
      long start = cache.stats.start();
      if (cache.rules.blindDeleteIsExact()) {
        return order.runBlind(s.memcachedKey(), () -> cache.store.charge(s, null), () -> cache.store.deleteAsync(s)).thenApply(r -> {
          if (r) {
            cache.stats.removals(1);
          }
          cache.stats.removeTime(start);
          return r;
        });
      }
      return ordered(s, null, place -> steps.inTurn(place, s, WriteRules.REMOVALS, turn -> steps.then(turn,
        cache.store.computeAsync(s, WriteRules::removeEntry), a -> {
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        boolean r = cache.rules.removed(s, a, out) != null;
        if (r) {
          cache.stats.removals(1);
        }
        cache.stats.removeTime(start);
        cache.events.dispatch(out); // once counted, as the blocking remove
        return r;
      })));
    });
  }

  @Override
  public CompletableFuture<V> getAndRemove(K key) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.getAndRemove(key));
    }
    return call(() -> {
      cache.checkOpen();
      Slot<K> s = cache.store.slot(key);
      long start = cache.stats.start();
      return ordered(s, null, place -> steps.inTurn(place, s, WriteRules.REMOVALS, turn -> steps.then(turn,
        cache.store.computeAsync(s, WriteRules::removeEntry), a -> {
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        Applied<V> removed = cache.rules.removed(s, a, out);
        if (removed != null) {
          cache.stats.hits(1);
          cache.stats.removals(1);
        } else {
          cache.stats.misses(1);
        }
        cache.stats.getTime(start);
        cache.stats.removeTime(start);
        cache.events.dispatch(out);
        return removed == null ? null : removed.before().value();
      })));
    });
  }

  @Override
  public CompletableFuture<Boolean> remove(K key, V oldValue) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.remove(key, oldValue));
    }
    return call(() -> {
      cache.store.checkValue(oldValue);
      return conditional(key, oldValue, null).thenApply(a -> a.decision().kind() == Decision.Kind.REMOVE);
    });
  }

  @Override
  public CompletableFuture<Boolean> replace(K key, V value) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.replace(key, value));
    }
    return call(() -> conditional(key, null, value).thenApply(a -> a.decision().kind() == Decision.Kind.WRITE));
  }

  @Override
  public CompletableFuture<Boolean> replace(K key, V oldValue, V newValue) {
    if (cache.writer.enabled()) {
      return call(() -> pooled.replace(key, oldValue, newValue));
    }
    return call(() -> {
      cache.store.checkValue(oldValue);
      return conditional(key, oldValue, newValue).thenApply(a -> a.decision().kind() == Decision.Kind.WRITE);
    });
  }

  /**
   * A conditional change without a writer (see {@link WriteRules#conditionalDecision}), charged
   * for its replacement and the value it expects, which it holds until done.
   */
  private CompletableFuture<Applied<V>> conditional(K key, V expected, V replacement) {
    cache.checkOpen();
    Slot<K> s = cache.store.slot(key);
    Encoded<V> e = replacement == null ? null : cache.store.encode(s, replacement);
    long start = cache.stats.start();
    WriteRules.WriterOnce<K, V> once = cache.rules.writerOnce();
    return order.run(s.memcachedKey(), () -> cache.store.charge(s, e, expected), place -> steps.inTurn(place, s, WriteRules.CHANGES, turn -> steps.then(turn,
        cache.store.computeAsync(s, cache.rules.conditionalDecision(key, expected, e, once)),
        a -> cache.rules.conditionalDone(s, e, a, once, start))));
  }

  @Override
  public <T> CompletableFuture<T> invoke(K key, EntryProcessor<K, V, T> processor, Object... arguments) {
    return call(() -> pooled.invoke(key, processor, arguments));
  }
}
