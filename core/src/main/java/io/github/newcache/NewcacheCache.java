package io.github.newcache;

import io.github.newcache.internal.event.EntryEvent;
import io.github.newcache.internal.event.EventDispatcher;
import io.github.newcache.internal.event.EventTurns.Turn;
import io.github.newcache.internal.expiry.ExpiryCalculator;
import io.github.newcache.internal.herd.BoundedWait;
import io.github.newcache.internal.herd.LoadCoordinator;
import io.github.newcache.internal.integration.CloseFailures;
import io.github.newcache.internal.integration.LoaderPool;
import io.github.newcache.internal.integration.UserResources;
import io.github.newcache.internal.integration.WriteThrough;
import io.github.newcache.internal.integration.WriterLocks;
import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.management.JmxRegistration;
import io.github.newcache.internal.store.Applied;
import io.github.newcache.internal.store.Current;
import io.github.newcache.internal.store.Decision;
import io.github.newcache.internal.store.Encoded;
import io.github.newcache.internal.store.EntryStore;
import io.github.newcache.internal.store.Slot;
import io.github.newcache.internal.transport.IoThread;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.event.EventType;
import javax.cache.integration.CompletionListener;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.EntryProcessorResult;

/**
 * A JCache {@link Cache} whose entries live in memcached.
 *
 * <p>This class holds the JCache rules: which expiry applies, what counts as a hit, which events
 * fire with which old values, when the writer runs. Every memcached command for an entry comes
 * from its {@link EntryStore}: an operation that depends on what is stored hands the store a
 * decision ({@link Decision}) to apply atomically with {@link EntryStore#compute}, so it holds
 * across every client of the servers. Read-through, single-flight loads and stale-while-revalidate
 * live in a subclass that the factory picks when the cache has a loader.
 *
 * <p>Write-through: with a {@link javax.cache.integration.CacheWriter}, every operation that calls
 * the writer holds the key for the whole fleet while it calls it and writes memcached ({@link
 * io.github.newcache.internal.herd.FleetLocks}), so two clients never interleave a writer call
 * and a memcached write, and an operation that returns false (or does nothing) never called the
 * writer. Once the writer has run, the operation's memcached write follows it whatever another
 * client did meanwhile, so the system of record and the cache agree.
 *
 * <p>Events: while a listener wants a write's events, the write takes its key's turn ({@link
 * EventDispatcher#turn}) from before its memcached change until its events are dispatched, inside
 * the writer's hold of the key when there is one, so this JVM's writers of a key tell the
 * listeners of their changes in the order they were made.
 *
 * <p>Fast paths: with no listeners and an eternal (or modified/touched) expiry policy, a put is
 * one {@code set}; with an expiry policy that never changes on access, a get is one {@code get}.
 */
public class NewcacheCache<K, V> implements Cache<K, V> {

  private final String name;
  private final NewcacheCacheManager manager;
  private final NewcacheConfiguration<K, V> config;
  /**
   * Guards {@link #config}'s changes (listener registrations, statistics and management switches)
   * and the snapshots {@link #getConfiguration} copies from it: MutableConfiguration keeps its
   * listeners in a plain HashSet.
   */
  private final Object configLock = new Object();
  final EntryStore<K, V> store;
  final ExpiryCalculator expiry;
  final EventDispatcher<K, V> events;
  final CacheStatistics stats;
  final WriteThrough<K, V> writer;
  private final WriterLocks locks;
  /** The decisions, statistics and events of writes, shared with the non-blocking view. */
  final WriteRules<K, V> rules;
  private final BatchWrites<K, V> batches;
  private final EntryProcessing<K, V> processing;
  private final AsyncView<K, V> async;
  /** The manager's loader pool: loads, refreshes, and the blocking parts of non-blocking calls. */
  final LoaderPool executor;
  final LoadCoordinator herd;
  private final FailureStatistics failures;
  private final JmxRegistration jmx;
  /** The one close that closes the cache's resources (see {@link #closeResources}). */
  private final CloseOnce closing;

