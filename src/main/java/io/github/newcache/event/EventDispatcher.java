package io.github.newcache.event;

import java.io.Closeable;
import java.io.IOException;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * thread before the operation returns (synchronous and asynchronous listeners alike, which also
 * keeps events of one key in order). Expiry is noticed when a read finds an expired entry; the
 * client whose CAS removes it raises the one EXPIRED event. Writes by other JVMs raise events
 * there, not here.
 */
public final class EventDispatcher<K, V> {

  private final List<Registration<K, V>> registrations = new CopyOnWriteArrayList<>();
  private volatile Set<EventType> types = EnumSet.noneOf(EventType.class);

  /** Registers a listener; false when the same configuration is already registered. */
  public synchronized boolean register(CacheEntryListenerConfiguration<K, V> config) {
    for (Registration<K, V> r : registrations) {
      if (r.config.equals(config)) {
        return false;
      }
    }
    registrations.add(new Registration<>(config));
    recompute();
    return true;
  }

  public synchronized void deregister(CacheEntryListenerConfiguration<K, V> config) {
    for (Registration<K, V> r : registrations) {
      if (r.config.equals(config)) {
        registrations.remove(r);
        r.close();
      }
    }
    recompute();
  }

  /** True when some listener wants events of this type. */
  public boolean wants(EventType type) {
    return types.contains(type);
  }

  /** True when any listener is registered. */
  public boolean any() {
    return !types.isEmpty();
  }

  /** Delivers {@code events} to every interested listener, in order, before returning. */
  public void dispatch(List<EntryEvent<K, V>> events) {
    if (events.isEmpty()) {
      return;
    }
    for (Registration<K, V> r : registrations) {
      r.deliver(events);
    }
  }

  public void dispatch(EntryEvent<K, V> event) {
    dispatch(List.of(event));
  }

  public void close() {
    for (Registration<K, V> r : registrations) {
      r.close();
    }
    registrations.clear();
    recompute();
  }

  private void recompute() {
    Set<EventType> t = EnumSet.noneOf(EventType.class);
    for (Registration<K, V> r : registrations) {
      t.addAll(r.types);
    }
    types = t;
  }

  private static final class Registration<K, V> {
    final CacheEntryListenerConfiguration<K, V> config;
    final CacheEntryListener<? super K, ? super V> listener;
    final CacheEntryEventFilter<? super K, ? super V> filter;
    final Set<EventType> types = EnumSet.noneOf(EventType.class);

    Registration(CacheEntryListenerConfiguration<K, V> config) {
      this.config = config;
      this.listener = config.getCacheEntryListenerFactory().create();
      Factory<CacheEntryEventFilter<? super K, ? super V>> ff = config.getCacheEntryEventFilterFactory();
      this.filter = ff == null ? null : ff.create();
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

    @SuppressWarnings("unchecked")
    void deliver(List<EntryEvent<K, V>> events) {
      for (EntryEvent<K, V> e : events) {
        if (!types.contains(e.getEventType())) {
          continue;
        }
        EntryEvent<K, V> shown =
            config.isOldValueRequired() || e.getOldValue() == null
                ? e
                : new EntryEvent<>(e.getSource(), e.getEventType(), e.getKey(), e.getValue(), null, false);
        try {
          if (filter != null && !filter.evaluate(shown)) {
            continue;
          }
          List<CacheEntryEvent<? extends K, ? extends V>> one = List.of(shown);
          switch (e.getEventType()) {
            case CREATED:
              ((CacheEntryCreatedListener<K, V>) listener).onCreated(one);
              break;
            case UPDATED:
              ((CacheEntryUpdatedListener<K, V>) listener).onUpdated(one);
              break;
            case REMOVED:
              ((CacheEntryRemovedListener<K, V>) listener).onRemoved(one);
              break;
            default:
              ((CacheEntryExpiredListener<K, V>) listener).onExpired(one);
              break;
          }
        } catch (CacheEntryListenerException ex) {
          throw ex;
        } catch (RuntimeException ex) {
          throw new CacheEntryListenerException(ex);
        }
      }
    }

    void close() {
      for (Object o : new Object[] {listener, filter}) {
        if (o instanceof Closeable) {
          try {
            ((Closeable) o).close();
          } catch (IOException ignored) {
            // closing a listener is best effort
          }
        }
      }
    }
  }
}
