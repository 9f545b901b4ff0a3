package io.github.newcache;

import io.github.newcache.internal.event.EntryEvent;
import io.github.newcache.internal.event.EventDispatcher;
import io.github.newcache.internal.event.EventTurns.Turn;
import io.github.newcache.internal.expiry.ExpiryCalculator;
import io.github.newcache.internal.herd.BoundedWait;
import io.github.newcache.internal.integration.WriteThrough;
import io.github.newcache.internal.integration.WriterLocks;
import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.internal.store.Encoded;
import io.github.newcache.internal.store.EntryStore;
import io.github.newcache.internal.store.Slot;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import javax.cache.Cache;
import javax.cache.event.CacheEntryListenerException;
import javax.cache.integration.CacheWriterException;

/**
 * The cache's batch writes, {@code putAll} and both {@code removeAll}s: one call of the writer's
 * batch method for the whole batch, holding every key for the fleet meanwhile, then memcached
 * changed for exactly the entries the writer took, as one pipelined batch when no decision depends
 * on what is stored, else entry by entry through the store's compute. A batch's events are
 * dispatched once its memcached work is done for every key, so a listener that throws cannot leave
 * keys the writer took unchanged in the cache. While a listener wants them, the batch holds its
 * keys' turns (taken in memcached-key order, {@link EventDispatcher#turnAll}) from before its
 * writer call until its events are dispatched, inside the writer's hold of the keys, as a
 * single-key write does: a single-key write of one of its keys changes the system of record and
 * tells the listeners on the same side of the batch. Taking them after the fleet holds, in the
 * same key order, adds no cycle: every writer takes the holds, then the turns.
 */
final class BatchWrites<K, V> {

  private final NewcacheCache<K, V> cache;
  private final EntryStore<K, V> store;
  private final ExpiryCalculator expiry;
  private final EventDispatcher<K, V> events;
  private final CacheStatistics stats;
  private final WriteThrough<K, V> writer;
  private final WriteRules<K, V> rules;
  private final WriterLocks locks;

  /** Takes the cache's parts; called from its constructor once they are set. */
  BatchWrites(NewcacheCache<K, V> cache, WriterLocks locks) {
    this.cache = cache;
    this.store = cache.store;
    this.expiry = cache.expiry;
    this.events = cache.events;
    this.stats = cache.stats;
    this.writer = cache.writer;
    this.rules = cache.rules;
    this.locks = locks;
  }

