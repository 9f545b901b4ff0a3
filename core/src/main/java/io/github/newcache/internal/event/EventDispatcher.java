package io.github.newcache.internal.event;

import io.github.newcache.internal.herd.BoundedWait;
import io.github.newcache.internal.integration.UserResources;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.concurrent.ConcurrentSkipListMap;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.Factory;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryEventFilter;
import javax.cache.event.CacheEntryExpiredListener;
import javax.cache.event.CacheEntryListener;
import javax.cache.event.CacheEntryListenerException;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.event.CacheEntryUpdatedListener;
import javax.cache.event.EventType;

/**
 * Owns a cache's listener registrations and delivers events to them.
 *
 * <p>Where events come from: memcached has no notifications, so events are raised by the JVM that
 * performs an operation, for the listeners registered in that JVM, and delivered in the calling
 * thread before the operation returns (synchronous and asynchronous listeners alike). Expiry is
 * noticed when a read finds an expired entry; the client whose CAS removes it raises the one
 * EXPIRED event. Writes by other JVMs raise events there, not here.
 *
 * <p>Order: while a listener wants a change's events, the change and their dispatch take the key's
 * turn together ({@link #turn}), so writers of one key in this JVM tell the listeners of their
 * changes in the order the changes were made. Writes by other JVMs are not ordered with these.
 *
 * <p>A listener that throws never keeps the others from an event, and never undoes the change that
 * raised it (see {@link #dispatch}).
 */
public final class EventDispatcher<K, V> {

  private static final System.Logger LOG = System.getLogger("io.github.newcache.events");

  /**
   * The registrations in the order they were made, for delivery: a registration or deregistration
   * costs O(log n) and copies nothing (a copy-on-write list copied every registration, and a scan
   * for the same configuration went over all of them: registering n listeners took O(n²)).
   * Delivery walks it without a lock, seeing the registrations of the moment.
   */
  private final ConcurrentSkipListMap<Long, Registration<K, V>> registrations = new ConcurrentSkipListMap<>();
  /**
   * How many registrations use each listener and filter instance (by identity): a deregistration
   * leaves open one still in use; guarded by this.
   */
  private final IdentityHashMap<Object, Integer> uses = new IdentityHashMap<>();
  /**
   * The instances no registration uses any more whose close a deregistration has claimed and not
   * yet run (by identity): the claim is the one close of the instance; a registration of the same
   * instance meanwhile takes it back. One made while the claimed close runs finds the instance
   * closed (its caller raced its own deregistration). Guarded by this.
   */
  private final Set<Object> unclosed = Collections.newSetFromMap(new IdentityHashMap<>());
  /** Each registered configuration's place in {@link #registrations}; guarded by this. */
  private final Map<CacheEntryListenerConfiguration<K, V>, Long> registered = new HashMap<>();
  /** How many registrations want each event type; guarded by this. */
  private final Map<EventType, Integer> wanting = new EnumMap<>(EventType.class);
  /** Set by {@link #close}: no listener is registered after it. */
  private boolean closed;
  private long nextPlace;
  private volatile Set<EventType> types = EnumSet.noneOf(EventType.class);
  private final EventTurns turns;
  private final String cacheName;

  /**
   * @param cacheName names the cache in errors
   * @param leaseTimeoutMillis how long a writer waits for its key's turn ({@link #turn})
   * @param timer ends a non-blocking write's wait for its turn at the lease timeout
   */
  public EventDispatcher(String cacheName, long leaseTimeoutMillis, ScheduledExecutorService timer) {
    this.turns = new EventTurns(cacheName, leaseTimeoutMillis, timer);
    this.cacheName = cacheName;
  }

  /**
   * Registers a listener, in constant time (amortized); false when an equal configuration is
   * already registered (found by its {@code hashCode} and {@code equals}). When its filter factory
   * fails, what closes the listener made for it goes to {@code later}, to run once the caller holds
   * no lock (the listener's close may close the cache); it leaves the instance open when the cache
   * still uses it: what {@code inUse} keeps (the cache's writer, loader, expiry policy) or a
   * registration (and when a deregistration is to close it).
   */
  public synchronized boolean register(
      CacheEntryListenerConfiguration<K, V> config, Consumer<UserResources> inUse, Consumer<Runnable> later) {
    if (closed) {
      // the cache's close has closed its listeners already: one registered now would stay open
      throw new IllegalStateException("cache " + cacheName + " is closed");
    }
    if (registered.containsKey(config)) {
      return false;
    }
    Registration<K, V> r = new Registration<>(config, listener -> {
      List<Object> claimed = new ArrayList<>(1);
      claim(listener, claimed);
      later.accept(closeClaimed(claimed, inUse));
    });
    long place = nextPlace++;
    registrations.put(place, r);
    registered.put(config, place);
    count(r, 1);
    use(r.listener, 1);
    use(r.filter, 1);
    return true;
  }

