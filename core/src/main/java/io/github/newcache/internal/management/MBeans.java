package io.github.newcache.internal.management;

import io.github.newcache.FailureStatisticsMXBean;
import io.github.newcache.HerdStatisticsMXBean;
import java.lang.management.ManagementFactory;
import javax.cache.CacheException;
import javax.management.InstanceAlreadyExistsException;
import javax.management.InstanceNotFoundException;
import javax.management.MBeanServer;
import javax.management.MalformedObjectNameException;
import javax.management.ObjectName;

/**
 * Registers cache MXBeans on the platform MBeanServer under the standard names
 * {@code javax.cache:type=CacheStatistics|CacheConfiguration,CacheManager=<uri>,Cache=<name>}, with
 * {@code , : = ? *} and newlines in the URI and name replaced by {@code .} so the name is always valid.
 */
public final class MBeans {

  public static final String STATISTICS = "CacheStatistics";
  public static final String CONFIGURATION = "CacheConfiguration";
  /** Thundering-herd counters ({@code io.github.newcache.HerdStatisticsMXBean}). */
  public static final String HERD = "CacheHerd";
  /** Absorbed failures and refused entries ({@code FailureStatisticsMXBean}). */
  public static final String FAILURES = "CacheFailures";
  /** Near-cache counters ({@code NearCacheStatisticsMXBean}). */
  public static final String NEAR = "CacheNear";
  /** The domain of Newcache's own MXBeans. */
  public static final String DOMAIN = "io.github.newcache";

  private MBeans() {}

  public static ObjectName name(String type, String managerUri, String cacheName) {
    try {
      // The standard beans live in javax.cache; our own extensions in io.github.newcache, so that
      // tools counting javax.cache beans see exactly the standard ones.
      String domain = type.equals(STATISTICS) || type.equals(CONFIGURATION) ? "javax.cache" : DOMAIN;
      return new ObjectName(
          domain + ":type=" + type + ",CacheManager=" + safe(managerUri) + ",Cache=" + safe(cacheName));
    } catch (MalformedObjectNameException e) {
      throw new CacheException("cannot name the MBean for cache " + cacheName + ": " + e, e);
    }
  }

  /** Registers {@code bean}; false when another bean holds the name already (it stays). */
  public static boolean register(Object bean, ObjectName name) {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    try {
      if (!server.isRegistered(name)) {
        server.registerMBean(bean, name);
        return true;
      }
      return false;
    } catch (InstanceAlreadyExistsException e) {
      return false; // registered by a racing thread
    } catch (Exception e) {
      throw new CacheException("cannot register MBean " + name + ": " + e, e);
    }
  }

  public static void unregister(ObjectName name) {
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    try {
      if (server.isRegistered(name)) {
        server.unregisterMBean(name);
      }
    } catch (InstanceNotFoundException e) {
      // already gone
    } catch (Exception e) {
      throw new CacheException("cannot unregister MBean " + name + ": " + e, e);
    }
  }

  private static String safe(String s) {
    // ? and * would turn the name into a pattern; the rest are ObjectName syntax (a quote is
    // illegal in an unquoted value).
    return s == null ? "" : s.replaceAll("[,:=\n?*\"]", ".");
  }
}
