package io.github.newcache;

import io.github.newcache.internal.event.EntryEvent;
import io.github.newcache.internal.event.EventTurns.Turn;
import io.github.newcache.internal.herd.BoundedWait;
import io.github.newcache.internal.store.Applied;
import io.github.newcache.internal.store.Current;
import io.github.newcache.internal.store.Decision;
import io.github.newcache.internal.store.Encoded;
import io.github.newcache.internal.store.Slot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import javax.cache.event.EventType;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheLoaderException;
import javax.cache.integration.CompletionListener;

/**
 * A cache with a {@link CacheLoader}: {@code loadAll} and, when read-through, loading on a miss of
 * {@code get}, {@code getAll} and entry processors.
 *
 * <p>A missing key is loaded once for the whole fleet ({@link
 * io.github.newcache.internal.herd.LoadCoordinator#load}): callers of this JVM share the leader's
 * outcome, other JVMs wait on its lease. With stale-while-revalidate, a read of an entry expired
 * less than the window ago answers with the previous value, and whoever wins the key's lease
 * refreshes it in the background; the refresh stores its value only over the very item it
 * refreshed, so it never undoes a write made meanwhile.
 */
final class LoadingNewcacheCache<K, V> extends NewcacheCache<K, V> {

  private static final System.Logger LOG = System.getLogger(NewcacheCache.class.getName());

  private final CacheLoader<K, V> loader;
  private final boolean readThrough;
  private final boolean singleFlight;
  private final long staleMillis;

  LoadingNewcacheCache(CacheContext<K, V> context) {
    super(context);
    this.loader = Objects.requireNonNull(context.loader(), "loader");
    this.readThrough = context.config().isReadThrough();
    this.singleFlight = context.config().isSingleFlight();
    this.staleMillis = context.config().getStaleWhileRevalidateMillis();
  }

  @Override
  boolean loads() {
    return readThrough;
  }

  @Override
  V loadMissing(Slot<K> s) {
    if (!readThrough) {
      return null;
    }
    return singleFlight
        ? herd.load(s.memcachedKey(), () -> read(s, true), () -> loadAndStore(s))
        : loadAndStore(s);
  }

  @Override
  Map<K, V> loadMissing(List<Slot<K>> missing) {
    return readThrough ? loadAll(missing, false) : Map.of();
  }

  @Override
  Function<K, V> processorLoader() {
    return readThrough ? this::load : null;
  }

  /**
   * Stale-while-revalidate (opt-in, beyond the spec): within the window after expiry, answers with
   * the previous value and lets one client in the fleet refresh it in the background.
   */
  @Override
  V expiredRead(Slot<K> s, Current<V> cur, boolean staleAllowed) {
    if (staleAllowed && staleMillis > 0 && readThrough && cur.now() < cur.expiresAt() + staleMillis) {
      V stale = cur.value();
      if (stale != null) {
        herd.staleRead();
        herd.refreshInBackground(s.memcachedKey(), () -> refresh(s, cur));
        return stale;
      }
    }
    return super.expiredRead(s, cur, staleAllowed);
  }

  /**
   * Loads a key again and stores the result only over the item it refreshed; a load of nothing
   * (the key is gone from the system of record) removes that item, so it is not served stale for
   * the rest of the window; failures leave it.
   */
  private void refresh(Slot<K> s, Current<V> stale) {
    if (isClosed()) {
      return;
    }
    try {
      Current<V> before = store.getForUpdate(s);
      if (!before.sameItem(stale)) {
        // Another refresh (or a write) replaced the item this reader saw stale before this one got
        // the lease: loading again would only be thrown away below.
        return;
      }
      herd.refreshing();
      V loaded = load(s.key());
      if (loaded == null) {
        // A cas on the item read before the load: a write made while it loaded stays.
        try (Turn t = events.turn(s.memcachedKey(), s.key(), WriteRules.REMOVALS)) {
          rules.removed(s, store.compute(s, before, c -> c.sameItem(stale) ? Decision.remove() : Decision.keep()));
        }
        return;
      }
      Encoded<V> e = store.encode(s, loaded);
      try (Turn t = events.turn(s.memcachedKey(), s.key(), WriteRules.PUTS)) {
        Applied<V> a =
            store.compute(s, c -> c.sameItem(stale)
                ? Decision.write(e, expiry.forWrite(c.present(), c.now()))
                : Decision.keep());
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        loaded(s, e, a, out);
        events.dispatch(out);
      }
    } catch (RuntimeException ex) {
      LOG.log(System.Logger.Level.WARNING, "background refresh of a key in cache " + getName() + " failed: " + ex);
    }
  }

  private V loadAndStore(Slot<K> s) {
    V value = load(s.key());
    if (value == null) {
      return null;
    }
    Encoded<V> e = store.encode(s, value);
    try (Turn t = events.turn(s.memcachedKey(), s.key(), WriteRules.PUTS)) {
      List<EntryEvent<K, V>> out = new ArrayList<>(1);
      Applied<V> a = storeLoaded(s, e, out, true);
      events.dispatch(out);
      return kept(a, value);
    }
  }