  /**
   * Deregisters a listener; answers what closes it and its filter, to run once the caller holds no
   * lock (their close may close the cache, whose close takes this dispatcher's lock, on another
   * thread), or a no-op when it is not registered. That close leaves open an instance the cache
   * still uses: what {@code inUse} keeps (the cache's writer, loader, expiry policy) and the
   * listeners and filters of the registrations left.
   */
  public Runnable deregister(CacheEntryListenerConfiguration<K, V> config, Consumer<UserResources> inUse) {
    List<Object> claimed = new ArrayList<>(2);
    synchronized (this) {
      Long place = registered.remove(config);
      if (place == null) {
        return () -> { };
      }
      Registration<K, V> r = registrations.remove(place);
      count(r, -1);
      use(r.listener, -1);
      use(r.filter, -1);
      claim(r.listener, claimed);
      claim(r.filter, claimed);
    }
    return closeClaimed(claimed, inUse);
  }

  /** What closes the instances {@code claimed} still are to be closed, leaving what {@code inUse} keeps. */
  private Runnable closeClaimed(List<Object> claimed, Consumer<UserResources> inUse) {
    if (claimed.isEmpty()) {
      return () -> { };
    }
    return () -> {
      UserResources closing = new UserResources(cacheName);
      inUse.accept(closing);
      for (Object instance : claimed) {
        boolean mine;
        synchronized (this) {
          mine = unclosed.remove(instance); // false: registered again since
        }
        if (mine) {
          closing.close(instance);
        }
      }
      closing.throwFailure();
    };
  }

  /**
   * Claims the close of a deregistered listener or filter for this deregistration, when no
   * registration uses the instance any more and no other deregistration has claimed it: of two
   * deregistrations sharing it, the later one closes it, once.
   */
  private void claim(Object instance, List<Object> claimed) {
    if (instance != null && !uses.containsKey(instance) && unclosed.add(instance)) {
      claimed.add(instance);
    }
  }

  /** Counts a registration's use of {@code instance} (a listener or filter, or null) in or out. */
  private void use(Object instance, int delta) {
    if (instance != null) {
      uses.merge(instance, delta, (a, b) -> a + b == 0 ? null : a + b);
      if (delta > 0) {
        unclosed.remove(instance); // registered again: its deregistration's close no longer closes it
      }
    }
  }

  /** Counts {@code r}'s event types in or out, and publishes the types some registration wants. */
  private void count(Registration<K, V> r, int delta) {
    for (EventType type : r.types) {
      wanting.merge(type, delta, (a, b) -> a + b == 0 ? null : a + b);
    }
    types = wanting.isEmpty() ? EnumSet.noneOf(EventType.class) : EnumSet.copyOf(wanting.keySet());
  }

  /** True when some listener wants events of this type. */
  public boolean wants(EventType type) {
    return types.contains(type);
  }

  /** True when any listener is registered. */
  public boolean any() {
    return !types.isEmpty();
  }

  /** True when some listener wants events of a type in {@code raises}. */
  public boolean wantsAny(Set<EventType> raises) {
    Set<EventType> t = types;
    return !t.isEmpty() && !Collections.disjoint(t, raises);
  }

  /**
   * The turn of the entry {@code key}, of memcached key {@code mkey}, for a change that may raise
   * events of the types {@code raises}: hold it from before the change until its events are
   * dispatched, and close it then. With no listener for them it is {@link EventTurns.Turn#NONE},
   * taken at the cost of a volatile read. Waits for another thread's turn at most the lease
   * timeout, then goes on without it (see {@link EventTurns}).
   */
  public EventTurns.Turn turn(String mkey, K key, Set<EventType> raises) {
    return turn(mkey, key, raises, BoundedWait.NONE);
  }

  /**
   * {@link #turn(String, Object, Set)} for a caller that waited for the key already ({@code within}:
   * its hold for the fleet, its processor turn): the wait for the turn ends by that wait's deadline,
   * so both take one lease timeout in all.
   */
  public EventTurns.Turn turn(String mkey, K key, Set<EventType> raises, BoundedWait within) {
    return wantsAny(raises) ? turns.enter(mkey, key, within) : EventTurns.Turn.NONE;
  }

