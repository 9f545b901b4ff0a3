package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.codec.RejectedValueException;
import io.github.newcache.internal.event.EntryEvent;
import io.github.newcache.internal.event.EventDispatcher;
import io.github.newcache.internal.expiry.ExpiryCalculator;
import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.herd.HerdStatistics;
import io.github.newcache.internal.herd.LoadCoordinator;
import io.github.newcache.internal.key.KeyForms;
import io.github.newcache.internal.key.MemcachedKeys;
import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.processor.ProcessorEntry;
import io.github.newcache.internal.store.Envelope;
import io.github.newcache.internal.transport.CasOutcome;
import io.github.newcache.internal.transport.Item;
import io.github.newcache.internal.transport.MemcachedTransport;
import io.github.newcache.key.KeyMangler;
import io.github.newcache.key.KeySpace;
import io.github.newcache.key.Md5KeyMangler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import java.util.function.LongSupplier;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.event.EventType;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheLoaderException;
import javax.cache.integration.CacheWriter;
import javax.cache.integration.CacheWriterException;
import javax.cache.integration.CompletionListener;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.EntryProcessorException;
import javax.cache.processor.EntryProcessorResult;

/**
 * A JCache {@link Cache} whose entries live in memcached.
 *
 * <p>Each entry is one memcached item under the key the {@link KeyMangler} gives, holding an
 * {@link Envelope}: absolute expiry, the owning namespace and key form, and the encoded value.
 * Reads obey the envelope's expiry, not memcached's TTL. Conditional operations and entry
 * processors read with {@code gets} and write with {@code add} or {@code cas}, retrying when
 * another client got there first, so they are atomic across every client of the servers. A
 * conditional remove is a {@code cas} with a negative TTL, which memcached treats as an atomic
 * delete.
 *
 * <p>Fast paths: with no listeners and an eternal (or modified/touched) expiry policy, a put is
 * one {@code set}; with an expiry policy that never changes on access, a get is one {@code get}.
 *
 * <p>How entries are enumerated (iterator, clear, removeAll()): memcached keeps no per-prefix
 * index, so each server's keys are listed with {@code lru_crawler metadump}, filtered by the
 * cache's key prefix, and the matching items fetched in multi-gets of 100 and checked against the
 * envelope. The cost grows with the number of items on the servers, not only in this cache.
 */
public final class NewcacheCache<K, V> implements Cache<K, V> {

  private static final byte[] TOMBSTONE = {0};
  private static final System.Logger REFRESH_LOG = System.getLogger(NewcacheCache.class.getName());
  private static final int BATCH = 100;
  private static final int MAX_ATTEMPTS = 10_000;
  /** Room memcached needs beside the value: the key (up to 250 bytes) and its item header. */
  private static final int ITEM_OVERHEAD = 320;

  private final String name;
  private final NewcacheCacheManager manager;
  private final NewcacheConfiguration<K, V> config;
  private final MemcachedTransport transport;
  private final KeyMangler mangler;
  private final KeySpace space;
  private final String prefix;
  private final byte[] namespace;
  private final ValueCodec codec;
  /** The manager's loader carrying this cache's deserialization allow-list. */
  private final ClassLoader classLoader;
  private final FailureStatistics failures;
  private final ExpiryCalculator expiry;
  private final EventDispatcher<K, V> events;
  private final CacheStatistics stats;
  private final CacheLoader<K, V> cacheLoader;
  private final CacheWriter<K, V> writer;
  private final ExecutorService executor;
  private final LongSupplier clock;
  private final int maxStoredBytes;
  private final boolean trustedMangler;
  private final LoadCoordinator herd;
  private final long staleMillis;
  private volatile boolean closed;

  NewcacheCache(
      String name,
      NewcacheCacheManager manager,
      NewcacheConfiguration<K, V> config,
      MemcachedTransport transport,
      KeyMangler mangler,
      KeySpace space,
      ValueCodec codec,
      ExpiryCalculator expiry,
      EventDispatcher<K, V> events,
      CacheStatistics stats,
      CacheLoader<K, V> cacheLoader,
      CacheWriter<K, V> writer,
      ExecutorService executor,
      LongSupplier clock,
      int maxItemSize,
      ClassLoader valueLoader,
      FailureStatistics failures,
      LoadCoordinator herd) {
    this.name = name;
    this.manager = manager;
    this.config = config;
    this.transport = transport;
    this.mangler = mangler;
    this.space = space;
    this.prefix = mangler.prefix(space);
    this.namespace = space.namespace().getBytes(StandardCharsets.US_ASCII);
    this.codec = codec;
    this.classLoader = valueLoader;
    this.failures = failures;
    this.expiry = expiry;
    this.events = events;
    this.stats = stats;
    this.cacheLoader = cacheLoader;
    this.writer = writer;
    this.executor = executor;
    this.clock = clock;
    this.maxStoredBytes = maxItemSize - ITEM_OVERHEAD;
    this.trustedMangler = mangler.getClass() == io.github.newcache.key.Md5KeyMangler.class;
    this.herd = herd;
    this.staleMillis = config.getStaleWhileRevalidateMillis();
  }

  // ---------------------------------------------------------------- reads

  @Override
  public V get(K key) {
    checkOpen();
    Slot s = slot(key);
    long start = stats.start();
    V value = readLive(s);
    if (value != null) {
      stats.hits(1);
    } else {
      stats.misses(1);
      if (config.isReadThrough() && cacheLoader != null) {
        value = config.isSingleFlight()
            ? herd.load(s.mkey, () -> readLive(s), () -> loadAndStore(s))
            : loadAndStore(s);
      }
    }
    stats.getTime(start);
    return value;
  }