  NewcacheCache(CacheContext<K, V> context) {
    this.name = context.name();
    this.closing = new CloseOnce("cache " + name);
    this.manager = context.manager();
    this.config = context.config();
    this.store = context.store();
    this.expiry = context.expiry();
    this.events = context.events();
    this.stats = context.statistics();
    this.writer = context.writer();
    this.herd = context.herd();
    this.locks = new WriterLocks(writer, herd, store::forget);
    this.rules = new WriteRules<>(this);
    this.batches = new BatchWrites<>(this, locks);
    this.processing = new EntryProcessing<>(this, context.config().isSingleFlight());
    this.executor = context.executor();
    this.async = new AsyncView<>(this, context.config().getLeaseTimeoutMillis());
    this.failures = context.failures();
    this.jmx = context.jmx();
  }

  // ---------------------------------------------------------------- reads

  @Override
  public V get(K key) {
    checkUsable();
    Slot<K> s = store.slot(key);
    long start = stats.start();
    V value = read(s, true);
    if (value != null) {
      stats.hits(1);
    } else {
      stats.misses(1);
      value = loadMissing(s);
    }
    stats.getTime(start);
    return value;
  }

  /**
   * The live value, applying access expiry; null when absent, expired or refused. An expired entry
   * may still answer when {@code staleAllowed} and the loading layer serves it stale.
   */
  V read(Slot<K> s, boolean staleAllowed) {
    Current<V> cur;
    if (expiry.accessNeverChanges()) {
      cur = store.get(s);
    } else {
      cur = store.compute(s, this::touchIfLive).before();
    }
    if (cur.present()) {
      return cur.value();
    }
    return cur.expired() ? expiredRead(s, cur, staleAllowed) : null;
  }

  /** The decision of a read under an expiry policy that changes on access: touch a live entry. */
  Decision<V> touchIfLive(Current<V> c) {
    return c.liveValue() != null ? Decision.touch(expiry.forAccess(c.now())) : Decision.keep();
  }

  /** What a read of an expired entry answers: nothing, after removing it for its EXPIRED event. */
  V expiredRead(Slot<K> s, Current<V> cur, boolean staleAllowed) {
    expired(s);
    return null;
  }

  /**
   * Removes an entry found expired; the client whose removal takes raises the EXPIRED event. A
   * listener's exception is logged, not thrown: the read that noticed the expiry answers as if no
   * listener were registered (statistics counted, every key of a getAll processed).
   */
  void expired(Slot<K> s) {
    if (!events.wants(EventType.EXPIRED)) {
      return;
    }
    try (Turn t = events.turn(s.memcachedKey(), s.key(), WriteRules.EXPIRY)) {
      Applied<V> a = store.removeIfExpired(s);
      if (a.decision().kind() == Decision.Kind.REMOVE && a.before().expired()) {
        V old = a.before().value();
        events.dispatch(new EntryEvent<>(this, EventType.EXPIRED, s.key(), old, old, true));
      }
    }
  }

  /** True when a miss loads (read-through with a loader): the loading subclass says so. */
  boolean loads() {
    return false;
  }

  /** Whether loads of a missing key run once across the fleet. */
  boolean singleFlight() {
    return config.isSingleFlight();
  }

  /**
   * The non-blocking view of this cache (see {@link AsyncCache} for its threads and guarantees).
   *
   * @return the view, the same object on every call
   */
  public AsyncCache<K, V> async() {
    return async;
  }

  /** The value for a key found missing by {@code get}: none here; read-through loads it. */
  V loadMissing(Slot<K> s) {
    return null;
  }

  /** The values for keys found missing by {@code getAll}: none here; read-through loads them. */
  Map<K, V> loadMissing(List<Slot<K>> missing) {
    return Map.of();
  }

