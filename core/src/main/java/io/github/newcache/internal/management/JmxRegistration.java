package io.github.newcache.internal.management;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.cache.management.CacheMXBean;
import javax.management.ObjectName;

/**
 * One cache's MXBeans on the platform MBeanServer ({@link MBeans} names them): the standard
 * configuration bean while management is on; while statistics are on, the standard statistics bean
 * and Newcache's own herd and failure counters beside it. The cache calls this when its switches
 * change and when it closes; nothing else registers a cache's beans.
 */
public final class JmxRegistration {

  private final String managerUri;
  private final String cacheName;
  private final CacheMXBean configuration;
  private final CacheStatistics statistics;
  private final Object herd;
  private final Object failures;
  private final Object near;
  /** The bean types this cache registered: only those it may unregister. */
  private final Set<String> owned = ConcurrentHashMap.newKeySet();

  /**
   * @param herd the cache's herd counters (an MXBean)
   * @param failures the cache's failure counters (an MXBean)
   * @param near the cache's near-cache counters (an MXBean), or null when it has no near cache
   */
  public JmxRegistration(
      String managerUri, String cacheName, CacheMXBean configuration, CacheStatistics statistics, Object herd, Object failures,
      Object near) {
    this.managerUri = managerUri;
    this.cacheName = cacheName;
    this.configuration = configuration;
    this.statistics = statistics;
    this.herd = herd;
    this.failures = failures;
    this.near = near;
  }

  /** Registers or unregisters the configuration bean. */
  public void management(boolean enabled) {
    set(enabled, configuration, MBeans.CONFIGURATION);
  }

  /** Registers or unregisters the statistics, herd, failure and (with a near cache) near-cache beans. */
  public void statistics(boolean enabled) {
    set(enabled, statistics, MBeans.STATISTICS);
    set(enabled, herd, MBeans.HERD);
    set(enabled, failures, MBeans.FAILURES);
    if (near != null) {
      set(enabled, near, MBeans.NEAR);
    }
  }

  /** Unregisters everything, as the cache closes. */
  public void unregisterAll() {
    management(false);
    statistics(false);
  }

  /**
   * Registers or unregisters one bean. A name is taken by whoever registers it first: two managers
   * with the same URI (under different class loaders, or one opened while the previous one of
   * that URI still closes) would share one name. The later cache's bean then waits, unregistered
   * (logged), rather than replace the earlier one's; when the earlier one lets the name go, the
   * first cache still waiting for it gets it. Closing the later one never removes the earlier
   * one's beans. Before, a waiting cache's bean stayed unregistered for its whole life, though the
   * name was free a moment later. The waiting list is this copy of the library's: a manager of
   * another copy (a web application bundling its own jar) never hands its names over. Registrations are rare (a cache created, closed or switched), so
   * one lock orders them all.
   */
  private void set(boolean enabled, Object bean, String type) {
    ObjectName name = MBeans.name(type, managerUri, cacheName);
    synchronized (WAITING) {
      if (enabled) {
        if (owned.contains(type) || waiting(name, type)) {
          return;
        }
        if (MBeans.register(bean, name)) {
          owned.add(type);
        } else {
          WAITING.computeIfAbsent(name, n -> new ArrayDeque<>()).add(new Waiting(this, type, bean));
          LOG.log(System.Logger.Level.WARNING,
              "MXBean " + name + " belongs to another cache (a manager with the same URI under another class loader, "
                  + "or one still closing); this cache's " + type + " bean is registered once that one lets it go");
        }
      } else if (owned.remove(type)) {
        MBeans.unregister(name);
        handOver(name);
      } else {
        Deque<Waiting> queue = WAITING.get(name);
        if (queue != null && queue.removeIf(w -> w.registration == this) && queue.isEmpty()) {
          WAITING.remove(name);
        }
      }
    }
  }

  /** True when this cache's {@code type} bean already waits for {@code name}. */
  private boolean waiting(ObjectName name, String type) {
    Deque<Waiting> queue = WAITING.get(name);
    return queue != null && queue.stream().anyMatch(w -> w.registration == this && w.type.equals(type));
  }

  /** Registers the first bean still waiting for {@code name}, now free. */
  private static void handOver(ObjectName name) {
    Deque<Waiting> queue = WAITING.get(name);
    while (queue != null && !queue.isEmpty()) {
      Waiting next = queue.poll();
      if (MBeans.register(next.bean, name)) {
        next.registration.owned.add(next.type);
        break;
      }
      LOG.log(System.Logger.Level.WARNING, "MXBean " + name + " was taken by another copy of the library in the"
          + " meantime; a cache of this one waiting for it stays without its " + next.type + " bean");
    }
    if (queue != null && queue.isEmpty()) {
      WAITING.remove(name);
    }
  }

  /** A cache's bean waiting for a name another cache holds. */
  private record Waiting(JmxRegistration registration, String type, Object bean) {}

  /** Beans waiting for a name, in the order they asked; guarded by itself. */
  private static final Map<ObjectName, Deque<Waiting>> WAITING = new HashMap<>();

  private static final System.Logger LOG = System.getLogger(JmxRegistration.class.getName());
}