  /**
   * {@link #turn} for a batch of {@code items}, each naming its memcached key and entry key: their
   * turns are taken in memcached-key order, so two batches never wait for each other in a cycle,
   * within the batch's wait for its keys so far ({@code within}, {@link BoundedWait#NONE} for none).
   */
  public <T> EventTurns.Turn turnAll(
      Iterable<T> items, Function<T, String> mkey, Function<T, K> key, Set<EventType> raises, BoundedWait within) {
    if (!wantsAny(raises)) {
      return EventTurns.Turn.NONE;
    }
    TreeMap<String, K> sorted = new TreeMap<>();
    for (T item : items) {
      sorted.putIfAbsent(mkey.apply(item), key.apply(item));
    }
    return sorted.isEmpty() ? EventTurns.Turn.NONE : turns.enterAll(sorted, within);
  }

  /**
   * {@link #turn} for a non-blocking write, without a thread waiting: a future of the turn,
   * continuing on {@code next} after a wait (see {@link EventTurns#enterAsync}). Its listener step
   * goes to a thread through {@link EventTurns.Turn#offer}.
   */
  public CompletableFuture<EventTurns.Turn> turnAsync(String mkey, K key, Set<EventType> raises, Executor next) {
    return wantsAny(raises) ? turns.enterAsync(mkey, key, next) : NO_TURN;
  }

  /**
   * {@link #turnAsync(String, Object, Set, Executor)}, going on without the turn at {@code deadline}
   * (a {@link System#nanoTime} value) when that comes before the lease timeout.
   */
  public CompletableFuture<EventTurns.Turn> turnAsync(
      String mkey, K key, Set<EventType> raises, Executor next, long deadline) {
    return wantsAny(raises) ? turns.enterAsync(mkey, key, next, deadline) : NO_TURN;
  }

  private static final CompletableFuture<EventTurns.Turn> NO_TURN = CompletableFuture.completedFuture(EventTurns.Turn.NONE);

  /** Keys whose turn a thread holds now (for tests: none once the writes are done). */
  public int keysInTurn() {
    return turns.size();
  }

  /**
   * Delivers {@code events} to every interested listener, in order, before returning. Every
   * listener gets them, whatever an earlier one threw, and the operation's change stands.
   *
   * <ul>
   *   <li>An asynchronous listener's exception is logged (WARNING, {@code io.github.newcache.events})
   *       and never reaches the caller.
   *   <li>A synchronous listener's exception reaches the caller once every listener got the events,
   *       as a {@link CacheEntryListenerException} (the first; later ones suppressed in it). The
   *       reference implementation passes it on; the TCK accepts that, and accepts it not being
   *       thrown ({@code CacheListenerTest#testBrokenCacheEntryListener} catches it and asserts
   *       nothing).
   *   <li>EXPIRED events are raised only by the read that found the entry expired, which must not
   *       fail, nor skip its other keys and statistics, because a listener failed: every listener's
   *       exception on them is logged.
   *   <li>An {@link Error} goes on to the caller, after every listener got the events.
   * </ul>
   */
  public void dispatch(List<EntryEvent<K, V>> events) {
    if (events.isEmpty() || registrations.isEmpty()) {
      return;
    }
    boolean fromRead = true;
    for (EntryEvent<K, V> e : events) {
      fromRead &= e.getEventType() == EventType.EXPIRED;
    }
    Throwable failed = null;
    for (Registration<K, V> r : registrations.values()) {
      try {
        r.deliver(events);
      } catch (RuntimeException e) {
        if (fromRead || !r.config.isSynchronous()) {
          logFailure(r, events, e);
        } else {
          failed = first(failed, e);
        }
      } catch (Error e) {
        failed = first(failed, e);
      }
    }
    if (failed instanceof RuntimeException e) {
      throw e;
    }
    if (failed != null) {
      throw (Error) failed;
    }
  }

  public void dispatch(EntryEvent<K, V> event) {
    dispatch(List.of(event));
  }

  private static Throwable first(Throwable failed, Throwable next) {
    if (failed == null) {
      return next;
    }
    failed.addSuppressed(next);
    return failed;
  }

  private static <K, V> void logFailure(Registration<K, V> r, List<EntryEvent<K, V>> events, RuntimeException e) {
    if (LOG.isLoggable(System.Logger.Level.WARNING)) {
      Set<EventType> types = EnumSet.noneOf(EventType.class);
      events.forEach(ev -> types.add(ev.getEventType()));
      LOG.log(System.Logger.Level.WARNING,
          "listener " + r.listener.getClass().getName() + " of cache " + events.get(0).getSource().getName()
              + " failed on " + types + " events; the operation and the other listeners went on", e);
    }
  }

