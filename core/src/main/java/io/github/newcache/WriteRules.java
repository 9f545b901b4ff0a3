package io.github.newcache;

import io.github.newcache.internal.event.EntryEvent;
import io.github.newcache.internal.event.EventDispatcher;
import io.github.newcache.internal.expiry.ExpiryCalculator;
import io.github.newcache.internal.integration.WriteThrough;
import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.internal.store.Applied;
import io.github.newcache.internal.store.Current;
import io.github.newcache.internal.store.Decision;
import io.github.newcache.internal.store.Encoded;
import io.github.newcache.internal.store.EntryStore.Remapping;
import io.github.newcache.internal.store.EntryStore;
import io.github.newcache.internal.store.Slot;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import javax.cache.event.EventType;

/**
 * The JCache rules of writes, shared by the blocking cache and its non-blocking view: what a put,
 * a removal or a conditional change decides inside the store's compute (which expiry, whether to
 * touch or keep), when a plain command may replace a compute (blind writes and deletes), and which
 * statistics and events follow from what the compute applied. The operations themselves (locking,
 * the writer's batch calls, timing) stay in {@link NewcacheCache} and {@link AsyncView}.
 */
final class WriteRules<K, V> {

  /** The events a put may raise (also a putIfAbsent, a putAll and a load): what its key's turn is for. */
  static final Set<EventType> PUTS = EnumSet.of(EventType.CREATED, EventType.UPDATED);
  /** The events a removal may raise: REMOVED, or EXPIRED for an expired entry it removed. */
  static final Set<EventType> REMOVALS = EnumSet.of(EventType.REMOVED, EventType.EXPIRED);
  /** The events a conditional change or an entry processor may raise: any. */
  static final Set<EventType> CHANGES = EnumSet.allOf(EventType.class);
  /** The event of a read that removes an expired entry. */
  static final Set<EventType> EXPIRY = EnumSet.of(EventType.EXPIRED);

  private final NewcacheCache<K, V> cache;
  private final EntryStore<K, V> store;
  private final ExpiryCalculator expiry;
  private final EventDispatcher<K, V> events;
  private final CacheStatistics stats;
  private final WriteThrough<K, V> writer;

  /** Takes the cache's parts; called from its constructor once they are set. */
  WriteRules(NewcacheCache<K, V> cache) {
    this.cache = cache;
    this.store = cache.store;
    this.expiry = cache.expiry;
    this.events = cache.events;
    this.stats = cache.stats;
    this.writer = cache.writer;
  }

  /** True when a write's outcome depends on nothing stored: no expiry from the old entry, no event needing it. */
  boolean blindWrites() {
    return expiry.writeIgnoresOldEntry() && !events.wants(EventType.CREATED) && !events.wants(EventType.UPDATED);
  }

  /** The decision of a put: write, with the creation or update expiry. */
  Decision<V> putDecision(Encoded<V> e, Current<V> c) {
    return Decision.write(e, expiry.forWrite(c.present(), c.now()));
  }

  /** Counts and collects the event of a write that {@code a} applied; returns the old live value. */
  V written(Slot<K> s, Encoded<V> e, Applied<V> a, List<EntryEvent<K, V>> out) {
    if (a.before().present()) {
      V old = a.before().value();
      stats.puts(1);
      out.add(new EntryEvent<>(cache, EventType.UPDATED, s.key(), e.value(), old, true));
      return old;
    }
    if (a.stored()) {
      stats.puts(1);
      out.add(new EntryEvent<>(cache, EventType.CREATED, s.key(), e.value(), null, false));
    }
    return null;
  }

  /** Statistics and event of a putIfAbsent that found the key absent; {@code stored} false when it expired at once. */
  boolean absentPut(K key, V value, long start, boolean stored) {
    stats.misses(1);
    stats.getTime(start);
    if (stored) {
      stats.puts(1);
      stats.putTime(start);
      events.dispatch(new EntryEvent<>(cache, EventType.CREATED, key, value, null, false));
    }
    return true;
  }

  /** A fresh {@link WriterOnce} for one conditional operation. */
  WriterOnce<K, V> writerOnce() {
    return new WriterOnce<>(writer);
  }

  /**
   * The writer's part of one conditional operation: it runs at most once, and once it has run, the
   * operation's write must follow whatever a later attempt reads, so the cache ends up agreeing
   * with the system of record.
   */
  static final class WriterOnce<K, V> {
    private final WriteThrough<K, V> writer;
    boolean ran;

    WriterOnce(WriteThrough<K, V> writer) {
      this.writer = writer;
    }

    void write(K key, V value) {
      if (!ran && writer.enabled()) {
        writer.write(key, value);
        ran = true;
      }
    }

    void delete(K key) {
      if (!ran && writer.enabled()) {
        writer.delete(key);
        ran = true;
      }
    }
  }

  /**
   * True when a plain {@code delete} removes exactly the entry: the default key function (no two
   * keys share an item), nothing expires, and no listener needs the old value.
   */
  boolean blindDeleteIsExact() {
    return store.exactKeys() && expiry.isEternal() && !events.wants(EventType.REMOVED);
  }