  /** The live value, applying access expiry; null when absent or expired. */
  private V readLive(Slot s) {
    if (expiry.accessNeverChanges()) {
      byte[] raw = transport.get(s.mkey);
      Envelope env = Envelope.parse(raw, namespace, s.form);
      if (env == null) {
        return null;
      }
      long now = clock.getAsLong();
      if (env.isExpired(now)) {
        V stale = staleWhileRevalidating(s, env, now);
        if (stale != null) {
          return stale;
        }
        expired(s, now);
        return null;
      }
      return decode(env);
    }
    Current cur = read(s);
    if (!cur.live()) {
      if (cur.env() != null) {
        long now = clock.getAsLong();
        V stale = staleWhileRevalidating(s, cur.env(), now);
        if (stale != null) {
          return stale;
        }
        expired(s, now);
      }
      return null;
    }
    V value = decode(cur.env());
    if (value == null) {
      return null; // refused by the deserialization filter: a miss
    }
    touchOnAccess(s, cur);
    return value;
  }

  /**
   * Stale-while-revalidate (opt-in, beyond the spec): within the window after expiry, answers with
   * the previous value and lets one client in the fleet refresh it in the background. Null when the
   * window does not apply.
   */
  private V staleWhileRevalidating(Slot s, Envelope env, long now) {
    if (staleMillis == 0
        || cacheLoader == null
        || !config.isReadThrough()
        || now >= env.expiresAt() + staleMillis) {
      return null;
    }
    V stale = decode(env);
    if (stale != null) {
      herd.staleRead();
      herd.refreshInBackground(s.mkey, () -> refresh(s));
    }
    return stale;
  }

  /** Loads a key again and stores the result over whatever is there; failures leave the old entry. */
  private void refresh(Slot s) {
    if (closed) {
      return;
    }
    try {
      V loaded = load(s.key);
      if (loaded != null) {
        checkValue(loaded);
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        storeLoaded(s, loaded, out, false);
        events.dispatch(out);
      }
    } catch (RuntimeException e) {
      REFRESH_LOG.log(System.Logger.Level.WARNING, "background refresh of a key in cache " + name + " failed: " + e);
    }
  }

  /** Applies the access expiry to a live entry just read; best effort if another client wins. */
  private void touchOnAccess(Slot s, Current cur) {
    long now = clock.getAsLong();
    long at = expiry.forAccess(now);
    if (at == ExpiryCalculator.UNCHANGED || at == cur.env().expiresAt()) {
      return;
    }
    if (at <= now) {
      transport.cas(s.mkey, cur.item().cas(), Ttl.EXPIRED, TOMBSTONE);
    } else {
      transport.cas(s.mkey, cur.item().cas(), ttl(at, now), Envelope.withExpiry(cur.item().value(), at));
    }
  }

  /** Removes an entry found expired; the client whose CAS wins raises the EXPIRED event. */
  private void expired(Slot s, long now) {
    if (!events.wants(EventType.EXPIRED)) {
      return;
    }
    Current cur = read(s);
    if (cur.env() == null || !cur.env().isExpired(now)) {
      return;
    }
    if (transport.cas(s.mkey, cur.item().cas(), Ttl.EXPIRED, TOMBSTONE) == CasOutcome.STORED) {
      V old = decode(cur.env());
      events.dispatch(new EntryEvent<>(this, EventType.EXPIRED, s.key, old, old, true));
    }
  }

  private V loadAndStore(Slot s) {
    V loaded = load(s.key);
    if (loaded != null) {
      checkValue(loaded);
      List<EntryEvent<K, V>> out = new ArrayList<>(1);
      storeLoaded(s, loaded, out, true);
      events.dispatch(out);
    }
    return loaded;
  }

  private V load(K key) {
    try {
      return cacheLoader.load(key);
    } catch (CacheLoaderException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CacheLoaderException("the cache loader failed for key " + key + ": " + e, e);
    }
  }