  /**
   * What the cache holds once {@code a} stored {@code loaded}, or kept the value another client
   * stored while this one loaded: the answer is that value, as the non-blocking get(key, loader)'s.
   */
  private static <V> V kept(Applied<V> a, V loaded) {
    if (a.decision().kind() == Decision.Kind.KEEP && a.before().present()) {
      V theirs = a.before().value();
      if (theirs != null) {
        return theirs;
      }
      // an entry this cache cannot decode (another version's class): the loaded value is the answer
    }
    return loaded;
  }

  private V load(K key) {
    try {
      return loader.load(key);
    } catch (CacheLoaderException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CacheLoaderException("the cache loader failed for key " + key + ": " + e, e);
    }
  }

  /** Stores a loaded value as a write (events, no writer); {@code onlyIfAbsent} keeps live entries. */
  private Applied<V> storeLoaded(Slot<K> s, Encoded<V> e, List<EntryEvent<K, V>> out, boolean onlyIfAbsent) {
    Applied<V> a =
        store.compute(s, c -> {
          if (c.present()) {
            return onlyIfAbsent ? Decision.keep() : Decision.write(e, expiry.forUpdate(c.now()));
          }
          return Decision.write(e, expiry.forCreation(c.now()));
        });
    loaded(s, e, a, out);
    return a;
  }

  /** The event of a loaded value that {@code a} stored. */
  private void loaded(Slot<K> s, Encoded<V> e, Applied<V> a, List<EntryEvent<K, V>> out) {
    if (a.decision().kind() != Decision.Kind.WRITE) {
      return;
    }
    if (a.before().present()) {
      out.add(new EntryEvent<>(this, EventType.UPDATED, s.key(), e.value(), a.before().value(), true));
    } else if (a.stored()) {
      out.add(new EntryEvent<>(this, EventType.CREATED, s.key(), e.value(), null, false));
    }
  }

  @Override
  public void loadAll(Set<? extends K> keys, boolean replaceExistingValues, CompletionListener listener) {
    checkOpen();
    Objects.requireNonNull(keys, "keys");
    List<Slot<K>> slots = store.slots(keys);
    CompletionListener done = listener == null ? NO_LISTENER : listener;
    executor.execute(
        () -> {
          try {
            List<Slot<K>> todo = new ArrayList<>();
            for (Slot<K> s : slots) {
              if (replaceExistingValues || !containsKey(s.key())) {
                todo.add(s);
              }
            }
            if (!todo.isEmpty()) {
              loadAll(todo, replaceExistingValues);
            }
            done.onCompletion();
          } catch (Throwable e) {
            // An Error too, and a checked exception thrown undeclared (a Kotlin loader): the
            // listener is told (wrapped, as onException takes an Exception) rather than never
            // hearing back; the pool's thread is the only one it would reach.
            done.onException(e instanceof CacheLoaderException c ? c : new CacheLoaderException(e));
          }
        },
        done::onException);
  }

  private static final CompletionListener NO_LISTENER =
      new CompletionListener() {
        @Override
        public void onCompletion() {}

        @Override
        public void onException(Exception e) {}
      };

  private Map<K, V> loadAll(List<Slot<K>> slots, boolean replace) {
    Map<K, Slot<K>> byKey = new LinkedHashMap<>();
    for (Slot<K> s : slots) {
      byKey.put(s.key(), s);
    }
    Map<K, V> loaded;
    try {
      loaded = loader.loadAll(byKey.keySet());
    } catch (CacheLoaderException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CacheLoaderException("the cache loader failed for keys " + byKey.keySet() + ": " + e, e);
    }
    Map<K, V> result = new LinkedHashMap<>();
    if (loaded == null) {
      return result;
    }
    // Each value read once, from the one pass over the entries: a loader's map may compute values
    // as they are read (a lazy view), or be keyed by identity.
    List<Slot<K>> found = new ArrayList<>(loaded.size());
    List<V> values = new ArrayList<>(loaded.size());
    for (Map.Entry<K, V> entry : loaded.entrySet()) {
      Slot<K> s = byKey.get(entry.getKey());
      V value = s == null ? null : entry.getValue();
      if (value != null) {
        found.add(s);
        values.add(value);
      }
    }
    try (Turn t = events.turnAll(found, Slot::memcachedKey, Slot::key, WriteRules.PUTS, BoundedWait.NONE)) {
      List<EntryEvent<K, V>> out = new ArrayList<>();
      for (int i = 0; i < found.size(); i++) {
        Slot<K> s = found.get(i);
        V value = values.get(i);
        Applied<V> a = storeLoaded(s, store.encode(s, value), out, !replace);
        result.put(s.key(), kept(a, value));
      }
      events.dispatch(out);
    }
    return result;
  }

  @Override
  Object loader() {
    return loader;
  }
}
