package io.github.newcache.internal.integration;

/**
 * Closes what a cache's configuration had its factories make (loader, writer, expiry policy,
 * listeners, event filters) when the cache closes, or when its creation fails before the cache
 * owns them: each one that is {@link AutoCloseable} (so {@link java.io.Closeable} too), on its own.
 *
 * <p>A close that fails, with an {@code IOException} or a {@code RuntimeException} ("already
 * closed"), is logged (WARNING, {@code io.github.newcache}) and goes no further: it keeps neither
 * the cache's other resources nor the manager's connections and threads from closing, and closing
 * never throws it. The JCache API gives a close no failure to report, the reference implementation's
 * manager logs its caches' failures too, and closes run where a caller could do nothing with one
 * (try-with-resources, Spring's destroy, {@code CachingProvider.close()}, a failed
 * {@code createCache} that throws its own exception).
 */
public final class UserResources {

  private static final System.Logger LOG = System.getLogger("io.github.newcache");

  private UserResources() {}

  /**
   * Closes {@code resource} if it is {@link AutoCloseable}; a failure is logged, never thrown (an
   * interrupt keeps the thread's interrupt status).
   *
   * @param resource a loader, writer, expiry policy, listener or filter; null or not closeable: nothing
   * @param cacheName names the cache in the log
   */
  public static void close(Object resource, String cacheName) {
    if (resource instanceof AutoCloseable closeable) {
      try {
        closeable.close();
      } catch (Exception e) {
        if (e instanceof InterruptedException) {
          Thread.currentThread().interrupt();
        }
        LOG.log(System.Logger.Level.WARNING,
            "closing " + resource.getClass().getName() + " of cache " + cacheName + " failed; the cache closed "
                + "its other resources all the same", e);
      }
    }
  }
}