  /** The loader an entry processor may call for an absent entry: none here. */
  Function<K, V> processorLoader() {
    return null;
  }

  @Override
  public Map<K, V> getAll(Set<? extends K> keys) {
    checkUsable();
    Objects.requireNonNull(keys, "keys");
    List<Slot<K>> slots = store.slots(keys);
    long start = stats.start();
    Map<K, V> result = new LinkedHashMap<>(slots.size() * 4 / 3 + 1);
    List<Slot<K>> missing = new ArrayList<>();
    if (expiry.accessNeverChanges()) {
      List<Current<V>> found = store.getAll(slots);
      for (int i = 0; i < slots.size(); i++) {
        Slot<K> s = slots.get(i);
        Current<V> cur = found.get(i);
        V value = cur.liveValue();
        if (value != null) {
          result.put(s.key(), value);
        } else {
          if (cur.expired()) {
            expired(s);
          }
          missing.add(s);
        }
      }
    } else {
      for (Slot<K> s : slots) {
        V value = read(s, false); // getAll never serves stale values: it loads what expired
        if (value != null) {
          result.put(s.key(), value);
        } else {
          missing.add(s);
        }
      }
    }
    stats.hits(result.size());
    stats.misses(missing.size());
    if (!missing.isEmpty()) {
      result.putAll(loadMissing(missing));
    }
    stats.getTime(start);
    return result;
  }

  @Override
  public boolean containsKey(K key) {
    checkUsable();
    return store.get(store.slot(key)).present();
  }

  @Override
  public void loadAll(Set<? extends K> keys, boolean replaceExistingValues, CompletionListener listener) {
    checkOpen();
    Objects.requireNonNull(keys, "keys");
    store.slots(keys); // checks the keys
    if (listener != null) {
      listener.onCompletion(); // no loader: nothing to load
    }
  }

  // ---------------------------------------------------------------- writes

  @Override
  public void put(K key, V value) {
    checkUsable();
    Slot<K> s = store.slot(key);
    put(s, encodeForPut(s, value));
  }

  /**
   * {@link #put(Object, Object)} of a value already checked and encoded for {@code s}: the async
   * view encodes a write that runs on the loader pool at the call, to charge what it holds while it
   * waits ({@code PooledWrites}).
   */
  void put(Slot<K> s, Encoded<V> e) {
    long start = stats.start();
    locked(s, held -> {
      try (Turn t = events.turn(s.memcachedKey(), s.key(), WriteRules.PUTS, held)) {
        writer.write(s.key(), e.value()); // in the turn: the system of record changes in the same order
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        put(s, e, out, false);
        stats.putTime(start);
        events.dispatch(out);
      }
      return null;
    });
  }

  /**
   * {@code value} checked and encoded for a {@code put} of {@code s}: a blind set with no writer to
   * hand the value to stores it before the call returns, so the store may leave it unencoded
   * ({@link EntryStore#encodeForSet}).
   */
  Encoded<V> encodeForPut(Slot<K> s, V value) {
    return rules.blindWrites() && !writer.enabled() ? store.encodeForSet(s, value) : store.encode(s, value);
  }

  /**
   * Stores one value, counts the put and collects its event; returns the old live value when
   * {@code wantOld} (else null). A new entry that its expiry policy expires at once is not stored
   * and not a put.
   */
  V put(Slot<K> s, Encoded<V> e, List<EntryEvent<K, V>> out, boolean wantOld) {
    if (!wantOld && rules.blindWrites()) {
      long at = expiry.forCreation(store.now());
      store.set(s, e, at);
      if (at > store.now()) {
        stats.puts(1);
      }
      return null;
    }
    return rules.written(s, e, store.compute(s, c -> rules.putDecision(e, c)), out);
  }

  @Override
  public V getAndPut(K key, V value) {
    checkUsable();
    Slot<K> s = store.slot(key);
    return getAndPut(s, store.encode(s, value));
  }