  /**
   * Deregisters every listener, closing each listener and filter on its own with {@code closing}
   * (which closes an instance once, and keeps an Error for after the cache's other resources), and
   * ends the non-blocking writes still waiting for a key's turn ({@link EventTurns#close}): the
   * manager's timer that would end their waits is shut down with it.
   */
  public void close(UserResources closing) {
    turns.close();
    List<Registration<K, V>> closed;
    synchronized (this) {
      this.closed = true;
      closed = new ArrayList<>(registrations.values());
      registrations.clear();
      registered.clear();
      uses.clear();
      wanting.clear();
      types = EnumSet.noneOf(EventType.class);
    }
    // Outside the lock: a listener's close may call the cache (its configuration, under the cache's
    // configuration lock, which a registration on another thread holds while it waits for this one).
    for (Registration<K, V> r : closed) {
      r.close(closing);
    }
  }

  private static final class Registration<K, V> {
    final CacheEntryListenerConfiguration<K, V> config;
    final CacheEntryListener<? super K, ? super V> listener;
    final CacheEntryEventFilter<? super K, ? super V> filter;
    final Set<EventType> types = EnumSet.noneOf(EventType.class);

    /** Makes the listener and its filter; a filter factory that fails hands the listener made to {@code unused}. */
    Registration(CacheEntryListenerConfiguration<K, V> config, Consumer<Object> unused) {
      this.config = config;
      this.listener = config.getCacheEntryListenerFactory().create();
      Factory<CacheEntryEventFilter<? super K, ? super V>> ff = config.getCacheEntryEventFilterFactory();
      try {
        this.filter = ff == null ? null : ff.create();
      } catch (RuntimeException | Error e) {
        unused.accept(listener);
        throw e;
      }
      if (listener instanceof CacheEntryCreatedListener) {
        types.add(EventType.CREATED);
      }
      if (listener instanceof CacheEntryUpdatedListener) {
        types.add(EventType.UPDATED);
      }
      if (listener instanceof CacheEntryRemovedListener) {
        types.add(EventType.REMOVED);
      }
      if (listener instanceof CacheEntryExpiredListener) {
        types.add(EventType.EXPIRED);
      }
    }

    /**
     * Delivers the events this listener wants, in order. Consecutive events of one type go to the
     * listener in one call, so a {@code putAll} of many new keys is one {@code onCreated}.
     */
    void deliver(List<EntryEvent<K, V>> events) {
      List<CacheEntryEvent<? extends K, ? extends V>> run = new ArrayList<>();
      EventType runType = null;
      for (EntryEvent<K, V> e : events) {
        if (!types.contains(e.getEventType())) {
          continue;
        }
        EntryEvent<K, V> shown = withoutUnwantedOldValue(e);
        if (filter != null && !accepts(shown)) {
          continue;
        }
        if (runType != null && runType != e.getEventType()) {
          send(runType, run);
          run = new ArrayList<>();
        }
        runType = e.getEventType();
        run.add(shown);
      }
      if (runType != null) {
        send(runType, run);
      }
    }

    private boolean accepts(EntryEvent<K, V> event) {
      try {
        return filter.evaluate(event);
      } catch (CacheEntryListenerException ex) {
        throw ex;
      } catch (RuntimeException ex) {
        throw new CacheEntryListenerException(ex);
      }
    }

    @SuppressWarnings("unchecked")
    private void send(EventType type, List<CacheEntryEvent<? extends K, ? extends V>> run) {
      try {
        switch (type) {
          case CREATED -> ((CacheEntryCreatedListener<K, V>) listener).onCreated(run);
          case UPDATED -> ((CacheEntryUpdatedListener<K, V>) listener).onUpdated(run);
          case REMOVED -> ((CacheEntryRemovedListener<K, V>) listener).onRemoved(run);
          default -> ((CacheEntryExpiredListener<K, V>) listener).onExpired(run);
        }
      } catch (CacheEntryListenerException ex) {
        throw ex;
      } catch (RuntimeException ex) {
        throw new CacheEntryListenerException(ex);
      }
    }

    /**
     * Drops an UPDATED event's old value when the listener did not ask for it. REMOVED and
     * EXPIRED events keep theirs: there the old value is also the event's value, already at hand.
     */
    // unchecked: CacheEntryEvent.getSource() is declared with the raw Cache type; the source of an
    // EntryEvent<K, V> is the Cache<K, V> it was constructed with.
    @SuppressWarnings("unchecked")
    private EntryEvent<K, V> withoutUnwantedOldValue(EntryEvent<K, V> e) {
      if (config.isOldValueRequired() || e.getEventType() != EventType.UPDATED || e.getOldValue() == null) {
        return e;
      }
      return new EntryEvent<>(e.getSource(), e.getEventType(), e.getKey(), e.getValue(), null, false);
    }

    void close(UserResources closing) {
      closing.close(listener);
      closing.close(filter);
    }
  }
}