  /** Stores a loaded value as a write (events, no writer); {@code onlyIfAbsent} keeps newer writes. */
  private void storeLoaded(Slot s, V value, List<EntryEvent<K, V>> out, boolean onlyIfAbsent) {
    byte[] encoded = encode(value, s);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Current cur = read(s);
      long now = clock.getAsLong();
      if (cur.live()) {
        if (onlyIfAbsent) {
          return;
        }
        long at = expiry.forUpdate(now);
        if (at == ExpiryCalculator.UNCHANGED) {
          at = cur.env().expiresAt();
        }
        V old = decode(cur.env());
        if (write(s, cur, at, encoded, now)) {
          out.add(new EntryEvent<>(this, EventType.UPDATED, s.key, value, old, true));
          return;
        }
      } else {
        long at = expiry.forCreation(now);
        if (at <= now) {
          return;
        }
        if (write(s, cur, at, encoded, now)) {
          out.add(new EntryEvent<>(this, EventType.CREATED, s.key, value, null, false));
          return;
        }
      }
    }
    throw contention(s);
  }

  @Override
  public Map<K, V> getAll(Set<? extends K> keys) {
    checkOpen();
    Objects.requireNonNull(keys, "keys");
    List<Slot> slots = slots(keys);
    long start = stats.start();
    Map<K, V> result = new LinkedHashMap<>(slots.size() * 4 / 3 + 1);
    List<Slot> missing = new ArrayList<>();
    if (expiry.accessNeverChanges()) {
      Map<String, byte[]> raw = transport.getAll(memcachedKeys(slots));
      long now = clock.getAsLong();
      for (Slot s : slots) {
        Envelope env = Envelope.parse(raw.get(s.mkey), namespace, s.form);
        V value = env != null && !env.isExpired(now) ? decode(env) : null;
        if (value != null) {
          result.put(s.key, value);
        } else {
          if (env != null) {
            expired(s, now);
          }
          missing.add(s);
        }
      }
    } else {
      for (Slot s : slots) {
        V v = readLive(s);
        if (v != null) {
          result.put(s.key, v);
        } else {
          missing.add(s);
        }
      }
    }
    stats.hits(result.size());
    stats.misses(missing.size());
    if (!missing.isEmpty() && config.isReadThrough() && cacheLoader != null) {
      result.putAll(loadAll(missing, false));
    }
    stats.getTime(start);
    return result;
  }

  private Map<K, V> loadAll(List<Slot> slots, boolean replace) {
    Map<K, Slot> byKey = new LinkedHashMap<>();
    for (Slot s : slots) {
      byKey.put(s.key, s);
    }
    Map<K, V> loaded;
    try {
      loaded = cacheLoader.loadAll(byKey.keySet());
    } catch (CacheLoaderException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new CacheLoaderException("the cache loader failed for keys " + byKey.keySet() + ": " + e, e);
    }
    Map<K, V> result = new LinkedHashMap<>();
    List<EntryEvent<K, V>> out = new ArrayList<>();
    if (loaded != null) {
      for (Map.Entry<K, V> e : loaded.entrySet()) {
        Slot s = byKey.get(e.getKey());
        if (s != null && e.getValue() != null) {
          storeLoaded(s, e.getValue(), out, !replace);
          result.put(e.getKey(), e.getValue());
        }
      }
    }
    events.dispatch(out);
    return result;
  }

  @Override
  public boolean containsKey(K key) {
    checkOpen();
    Slot s = slot(key);
    Envelope env = Envelope.parse(transport.get(s.mkey), namespace, s.form);
    return env != null && !env.isExpired(clock.getAsLong());
  }

  @Override
  public void loadAll(Set<? extends K> keys, boolean replaceExistingValues, CompletionListener listener) {
    checkOpen();
    Objects.requireNonNull(keys, "keys");
    List<Slot> slots = slots(keys);
    CompletionListener done = listener == null ? NO_LISTENER : listener;
    if (cacheLoader == null) {
      done.onCompletion();
      return;
    }
    executor.execute(
        () -> {
          try {
            List<Slot> todo = new ArrayList<>();
            for (Slot s : slots) {
              if (replaceExistingValues || !containsKey(s.key)) {
                todo.add(s);
              }
            }
            if (!todo.isEmpty()) {
              loadAll(todo, replaceExistingValues);
            }
            done.onCompletion();
          } catch (Exception e) {
            done.onException(e instanceof CacheLoaderException ? e : new CacheLoaderException(e));
          }
        });
  }

  private static final CompletionListener NO_LISTENER =
      new CompletionListener() {
        @Override
        public void onCompletion() {}

        @Override
        public void onException(Exception e) {}
      };

  // ---------------------------------------------------------------- writes

  @Override
  public void put(K key, V value) {
    checkOpen();
    Slot s = slot(key);
    checkValue(value);
    long start = stats.start();
    byte[] encoded = encode(value, s);
    writeThrough(key, value);
    List<EntryEvent<K, V>> out = new ArrayList<>(1);
    putEncoded(s, value, encoded, out, false);
    stats.putTime(start);
    events.dispatch(out);
  }

  /**
   * Stores one value and counts the put; returns the old live value when {@code wantOld} (else
   * null). A new entry that its expiry policy expires at once is not stored and not a put.
   */
  private V putEncoded(Slot s, V value, byte[] encoded, List<EntryEvent<K, V>> out, boolean wantOld) {
    if (!wantOld
        && expiry.writeIgnoresOldEntry()
        && !events.wants(EventType.CREATED)
        && !events.wants(EventType.UPDATED)) {
      long now = clock.getAsLong();
      long at = expiry.forCreation(now);
      if (at <= now) {
        transport.delete(s.mkey);
      } else {
        transport.set(s.mkey, ttl(at, now), envelope(s, at, encoded));
        stats.puts(1);
      }
      return null;
    }
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Current cur = read(s);
      long now = clock.getAsLong();
      if (cur.live()) {
        long at = expiry.forUpdate(now);
        if (at == ExpiryCalculator.UNCHANGED) {
          at = cur.env().expiresAt();
        }
        V old = decode(cur.env());
        if (write(s, cur, at, encoded, now)) {
          stats.puts(1);
          out.add(new EntryEvent<>(this, EventType.UPDATED, s.key, value, old, true));
          return old;
        }
      } else {
        long at = expiry.forCreation(now);
        if (at <= now) {
          return null;
        }
        if (write(s, cur, at, encoded, now)) {
          stats.puts(1);
          out.add(new EntryEvent<>(this, EventType.CREATED, s.key, value, null, false));
          return null;
        }
      }
    }
    throw contention(s);
  }

  /**
   * Writes {@code encoded} over what {@code cur} read: {@code add} when memcached held nothing,
   * {@code cas} otherwise; an expiry at or before now removes the entry instead. True when it took.
   */
  private boolean write(Slot s, Current cur, long at, byte[] encoded, long now) {
    if (at <= now) {
      return cur.item() == null
          || transport.cas(s.mkey, cur.item().cas(), Ttl.EXPIRED, TOMBSTONE) == CasOutcome.STORED;
    }
    byte[] stored = envelope(s, at, encoded);
    if (cur.item() == null) {
      return transport.add(s.mkey, ttl(at, now), stored);
    }
    return transport.cas(s.mkey, cur.item().cas(), ttl(at, now), stored) == CasOutcome.STORED;
  }

  /** Removes what {@code cur} read, atomically; true when it took. */
  private boolean erase(Slot s, Current cur) {
    return transport.cas(s.mkey, cur.item().cas(), Ttl.EXPIRED, TOMBSTONE) == CasOutcome.STORED;
  }

  @Override
  public V getAndPut(K key, V value) {
    checkOpen();
    Slot s = slot(key);
    checkValue(value);
    long start = stats.start();
    byte[] encoded = encode(value, s);
    writeThrough(key, value);
    List<EntryEvent<K, V>> out = new ArrayList<>(1);
    V old = putEncoded(s, value, encoded, out, true);
    if (old != null) {
      stats.hits(1);
    } else {
      stats.misses(1);
    }
    stats.getTime(start);
    stats.putTime(start);
    events.dispatch(out);
    return old;
  }

  @Override
  public void putAll(Map<? extends K, ? extends V> map) {
    checkOpen();
    Objects.requireNonNull(map, "map");
    int n = map.size();
    List<Slot> slots = new ArrayList<>(n);
    List<V> values = new ArrayList<>(n);
    for (Map.Entry<? extends K, ? extends V> e : map.entrySet()) {
      slots.add(slot(e.getKey()));
      checkValue(e.getValue());
      values.add(e.getValue());
    }
    List<byte[]> encoded = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      encoded.add(encode(values.get(i), slots.get(i)));
    }
    long start = stats.start();
    CacheWriterException failure = null;
    boolean[] unwritten = new boolean[n];
    if (writer != null) {
      List<Cache.Entry<? extends K, ? extends V>> entries = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        entries.add(new NewcacheEntry<>(slots.get(i).key, values.get(i)));
      }
      try {
        writer.writeAll(entries);
      } catch (RuntimeException e) {
        failure = writerFailure(e);
        // Entries the writer did not take stay in the collection: they are not cached.
        Set<Object> left = new HashSet<>();
        for (Cache.Entry<? extends K, ? extends V> entry : entries) {
          left.add(entry.getKey());
        }
        for (int i = 0; i < n; i++) {
          unwritten[i] = left.contains(slots.get(i).key);
        }
      }
    }
    List<EntryEvent<K, V>> out = new ArrayList<>();
    if (expiry.writeIgnoresOldEntry()
        && !events.wants(EventType.CREATED)
        && !events.wants(EventType.UPDATED)) {
      // Fast path: one pipelined batch of sets.
      long now = clock.getAsLong();
      long at = expiry.forCreation(now);
      Map<String, byte[]> items = new LinkedHashMap<>(n * 4 / 3 + 1);
      for (int i = 0; i < n; i++) {
        if (!unwritten[i]) {
          items.put(slots.get(i).mkey, envelope(slots.get(i), at, encoded.get(i)));
        }
      }
      if (at <= now) {
        transport.deleteAll(items.keySet());
      } else {
        transport.setAll(items, ttl(at, now));
        stats.puts(items.size());
      }
    } else {
      for (int i = 0; i < n; i++) {
        if (!unwritten[i]) {
          putEncoded(slots.get(i), values.get(i), encoded.get(i), out, false);
        }
      }
    }
    stats.putTime(start);
    events.dispatch(out);
    if (failure != null) {
      throw failure;
    }
  }


  @Override
  public boolean putIfAbsent(K key, V value) {
    checkOpen();
    Slot s = slot(key);
    checkValue(value);
    long start = stats.start();
    byte[] encoded = encode(value, s);
    if (writer == null && expiry.isEternal()) {
      // Optimistic: an absent key takes one add. Only when the add fails is the occupant read, to
      // tell a live entry from a stale or foreign item (the loop below).
      long now = clock.getAsLong();
      if (transport.add(s.mkey, ttl(Envelope.ETERNAL, now), envelope(s, Envelope.ETERNAL, encoded))) {
        return absentPut(key, value, start, true);
      }
    }
    boolean wrote = false;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Current cur = read(s);
      if (cur.live()) {
        stats.hits(1);
        stats.getTime(start);
        return false;
      }
      if (!wrote) {
        writeThrough(key, value);
        wrote = true;
      }
      long now = clock.getAsLong();
      long at = expiry.forCreation(now);
      if (at <= now || write(s, cur, at, encoded, now)) {
        return absentPut(key, value, start, at > now);
      }
    }
    throw contention(s);
  }

  /** Statistics and event of a putIfAbsent that found the key absent; {@code stored} false when it expired at once. */
  private boolean absentPut(K key, V value, long start, boolean stored) {
    stats.misses(1);
    stats.getTime(start);
    if (stored) {
      stats.puts(1);
      stats.putTime(start);
      events.dispatch(new EntryEvent<>(this, EventType.CREATED, key, value, null, false));
    }
    return true;
  }


  @Override
  public boolean remove(K key) {
    checkOpen();
    Slot s = slot(key);
    long start = stats.start();
    deleteThrough(key);
    boolean removed;
    if (blindDeleteIsExact()) {
      removed = transport.delete(s.mkey);
    } else {
      removed = removeLive(s, null) != null;
    }
    if (removed) {
      stats.removals(1);
    }
    stats.removeTime(start);
    return removed;
  }

  /**
   * True when a plain {@code delete} removes exactly the entry: the default key function (no two
   * keys share an item), nothing expires, and no listener needs the old value.
   */
  private boolean blindDeleteIsExact() {
    return trustedMangler && expiry.isEternal() && !events.wants(EventType.REMOVED);
  }

  /**
   * Atomically removes the live entry (only if its value equals {@code expected}, when given);
   * returns the removed value, or null when nothing was removed.
   */
  private V removeLive(Slot s, V expected) {
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Current cur = read(s);
      if (!cur.live()) {
        return null;
      }
      V old = decode(cur.env());
      if (expected != null && !expected.equals(old)) {
        return null;
      }
      if (erase(s, cur)) {
        events.dispatch(new EntryEvent<>(this, EventType.REMOVED, s.key, old, old, true));
        return old;
      }
    }
    throw contention(s);
  }

  @Override
  public boolean remove(K key, V oldValue) {
    checkOpen();
    Slot s = slot(key);
    checkValue(oldValue);
    long start = stats.start();
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Current cur = read(s);
      if (!cur.live()) {
        stats.misses(1);
        stats.getTime(start);
        return false;
      }
      V old = decode(cur.env());
      if (!oldValue.equals(old)) {
        stats.hits(1);
        stats.getTime(start);
        touchOnAccess(s, cur);
        return false;
      }
      deleteThrough(key);
      if (erase(s, cur)) {
        stats.hits(1);
        stats.removals(1);
        stats.getTime(start);
        stats.removeTime(start);
        events.dispatch(new EntryEvent<>(this, EventType.REMOVED, key, old, old, true));
        return true;
      }
    }
    throw contention(s);
  }

  @Override
  public V getAndRemove(K key) {
    checkOpen();
    Slot s = slot(key);
    long start = stats.start();
    deleteThrough(key);
    V old = removeLive(s, null);
    if (old != null) {
      stats.hits(1);
      stats.removals(1);
    } else {
      stats.misses(1);
    }
    stats.getTime(start);
    stats.removeTime(start);
    return old;
  }

  @Override
  public boolean replace(K key, V oldValue, V newValue) {
    checkOpen();
    Slot s = slot(key);
    checkValue(oldValue);
    checkValue(newValue);
    return replace(s, oldValue, newValue) != null;
  }

  @Override
  public boolean replace(K key, V value) {
    checkOpen();
    Slot s = slot(key);
    checkValue(value);
    return replace(s, null, value) != null;
  }

  @Override
  public V getAndReplace(K key, V value) {
    checkOpen();
    Slot s = slot(key);
    checkValue(value);
    return replace(s, null, value);
  }

  /** Replaces a live entry (whose value equals {@code expected}, when given); returns the old value or null. */
  private V replace(Slot s, V expected, V value) {
    long start = stats.start();
    byte[] encoded = encode(value, s);
    boolean wrote = false;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Current cur = read(s);
      if (!cur.live()) {
        stats.misses(1);
        stats.getTime(start);
        return null;
      }
      V old = decode(cur.env());
      if (expected != null && !expected.equals(old)) {
        stats.hits(1);
        stats.getTime(start);
        touchOnAccess(s, cur);
        return null;
      }
      if (!wrote) {
        writeThrough(s.key, value);
        wrote = true;
      }
      long now = clock.getAsLong();
      long at = expiry.forUpdate(now);
      if (at == ExpiryCalculator.UNCHANGED) {
        at = cur.env().expiresAt();
      }
      if (write(s, cur, at, encoded, now)) {
        stats.hits(1);
        stats.puts(1);
        stats.getTime(start);
        stats.putTime(start);
        events.dispatch(new EntryEvent<>(this, EventType.UPDATED, s.key, value, old, true));
        return old;
      }
    }
    throw contention(s);
  }

  @Override
  public void removeAll(Set<? extends K> keys) {
    checkOpen();
    Objects.requireNonNull(keys, "keys");
    removeSlots(slots(keys));
  }

  private void removeSlots(List<Slot> slots) {
    long start = stats.start();
    Set<K> toRemove = new LinkedHashSet<>();
    for (Slot s : slots) {
      toRemove.add(s.key);
    }
    CacheWriterException failure = null;
    if (writer != null && !toRemove.isEmpty()) {
      Collection<Object> pending = new LinkedHashSet<>(toRemove);
      try {
        writer.deleteAll(pending);
      } catch (RuntimeException e) {
        failure = writerFailure(e);
        // Keys the writer did not delete stay in the collection: they stay cached.
        toRemove.removeIf(pending::contains);
      }
    }
    long removed = 0;
    if (blindDeleteIsExact()) {
      // Fast path, as in remove(K): nothing expires and nobody needs old values, so whatever
      // memcached holds under the key is the entry; one pipelined batch of deletes.
      List<String> mkeys = new ArrayList<>(slots.size());
      for (Slot s : slots) {
        if (toRemove.contains(s.key)) {
          mkeys.add(s.mkey);
        }
      }
      removed = transport.deleteAll(mkeys);
    } else {
      for (Slot s : slots) {
        if (toRemove.contains(s.key) && removeLive(s, null) != null) {
          removed++;
        }
      }
    }
    stats.removals(removed);
    stats.removeTime(start);
    if (failure != null) {
      throw failure;
    }
  }

  @Override
  public void removeAll() {
    checkOpen();
    List<Slot> slots = new ArrayList<>();
    for (Found f : scan()) {
      slots.add(f.slot);
    }
    removeSlots(slots);
  }

  @Override
  public void clear() {
    checkOpen();
    clearData();
  }

  /** Deletes every entry of this cache on the servers: no events, writer or statistics. */
  void clearData() {
    List<String> keys = transport.keys(prefix);
    for (int i = 0; i < keys.size(); i += BATCH) {
      List<String> batch = keys.subList(i, Math.min(keys.size(), i + BATCH));
      if (trustedMangler) {
        transport.deleteAll(batch);
        continue;
      }
      List<String> ours = new ArrayList<>();
      for (Map.Entry<String, byte[]> e : transport.getAll(batch).entrySet()) {
        if (Envelope.parse(e.getValue(), namespace, null) != null) {
          ours.add(e.getKey());
        }
      }
      transport.deleteAll(ours);
    }
  }

  // ---------------------------------------------------------------- entry processors

  @Override
  public <T> T invoke(K key, EntryProcessor<K, V, T> processor, Object... arguments) {
    checkOpen();
    Slot s = slot(key);
    Objects.requireNonNull(processor, "processor");
    if (!config.isSingleFlight()) {
      return invokeLoop(s, processor, arguments, null);
    }
    // One processor at a time per key in this JVM; on an absent entry, one creator at a time in
    // the fleet (so @Cacheable(sync=true)-style loaders run once).
    return herd.exclusive(
        s.mkey,
        waited -> {
          Current first = read(s);
          if (first.live()) {
            return invokeLoop(s, processor, arguments, first);
          }
          return herd.withLease(
              s.mkey, () -> read(s).live(), () -> invokeLoop(s, processor, arguments, null));
        });
  }

  /** Runs the processor and applies its outcome with CAS, again when another client got there first. */
  private <T> T invokeLoop(Slot s, EntryProcessor<K, V, T> processor, Object[] arguments, Current initial) {
    K key = s.key;
    long start = stats.start();
    Function<K, V> loadFn =
        config.isReadThrough() && cacheLoader != null ? k -> load(k) : null;
    Current next = initial;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Current cur = next != null ? next : read(s);
      next = null;
      V original = cur.live() ? decode(cur.env()) : null;
      ProcessorEntry<K, V> entry = new ProcessorEntry<>(key, original, loadFn);
      T result;
      try {
        result = processor.process(entry, arguments);
      } catch (EntryProcessorException e) {
        throw e;
      } catch (Exception e) {
        throw new EntryProcessorException(e);
      }
      if (apply(s, cur, entry, start)) {
        // The lookup decides hit or miss, whatever the processor then does with the entry.
        if (original != null) {
          stats.hits(1);
        } else {
          stats.misses(1);
        }
        stats.getTime(start);
        return result;
      }
    }
    throw contention(s);
  }

  /**
   * Applies what a processor did with one CAS; false when another client changed the entry, so
   * the processor runs again on what is there now. Hits and misses are counted by the caller.
   */
  private boolean apply(Slot s, Current cur, ProcessorEntry<K, V> entry, long start) {
    long now = clock.getAsLong();
    switch (entry.outcome()) {
      case NONE:
        if (entry.readPresent()) {
          touchOnAccess(s, cur);
        }
        return true;
      case LOADED:
        {
          long at = expiry.forCreation(now);
          V v = entry.value();
          checkValue(v);
          if (at > now && !write(s, cur, at, encode(v, s), now)) {
            return false;
          }
          if (at > now) {
            events.dispatch(new EntryEvent<>(this, EventType.CREATED, s.key, v, null, false));
          }
          return true;
        }
      case CREATED:
        {
          V v = entry.value();
          checkValue(v);
          byte[] encoded = encode(v, s);
          writeThrough(s.key, v);
          long at = expiry.forCreation(now);
          if (!write(s, cur, at, encoded, now)) {
            return false;
          }
          if (at > now) {
            stats.puts(1);
            stats.putTime(start);
            events.dispatch(new EntryEvent<>(this, EventType.CREATED, s.key, v, null, false));
          }
          return true;
        }
      case UPDATED:
        {
          V v = entry.value();
          checkValue(v);
          byte[] encoded = encode(v, s);
          writeThrough(s.key, v);
          long at = expiry.forUpdate(now);
          if (at == ExpiryCalculator.UNCHANGED) {
            at = cur.env().expiresAt();
          }
          if (!write(s, cur, at, encoded, now)) {
            return false;
          }
          stats.puts(1);
          stats.putTime(start);
          events.dispatch(new EntryEvent<>(this, EventType.UPDATED, s.key, v, entry.original(), true));
          return true;
        }
      default: // REMOVED
        {
          deleteThrough(s.key);
          if (entry.original() == null) {
            return true;
          }
          if (!erase(s, cur)) {
            return false;
          }
          stats.removals(1);
          stats.removeTime(start);
          V old = entry.original();
          events.dispatch(new EntryEvent<>(this, EventType.REMOVED, s.key, old, old, true));
          return true;
        }
    }
  }

  @Override
  public <T> Map<K, EntryProcessorResult<T>> invokeAll(
      Set<? extends K> keys, EntryProcessor<K, V, T> processor, Object... arguments) {
    checkOpen();
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(processor, "processor");
    for (K k : keys) {
      Objects.requireNonNull(k, "a key in keys");
    }
    Map<K, EntryProcessorResult<T>> results = new LinkedHashMap<>();
    for (K k : keys) {
      try {
        T r = invoke(k, processor, arguments);
        if (r != null) {
          results.put(k, () -> r);
        }
      } catch (EntryProcessorException e) {
        results.put(
            k,
            () -> {
              throw e;
            });
      }
    }
    return results;
  }

  // ---------------------------------------------------------------- iteration

  @Override
  public Iterator<Cache.Entry<K, V>> iterator() {
    checkOpen();
    return new EntryIterator(transport.keys(prefix));
  }

  /** A live entry found by scanning the servers. */
  private final class Found {
    final Slot slot;
    final V value;

    Found(Slot slot, V value) {
      this.slot = slot;
      this.value = value;
    }
  }

  /** Every live entry of this cache on the servers, without statistics or access expiry. */
  private List<Found> scan() {
    List<Found> found = new ArrayList<>();
    List<String> keys = transport.keys(prefix);
    for (int i = 0; i < keys.size(); i += BATCH) {
      found.addAll(fetch(keys.subList(i, Math.min(keys.size(), i + BATCH))));
    }
    return found;
  }

  private List<Found> fetch(List<String> mkeys) {
    List<Found> found = new ArrayList<>();
    Map<String, byte[]> raw = transport.getAll(mkeys);
    long now = clock.getAsLong();
    for (String mkey : mkeys) {
      Envelope env = Envelope.parse(raw.get(mkey), namespace, null);
      if (env == null || env.isExpired(now)) {
        continue;
      }
      byte[] form = env.keyForm();
      K key;
      try {
        @SuppressWarnings("unchecked")
        K k = (K) KeyForms.decode(form, classLoader);
        key = k;
      } catch (RejectedValueException e) {
        failures.rejected(e.getMessage());
        continue;
      }
      if (!mkey.equals(mangle(form))) {
        continue; // not where this key belongs: left by another key function
      }
      V value = decode(env);
      if (value == null) {
        continue; // refused by the deserialization filter
      }
      found.add(new Found(new Slot(key, form, mkey), value));
    }
    return found;
  }

  private final class EntryIterator implements Iterator<Cache.Entry<K, V>> {
    private final List<String> keys;
    private int position;
    private final List<Found> buffer = new ArrayList<>();
    private int index;
    private Found last;

    EntryIterator(List<String> keys) {
      this.keys = keys;
    }

    @Override
    public boolean hasNext() {
      while (index >= buffer.size()) {
        if (position >= keys.size()) {
          return false;
        }
        buffer.clear();
        index = 0;
        int end = Math.min(keys.size(), position + BATCH);
        buffer.addAll(fetch(keys.subList(position, end)));
        position = end;
      }
      return true;
    }

    @Override
    public Cache.Entry<K, V> next() {
      if (!hasNext()) {
        throw new NoSuchElementException();
      }
      last = buffer.get(index++);
      long start = stats.start();
      stats.hits(1);
      stats.getTime(start);
      if (!expiry.accessNeverChanges()) {
        Current cur = read(last.slot);
        if (cur.live()) {
          touchOnAccess(last.slot, cur);
        }
      }
      return new NewcacheEntry<>(last.slot.key, last.value);
    }

    @Override
    public void remove() {
      checkOpen();
      if (last == null) {
        throw new IllegalStateException("next() has not been called, or remove() was already called");
      }
      Slot s = last.slot;
      last = null;
      long start = stats.start();
      deleteThrough(s.key);
      if (removeLive(s, null) != null) {
        stats.removals(1);
      }
      stats.removeTime(start);
    }
  }

  // ---------------------------------------------------------------- configuration and lifecycle

  @Override
  public void registerCacheEntryListener(CacheEntryListenerConfiguration<K, V> listenerConfig) {
    checkOpen();
    Objects.requireNonNull(listenerConfig, "cacheEntryListenerConfiguration");
    if (!events.register(listenerConfig)) {
      throw new IllegalArgumentException("this listener configuration is already registered");
    }
    config.addCacheEntryListenerConfiguration(listenerConfig);
  }

  @Override
  public void deregisterCacheEntryListener(CacheEntryListenerConfiguration<K, V> listenerConfig) {
    checkOpen();
    Objects.requireNonNull(listenerConfig, "cacheEntryListenerConfiguration");
    events.deregister(listenerConfig);
    config.removeCacheEntryListenerConfiguration(listenerConfig);
  }

  @Override
  public <C extends Configuration<K, V>> C getConfiguration(Class<C> clazz) {
    if (clazz.isInstance(config)) {
      return clazz.cast(config);
    }
    throw new IllegalArgumentException(
        "the configuration of cache " + name + " is a " + config.getClass().getName() + ", not a " + clazz.getName());
  }

  NewcacheConfiguration<K, V> configuration() {
    return config;
  }

  CacheStatistics statistics() {
    return stats;
  }

  /** What thundering-herd protection did for this cache in this JVM. */
  public HerdStatistics herdStatistics() {
    return herd.statistics();
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public CacheManager getCacheManager() {
    return manager;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    manager.release(this);
    closeResources();
  }

  /** Marks the cache closed and closes its loader, writer and listeners; used by the manager. */
  void closeResources() {
    closed = true;
    events.close();
    for (Object o : new Object[] {cacheLoader, writer, expiry.policy()}) {
      if (o instanceof AutoCloseable) {
        try {
          ((AutoCloseable) o).close();
        } catch (Exception ignored) {
          // closing user resources is best effort
        }
      }
    }
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public <T> T unwrap(Class<T> clazz) {
    if (clazz.isAssignableFrom(getClass())) {
      return clazz.cast(this);
    }
    throw new IllegalArgumentException("cannot unwrap cache " + name + " to " + clazz.getName());
  }

  // ---------------------------------------------------------------- helpers

  /** A key with its stable form and memcached key. */
  private final class Slot {
    final K key;
    final byte[] form;
    final String mkey;

    Slot(K key, byte[] form, String mkey) {
      this.key = key;
      this.form = form;
      this.mkey = mkey;
    }
  }

  /** What memcached holds for a slot: the raw item, its envelope if it is ours, and whether live. */
  private record Current(Item item, Envelope env, boolean live) {}

  private Current read(Slot s) {
    Item item = transport.gets(s.mkey);
    if (item == null) {
      return new Current(null, null, false);
    }
    Envelope env = Envelope.parse(item.value(), namespace, s.form);
    return new Current(item, env, env != null && !env.isExpired(clock.getAsLong()));
  }

  private Slot slot(K key) {
    Objects.requireNonNull(key, "key");
    Class<?> keyType = config.getKeyType();
    if (keyType != Object.class && !keyType.isInstance(key)) {
      throw new ClassCastException(
          "cache " + name + " takes keys of type " + keyType.getName() + ", not " + key.getClass().getName());
    }
    byte[] form = KeyForms.encode(key);
    return new Slot(key, form, mangle(form));
  }

  private String mangle(byte[] form) {
    if (trustedMangler) {
      // The default key function, inlined: its output is legal by construction.
      return Md5KeyMangler.key(prefix, form);
    }
    return MemcachedKeys.check(mangler.mangle(space, form), mangler);
  }

  private List<Slot> slots(Collection<? extends K> keys) {
    for (K k : keys) {
      Objects.requireNonNull(k, "a key in keys");
    }
    List<Slot> slots = new ArrayList<>(keys.size());
    Set<K> seen = keys instanceof Set ? null : new HashSet<>();
    for (K k : keys) {
      if (seen == null || seen.add(k)) {
        slots.add(slot(k));
      }
    }
    return slots;
  }

  /** The slots' memcached keys, each once (distinct keys share one only under a custom mangler). */
  private List<String> memcachedKeys(List<Slot> slots) {
    List<String> keys = new ArrayList<>(slots.size());
    for (Slot s : slots) {
      keys.add(s.mkey);
    }
    return trustedMangler ? keys : new ArrayList<>(new LinkedHashSet<>(keys));
  }

  private void checkValue(V value) {
    Objects.requireNonNull(value, "value");
    Class<?> valueType = config.getValueType();
    if (valueType != Object.class && !valueType.isInstance(value)) {
      throw new ClassCastException(
          "cache " + name + " takes values of type " + valueType.getName() + ", not " + value.getClass().getName());
    }
  }

  /**
   * The value's stored form with room for the envelope header in front (filled by {@link
   * #envelope}), so a put allocates and copies the value once.
   */
  private byte[] encode(V value, Slot s) {
    byte[] encoded = codec.encode(value, Envelope.headerLength(namespace, s.form));
    int size = encoded.length;
    if (size > maxStoredBytes) {
      throw new IllegalArgumentException(
          "the value for key " + abbreviate(s.key) + " in cache " + name + " takes " + size
              + " bytes stored; memcached's item size limit (maxItemSize) leaves room for "
              + maxStoredBytes + " bytes");
    }
    return encoded;
  }

  /**
   * memcached's TTL for an entry expiring at {@code at}: with stale-while-revalidate, memcached
   * keeps the item for the window after expiry so the previous value can still be served.
   */
  private int ttl(long at, long now) {
    return Ttl.of(at == Envelope.ETERNAL || staleMillis == 0 ? at : at + staleMillis, now);
  }

  private byte[] envelope(Slot s, long at, byte[] encoded) {
    return Envelope.fill(encoded, namespace, s.form, at);
  }

  /**
   * The entry's value, or null (counted) when the deserialization filter refuses it: a planted or
   * foreign entry reads as a miss and its classes are never instantiated.
   */
  @SuppressWarnings("unchecked")
  private V decode(Envelope env) {
    try {
      return (V) env.value(codec, classLoader);
    } catch (RejectedValueException e) {
      failures.rejected(e.getMessage());
      return null;
    }
  }

  /** Failures this cache absorbed ({@code failures=miss}) and stored entries it refused. */
  public FailureStatistics failureStatistics() {
    return failures;
  }

  private void writeThrough(K key, V value) {
    if (writer == null) {
      return;
    }
    try {
      writer.write(new NewcacheEntry<>(key, value));
    } catch (RuntimeException e) {
      throw writerFailure(e);
    }
  }

  private void deleteThrough(K key) {
    if (writer == null) {
      return;
    }
    try {
      writer.delete(key);
    } catch (RuntimeException e) {
      throw writerFailure(e);
    }
  }

  private static CacheWriterException writerFailure(RuntimeException e) {
    return e instanceof CacheWriterException ? (CacheWriterException) e : new CacheWriterException(e);
  }

  private CacheException contention(Slot s) {
    return new CacheException(
        "gave up on key " + abbreviate(s.key) + " in cache " + name + " after " + MAX_ATTEMPTS
            + " attempts: other clients kept changing it");
  }

  private static String abbreviate(Object key) {
    String s = String.valueOf(key);
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("cache " + name + " is closed");
    }
  }
}