  /** Stores every entry of {@code map}; the values are all checked and encoded before the writer sees any. */
  void putAll(Map<? extends K, ? extends V> map) {
    Objects.requireNonNull(map, "map");
    int n = map.size();
    List<Slot<K>> slots = new ArrayList<>(n);
    List<V> given = new ArrayList<>(n);
    for (Map.Entry<? extends K, ? extends V> entry : map.entrySet()) {
      slots.add(store.slot(entry.getKey()));
      store.checkValue(entry.getValue());
      given.add(entry.getValue());
    }
    List<Encoded<V>> values = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      values.add(cache.encodeForPut(slots.get(i), given.get(i)));
    }
    putAll(slots, values);
  }

  /** {@link #putAll(Map)} of values already checked and encoded, {@code values.get(i)} for {@code slots.get(i)}. */
  void putAll(List<Slot<K>> slots, List<Encoded<V>> values) {
    int n = slots.size();
    long start = stats.start();
    lockedAll(slots, held -> {
      // The turns before the writer, as a single-key write's: the system of record changes in their order too.
      try (Turn t = events.turnAll(slots, Slot::memcachedKey, Slot::key, WriteRules.PUTS, held)) {
        List<Cache.Entry<? extends K, ? extends V>> entries = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
          entries.add(new NewcacheEntry<>(slots.get(j).key(), values.get(j).value()));
        }
        WriteThrough.Partial p = writer.writeAll(entries);
        // Entries the writer did not take are not cached.
        List<Slot<K>> written = new ArrayList<>(n);
        List<Encoded<V>> writtenValues = new ArrayList<>(n);
        for (int j = 0; j < n; j++) {
          if (!p.left().contains(slots.get(j).key())) {
            written.add(slots.get(j));
            writtenValues.add(values.get(j));
          }
        }
        List<EntryEvent<K, V>> out = new ArrayList<>();
        dispatchingOnFailure(out, () -> {
          if (rules.blindWrites()) {
            // one pipelined batch of sets
            stats.puts(store.setAll(written, writtenValues, expiry.forCreation(store.now())));
          } else {
            for (int j = 0; j < written.size(); j++) {
              cache.put(written.get(j), writtenValues.get(j), out, false);
            }
          }
        });
        stats.putTime(start);
        finish(out, p);
      }
      return null;
    });
  }

  /** Removes the keys' entries (a batch for the writer), keeping those the writer did not delete. */
  void removeAll(List<Slot<K>> slots) {
    long start = stats.start();
    lockedAll(slots, held -> {
      try (Turn t = events.turnAll(slots, Slot::memcachedKey, Slot::key, WriteRules.REMOVALS, held)) { // before the writer
        Set<K> keys = new LinkedHashSet<>();
        for (Slot<K> s : slots) {
          keys.add(s.key());
        }
        WriteThrough.Partial p = writer.deleteAll(keys);
        // Keys the writer did not delete stay cached.
        List<Slot<K>> todo = new ArrayList<>(slots.size());
        for (Slot<K> s : slots) {
          if (!p.left().contains(s.key())) {
            todo.add(s);
          }
        }
        List<EntryEvent<K, V>> out = new ArrayList<>();
        dispatchingOnFailure(out, () -> {
          long removed = 0;
          if (rules.blindDeleteIsExact()) {
            // As in remove(K): one pipelined batch of deletes.
            removed = store.deleteAll(todo);
          } else {
            for (Slot<K> s : todo) {
              if (rules.removed(s, store.compute(s, WriteRules::removeEntry), out) != null) {
                removed++;
              }
            }
          }
          stats.removals(removed);
        });
        stats.removeTime(start);
        finish(out, p);
      }
      return null;
    });
  }

  /**
   * Runs a batch's work; when it fails part-way (memcached, the store), the events of what it did
   * before are dispatched still, a listener's failure suppressed in the batch's, which goes on.
   */
  private void dispatchingOnFailure(List<EntryEvent<K, V>> out, Runnable work) {
    try {
      work.run();
    } catch (RuntimeException | Error e) {
      try {
        events.dispatch(out);
      } catch (RuntimeException | Error listener) {
        e.addSuppressed(listener);
      }
      throw e;
    }
  }

  /**
   * Ends a batch once memcached holds what the writer took, for every key: dispatches its events,
   * then throws the writer's failure, if it failed for some keys. A writer's failure is what the
   * caller gets ({@link CacheWriterException}, as JCache says), a listener's exception suppressed
   * in it; else a synchronous listener's exception goes on alone (see {@link EventDispatcher#dispatch}).
   */
  private void finish(List<EntryEvent<K, V>> out, WriteThrough.Partial partial) {
    CacheWriterException writerFailed = partial.failure();
    try {
      events.dispatch(out);
    } catch (RuntimeException e) {
      if (writerFailed == null) {
        throw e;
      }
      writerFailed.addSuppressed(e);
    } catch (Error e) {
      if (writerFailed != null) {
        e.addSuppressed(writerFailed);
      }
      throw e;
    }
    if (writerFailed != null) {
      throw writerFailed;
    }
  }

  /**
   * Removes every entry of the cache on the servers, one batch of listed entries at a time: the
   * writer, when there is one, is called once per batch, each batch's keys are held for the fleet
   * only while it is removed, and one batch of entries is held at a time (beside the listed keys).
   * A writer that fails stops it there: the batches before are gone from both, the rest stays in
   * both. A synchronous listener that throws does not: its exception is thrown once every batch is
   * removed (the first; later ones suppressed). An entry whose key this JVM cannot decode (a class it refuses or lacks) is still removed,
   * by its memcached key, once its envelope proves it is this cache's; the writer and listeners
   * cannot be told its key. So is an entry of the cache that another value codec wrote (a miss for
   * this cache's reads): the writer and listeners are not told of it either. Each of those goes only
   * while it is the item last read ({@link EntryStore#eachLiveSlotBatch}): an entry written
   * over it meanwhile is left, not removed without its event. With stale-while-revalidate, expired entries listed are removed too,
   * each with its EXPIRED event, as a read that removes one raises it.
   */
  void removeAll() {
    CacheEntryListenerException[] listenerFailed = {null};
    try {
      store.eachLiveSlotBatch(slots -> {
        try {
          removeAll(slots);
        } catch (CacheEntryListenerException e) {
          // The batch is done: a listener's failure stops neither this removeAll nor its events.
          if (listenerFailed[0] == null) {
            listenerFailed[0] = e;
          } else {
            listenerFailed[0].addSuppressed(e);
          }
        }
      }, this::removeExpired, stats::removals);
    } catch (RuntimeException | Error e) {
      if (listenerFailed[0] != null) {
        e.addSuppressed(listenerFailed[0]);
      }
      throw e;
    } finally {
      // Near entries of items memcached no longer holds (evicted, removed by another client) were
      // not listed, so not removed one by one: nothing held before is served after.
      store.forgetHeld();
    }
    if (listenerFailed[0] != null) {
      throw listenerFailed[0];
    }
  }

  /**
   * Removes an entry {@link #removeAll()} listed expired (stale-while-revalidate keeps it for the
   * window), with its EXPIRED event, holding the key's turn for it while a listener wants it, as a
   * read that removes one does: the event reaches the listeners in the order of the key's changes.
   */
  private void removeExpired(Slot<K> s) {
    try (Turn t = s.key() == null ? Turn.NONE : events.turn(s.memcachedKey(), s.key(), WriteRules.EXPIRY)) {
      rules.expiredRemoved(s, store.removeIfExpired(s));
    }
  }

  /**
   * Runs {@code body} holding every key for the fleet when a writer must stay together with
   * memcached; {@code body} gets the batch's wait for the holds, whose deadline its turns share.
   */
  private <T> T lockedAll(List<Slot<K>> slots, Function<BoundedWait, T> body) {
    List<String> mkeys = new ArrayList<>(slots.size());
    for (Slot<K> s : slots) {
      mkeys.add(s.memcachedKey());
    }
    return locks.lockedAll(mkeys, body);
  }
}