  /**
   * The decision of a removal: the entry, live or expired. An expired entry is absent for JCache,
   * but memcached may still hold it for the stale-while-revalidate window, and a read-through
   * {@code get} would serve it stale: its removal is a {@code cas} on that very item, so a write
   * made meanwhile stays, and it counts as no removal ({@link #removed}).
   */
  static <V> Decision<V> removeEntry(Current<V> c) {
    return c.present() || c.expired() ? Decision.remove() : Decision.keep();
  }

  /**
   * The REMOVED event of a removal that {@code a} applied; {@code a}, or null when nothing live was
   * removed. An expired entry it removed gets the EXPIRED event instead ({@link #expiredRemoved}).
   */
  Applied<V> removed(Slot<K> s, Applied<V> a) {
    List<EntryEvent<K, V>> out = new ArrayList<>(1);
    Applied<V> r = removed(s, a, out);
    events.dispatch(out);
    return r;
  }

  /**
   * Collects in {@code out} the REMOVED event of a removal that {@code a} applied, for the caller to
   * dispatch once its statistics are counted (a batch: once every key is done); {@code a}, or null
   * when nothing live was removed. An expired entry it removed gets the EXPIRED event instead
   * ({@link #expiredRemoved}), dispatched at once.
   */
  Applied<V> removed(Slot<K> s, Applied<V> a, List<EntryEvent<K, V>> out) {
    if (!a.removedLive()) {
      expiredRemoved(s, a);
      return null;
    }
    V old = a.before().value();
    if (old != null) { // a value this JVM refuses is removed without an event: there is nothing to show
      out.add(new EntryEvent<>(cache, EventType.REMOVED, s.key(), old, old, true));
    }
    return a;
  }

  /**
   * The EXPIRED event of a removal that {@code a} applied to an expired entry, as a read that finds
   * one expired raises it ({@link NewcacheCache#expired}): the client whose removal takes. None for
   * a slot whose key this JVM cannot decode (a listing's: there is no key to show).
   */
  void expiredRemoved(Slot<K> s, Applied<V> a) {
    if (a.decision().kind() == Decision.Kind.REMOVE && a.before().expired() && s.key() != null
        && events.wants(EventType.EXPIRED)) {
      V old = a.before().value();
      events.dispatch(new EntryEvent<>(cache, EventType.EXPIRED, s.key(), old, old, true));
    }
  }

  /**
   * The decision of a conditional change: keep a missing entry, touch a live one whose value
   * differs from {@code expected}, else write {@code replacement} (or remove when it is null),
   * calling the writer once; once the writer has run, later attempts follow it. A conditional
   * removal that finds the entry expired with the value it was to remove removes that item, which
   * stale-while-revalidate would still serve (see {@link #removeEntry}), without the writer: for
   * JCache nothing was there to remove ({@link #conditionalDone} reports it as kept).
   */
  Remapping<V> conditionalDecision(K key, V expected, Encoded<V> replacement, WriterOnce<K, V> once) {
    return c -> {
      if (!once.ran) {
        if (!c.present()) {
          boolean staleMatch = replacement == null && c.expired() && (expected == null || expected.equals(c.value()));
          return staleMatch ? Decision.remove() : Decision.keep();
        }
        if (expected != null && !expected.equals(c.value())) {
          return Decision.touch(expiry.forAccess(c.now()));
        }
      }
      if (replacement == null) {
        once.delete(key);
        return Decision.remove();
      }
      once.write(key, replacement.value());
      return Decision.write(replacement, expiry.forWrite(c.present(), c.now()));
    };
  }

  /**
   * Statistics and events of a conditional change that {@code a} applied, deciding with {@code
   * once}; returns {@code a}, or, when it removed an expired entry without the writer, the same
   * read with a KEEP: a miss that changed nothing for JCache.
   */
  Applied<V> conditionalDone(Slot<K> s, Encoded<V> replacement, Applied<V> a, WriterOnce<K, V> once, long start) {
    if (!once.ran && a.decision().kind() == Decision.Kind.REMOVE && a.before().expired()) {
      expiredRemoved(s, a);
      a = new Applied<>(a.before(), Decision.keep(), a.expiresAt());
    }
    Decision.Kind done = a.decision().kind();
    if (a.before().present() || done == Decision.Kind.WRITE || done == Decision.Kind.REMOVE) {
      stats.hits(1);
    } else {
      stats.misses(1);
    }
    stats.getTime(start);
    V old = a.before().value();
    if (done == Decision.Kind.WRITE) {
      stats.puts(1);
      stats.putTime(start);
      events.dispatch(new EntryEvent<>(cache, EventType.UPDATED, s.key(), replacement.value(), old, true));
    } else if (done == Decision.Kind.REMOVE) {
      stats.removals(1);
      stats.removeTime(start);
      if (a.removedLive()) {
        events.dispatch(new EntryEvent<>(cache, EventType.REMOVED, s.key(), old, old, true));
      }
    }
    return a;
  }
}
