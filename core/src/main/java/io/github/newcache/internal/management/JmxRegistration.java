package io.github.newcache.internal.management;

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

  /**
   * @param herd the cache's herd counters (an MXBean)
   * @param failures the cache's failure counters (an MXBean)
   */
  public JmxRegistration(
      String managerUri, String cacheName, CacheMXBean configuration, CacheStatistics statistics, Object herd, Object failures) {
    this.managerUri = managerUri;
    this.cacheName = cacheName;
    this.configuration = configuration;
    this.statistics = statistics;
    this.herd = herd;
    this.failures = failures;
  }

  /** Registers or unregisters the configuration bean. */
  public void management(boolean enabled) {
    set(enabled, configuration, MBeans.CONFIGURATION);
  }

  /** Registers or unregisters the statistics, herd and failure beans. */
  public void statistics(boolean enabled) {
    set(enabled, statistics, MBeans.STATISTICS);
    set(enabled, herd, MBeans.HERD);
    set(enabled, failures, MBeans.FAILURES);
  }

  /** Unregisters everything, as the cache closes. */
  public void unregisterAll() {
    management(false);
    statistics(false);
  }

  private void set(boolean enabled, Object bean, String type) {
    ObjectName name = MBeans.name(type, managerUri, cacheName);
    if (enabled) {
      MBeans.register(bean, name);
    } else {
      MBeans.unregister(name);
    }
  }
}