  /** {@link #getAndPut(Object, Object)} of a value already encoded for {@code s} (see {@link #put(Slot, Encoded)}). */
  V getAndPut(Slot<K> s, Encoded<V> e) {
    long start = stats.start();
    return locked(s, held -> {
      try (Turn t = events.turn(s.memcachedKey(), s.key(), WriteRules.PUTS, held)) {
        writer.write(s.key(), e.value()); // in the turn: the system of record changes in the same order
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        V old = put(s, e, out, true);
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
    });
  }

  @Override
  public void putAll(Map<? extends K, ? extends V> map) {
    checkUsable();
    batches.putAll(map);
  }

  /** {@link #putAll} of values already encoded, {@code values.get(i)} for {@code slots.get(i)} (see {@link #put(Slot, Encoded)}). */
  void putAll(List<Slot<K>> slots, List<Encoded<V>> values) {
    batches.putAll(slots, values);
  }

  @Override
  public boolean putIfAbsent(K key, V value) {
    checkUsable();
    Slot<K> s = store.slot(key);
    return putIfAbsent(s, store.encode(s, value));
  }

  /** {@link #putIfAbsent(Object, Object)} of a value already encoded for {@code s} (see {@link #put(Slot, Encoded)}). */
  boolean putIfAbsent(Slot<K> s, Encoded<V> e) {
    K key = s.key();
    V value = e.value();
    long start = stats.start();
    return locked(s, held -> {
      try (Turn t = events.turn(s.memcachedKey(), key, WriteRules.PUTS, held)) {
        if (!writer.enabled() && expiry.isEternal() && store.add(s, e, expiry.forCreation(store.now()))) {
          // Optimistic: an absent key takes one add. Only when the add fails is the occupant read,
          // to tell a live entry from a stale or foreign item.
          return rules.absentPut(key, value, start, true);
        }
        WriteRules.WriterOnce<K, V> once = rules.writerOnce();
        Applied<V> a = store.compute(s, c -> {
          if (c.present() && !once.ran) {
            return Decision.keep();
          }
          once.write(key, value);
          return Decision.write(e, expiry.forCreation(c.now()));
        });
        if (a.decision().kind() == Decision.Kind.KEEP) {
          stats.hits(1);
          stats.getTime(start);
          return false;
        }
        return rules.absentPut(key, value, start, a.stored());
      }
    });
  }

  @Override
  public boolean remove(K key) {
    checkUsable();
    Slot<K> s = store.slot(key);
    long start = stats.start();
    return locked(s, held -> {
      try (Turn t = events.turn(s.memcachedKey(), key, WriteRules.REMOVALS, held)) {
        writer.delete(key); // in the turn: the system of record changes in the same order
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        boolean removed = rules.blindDeleteIsExact() ? store.delete(s) : removeLive(s, out) != null;
        if (removed) {
          stats.removals(1);
        }
        stats.removeTime(start);
        events.dispatch(out);
        return removed;
      }
    });
  }

  /**
   * Atomically removes the entry and collects its REMOVED event in {@code out}, for the caller to
   * dispatch once its statistics are counted; what was applied, or null when no live entry was
   * removed. An expired entry is removed too, so stale-while-revalidate never serves a removed
   * value, but counts as absent (see {@link WriteRules#removeEntry}).
   */
  private Applied<V> removeLive(Slot<K> s, List<EntryEvent<K, V>> out) {
    return rules.removed(s, store.compute(s, WriteRules::removeEntry), out);
  }

  @Override
  public boolean remove(K key, V oldValue) {
    checkUsable();
    Slot<K> s = store.slot(key);
    store.checkValue(oldValue);
    return conditional(s, oldValue, null).decision().kind() == Decision.Kind.REMOVE;
  }

  @Override
  public V getAndRemove(K key) {
    checkUsable();
    Slot<K> s = store.slot(key);
    long start = stats.start();
    return locked(s, held -> {
      try (Turn t = events.turn(s.memcachedKey(), key, WriteRules.REMOVALS, held)) {
        writer.delete(key); // in the turn: the system of record changes in the same order
        List<EntryEvent<K, V>> out = new ArrayList<>(1);
        Applied<V> a = removeLive(s, out);
        if (a != null) {
          stats.hits(1);
          stats.removals(1);
        } else {
          stats.misses(1);
        }
        stats.getTime(start);
        stats.removeTime(start);
        events.dispatch(out);
        return a == null ? null : a.before().value();
      }
    });
  }

  @Override
  public boolean replace(K key, V oldValue, V newValue) {
    checkUsable();
    Slot<K> s = store.slot(key);
    store.checkValue(oldValue);
    return replace(s, oldValue, store.encode(s, newValue));
  }

  @Override
  public boolean replace(K key, V value) {
    checkUsable();
    Slot<K> s = store.slot(key);
    return replace(s, null, store.encode(s, value));
  }

  /**
   * Replaces a live entry of {@code s} holding {@code oldValue} (any live entry when null, already
   * checked) with a value already encoded (see {@link #put(Slot, Encoded)}); true when replaced.
   */
  boolean replace(Slot<K> s, V oldValue, Encoded<V> replacement) {
    return conditional(s, oldValue, replacement).decision().kind() == Decision.Kind.WRITE;
  }

  @Override
  public V getAndReplace(K key, V value) {
    checkUsable();
    Slot<K> s = store.slot(key);
    Applied<V> a = conditional(s, null, store.encode(s, value));
    return a.decision().kind() == Decision.Kind.WRITE ? a.before().value() : null;
  }

  /**
   * Changes a live entry whose value equals {@code expected} (any live entry when null): writes
   * {@code replacement}, or removes the entry when that is null. The lookup counts as a hit or a
   * miss; a value that differs gets its access expiry. Returns what was applied.
   */
  private Applied<V> conditional(Slot<K> s, V expected, Encoded<V> replacement) {
    long start = stats.start();
    WriteRules.WriterOnce<K, V> once = rules.writerOnce();
    return locked(s, held -> {
      try (Turn t = events.turn(s.memcachedKey(), s.key(), WriteRules.CHANGES, held)) {
        Applied<V> a = store.compute(s, rules.conditionalDecision(s.key(), expected, replacement, once));
        return rules.conditionalDone(s, replacement, a, once, start);
      }
    });
  }

  @Override
  public void removeAll(Set<? extends K> keys) {
    checkUsable();
    Objects.requireNonNull(keys, "keys");
    batches.removeAll(store.slots(keys));
  }

  /**
   * Removes every entry of this cache on the servers. An entry whose key this JVM cannot decode (a
   * class it refuses or lacks) is still removed, by its memcached key, once its envelope proves it
   * is this cache's; the writer and listeners cannot be told its key.
   */
  @Override
  public void removeAll() {
    checkUsable();
    batches.removeAll();
  }

  @Override
  public void clear() {
    checkUsable();
    store.clear();
  }

  /** Deletes every entry of this cache on the servers: no events, writer or statistics (destroyCache). */
  void clearData() {
    store.clear();
  }

  // ---------------------------------------------------------------- entry processors

  @Override
  public <T> T invoke(K key, EntryProcessor<K, V, T> processor, Object... arguments) {
    checkUsable();
    Slot<K> s = store.slot(key);
    Objects.requireNonNull(processor, "processor");
    return processing.invoke(s, processor, arguments);
  }

  @Override
  public <T> Map<K, EntryProcessorResult<T>> invokeAll(
      Set<? extends K> keys, EntryProcessor<K, V, T> processor, Object... arguments) {
    checkUsable();
    Objects.requireNonNull(keys, "keys");
    Objects.requireNonNull(processor, "processor");
    return processing.invokeAll(store.slots(keys), processor, arguments);
  }

  // ---------------------------------------------------------------- iteration

  @Override
  public Iterator<Cache.Entry<K, V>> iterator() {
    checkUsable();
    return new CacheIterator<>(this, store.entries());
  }

  // ---------------------------------------------------------------- write-through locking

  /**
   * Runs {@code body} holding the key for the fleet when a writer must stay together with memcached;
   * {@code body} gets the wait that took the hold, whose deadline its turn for events shares.
   */
  <T> T locked(Slot<K> s, Function<BoundedWait, T> body) {
    return locks.locked(s.memcachedKey(), body);
  }

  // ---------------------------------------------------------------- configuration and lifecycle

  /**
   * Registers a listener in the dispatcher and the configuration together, under {@link
   * #configLock}: a call that fails (the listener's factory throws, say) leaves it in neither.
   */
  @Override
  public void registerCacheEntryListener(CacheEntryListenerConfiguration<K, V> listenerConfig) {
    checkOpen();
    Objects.requireNonNull(listenerConfig, "cacheEntryListenerConfiguration");
    List<Runnable> closeMade = new ArrayList<>(1);
    Runnable closeListener;
    Throwable failure;
    synchronized (configLock) {
      boolean added = false;
      try {
        if (!events.register(listenerConfig, this::keepInUse, closeMade::add)) {
          throw new IllegalArgumentException("this listener configuration is already registered");
        }
        added = true;
        config.addCacheEntryListenerConfiguration(listenerConfig);
        return;
      } catch (RuntimeException | Error e) {
        if (added) {
          closeListener = events.deregister(listenerConfig, this::keepInUse);
        } else if (!closeMade.isEmpty()) {
          closeListener = closeMade.get(0); // its filter factory failed: the listener made for it
        } else {
          throw e;
        }
        failure = e;
      }
    }
    try {
      closeListener.run(); // outside the locks: the listener's close may close this cache
    } catch (RuntimeException | Error e) {
      if (e instanceof Error && !(failure instanceof Error)) {
        e.addSuppressed(failure); // an Error from a close goes first, as every close here has it
        failure = e;
      } else if (e != failure) {
        failure.addSuppressed(e);
      }
    }
    if (failure instanceof Error e) {
      throw e;
    }
    throw (RuntimeException) failure;
  }

  @Override
  public void deregisterCacheEntryListener(CacheEntryListenerConfiguration<K, V> listenerConfig) {
    checkOpen();
    Objects.requireNonNull(listenerConfig, "cacheEntryListenerConfiguration");
    Runnable closeListener;
    synchronized (configLock) {
      closeListener = events.deregister(listenerConfig, this::keepInUse);
      config.removeCacheEntryListenerConfiguration(listenerConfig);
    }
    // Outside the locks: the listener's close may close this cache or its manager, whose close,
    // running on another thread meanwhile, takes the dispatcher's lock and would wait for this one.
    closeListener.run();
  }

  /** An unmodifiable snapshot of the configuration: changing it throws, and never changes the cache. */
  @Override
  public <C extends Configuration<K, V>> C getConfiguration(Class<C> clazz) {
    if (clazz.isInstance(config)) {
      synchronized (configLock) {
        return clazz.cast(new UnmodifiableConfiguration<>(config));
      }
    }
    throw new IllegalArgumentException(
        "the configuration of cache " + name + " is a " + config.getClass().getName() + ", not a " + clazz.getName());
  }

  NewcacheConfiguration<K, V> configuration() {
    return config;
  }

  /** Switches statistics on or off, with their MXBeans. */
  void enableStatistics(boolean enabled) {
    synchronized (configLock) {
      config.setStatisticsEnabled(enabled);
    }
    stats.setEnabled(enabled);
    jmx.statistics(enabled);
  }

  /** Switches the configuration MXBean on or off. */
  void enableManagement(boolean enabled) {
    synchronized (configLock) {
      config.setManagementEnabled(enabled);
    }
    jmx.management(enabled);
  }

  /**
   * What thundering-herd protection did for this cache in this JVM. The counters run whether or
   * not statistics are enabled.
   *
   * @return the live counters
   */
  public HerdStatisticsMXBean herdStatistics() {
    return herd.statistics();
  }

  /**
   * What this cache's near cache did in this JVM (all zero when it has none).
   *
   * @return the live counters
   */
  public NearCacheStatisticsMXBean nearCacheStatistics() {
    return store.nearStatistics();
  }

  /**
   * Failures this cache absorbed ({@code failures=miss}) and stored entries it refused. The
   * counters run whether or not statistics are enabled.
   *
   * @return the live counters
   */
  public FailureStatisticsMXBean failureStatistics() {
    return failures;
  }

  @Override
  public String getName() {
    return name;
  }

  @Override
  public CacheManager getCacheManager() {
    return manager;
  }

  /**
   * {@inheritDoc}
   *
   * <p>A close called on another thread while one runs returns once that one has closed
   * everything; one called on the closing thread itself (a resource's own {@code close()} closing
   * its cache) returns at once ({@link CloseOnce}).
   */
  @Override
  public void close() {
    CloseFailures steps = new CloseFailures();
    if (!closing.started()) {
      steps.run(() -> manager.release(this)); // a failure to unregister its MXBeans closes the cache all the same
    }
    steps.run(this::closeResources);
    steps.throwIfAny();
  }

  /** Registers the MXBeans its configuration switches on; the manager calls it once the cache is its own. */
  void registerMBeans() {
    if (config.isManagementEnabled()) {
      jmx.management(true);
    }
    if (config.isStatisticsEnabled()) {
      jmx.statistics(true);
    }
  }

  /** Unregisters every MXBean of the cache; the manager calls it as it forgets the cache. */
  void unregisterMBeans() {
    jmx.unregisterAll();
  }

  /**
   * Marks the cache closed and closes its own parts (store, herd, listeners' dispatcher), then its
   * writer, expiry policy, listeners, filters and loader, each on its own and each instance once
   * ({@link UserResources}: a resource that fails is logged and stops nothing); used by the
   * manager. No step is skipped because one before it threw: once all have run, the first Error is
   * thrown, or without one the failure of one of the cache's own parts, the others suppressed in
   * it. Only the first call does this: a cache closed by its own {@code close()} while the manager
   * closes it, destroys it or gives up creating it closes each resource once; a call on another
   * thread meanwhile returns once the first has ended ({@link CloseOnce}). Its data stays on the
   * servers.
   */
  void closeResources() {
    if (!closing.begin()) {
      return;
    }
    try {
      UserResources resources = new UserResources(name);
      resources.run(store::close);
      resources.run(herd::close);
      resources.run(() -> events.close(resources));
      resources.close(writer.resource());
      resources.close(expiry.policy());
      resources.close(loader());
      resources.throwFailure();
    } finally {
      closing.end();
    }
  }

  /** The cache loader, closed by {@link #closeResources}; null here: the loading cache has one. */
  Object loader() {
    return null;
  }

  /** Keeps what the cache uses besides its listeners open through a listener's deregistration. */
  private void keepInUse(UserResources closing) {
    closing.keep(writer.resource());
    closing.keep(expiry.policy());
    closing.keep(loader());
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
    throw new IllegalArgumentException("cannot unwrap cache " + name + " to " + clazz.getName());
  }

  void checkOpen() {
    if (closing.started()) {
      throw new IllegalStateException("cache " + name + " is closed");
    }
  }

  /**
   * {@link #checkOpen}, and refuses a blocking call on the client's IO thread at once, before it
   * waits for anything (a key's turn, a fleet hold, another's load) or sends a command: there it
   * would wait for answers only that thread reads ({@link IoThread}).
   */
  void checkUsable() {
    checkOpen();
    if (IoThread.isCurrent()) { // the message is built only when refusing
      IoThread.refuseBlocking("call", "cache " + name);
    }
  }
}
