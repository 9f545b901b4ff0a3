package io.github.newcache.internal.management;

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
   * with the same URI (under different class loaders) would share one name, and the second one's
   * beans stay unregistered (logged) rather than replace the first's; closing the second never
   * removes the first's beans.
   */
  private void set(boolean enabled, Object bean, String type) {
    ObjectName name = MBeans.name(type, managerUri, cacheName);
    if (enabled) {
      if (owned.contains(type)) {
        return;
      }
      if (MBeans.register(bean, name)) {
        owned.add(type);
      } else {
        LOG.log(System.Logger.Level.WARNING,
            "MXBean " + name + " belongs to another cache (a manager with the same URI under another class loader); "
                + "this cache's " + type + " bean is not registered");
      }
    } else if (owned.remove(type)) {
      MBeans.unregister(name);
    }
  }

  private static final System.Logger LOG = System.getLogger(JmxRegistration.class.getName());
}
