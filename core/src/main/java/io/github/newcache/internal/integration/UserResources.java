package io.github.newcache.internal.integration;

import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * Closes what a cache's configuration had its factories make (loader, writer, expiry policy,
 * listeners, event filters) when the cache closes, or when its creation fails before the cache
 * owns them: each one that is {@link AutoCloseable} (so {@link java.io.Closeable} too), on its own,
 * and each instance once, however many roles it has (one object as loader and writer, or as writer
 * and listener, is closed once).
 *
 * <p>A close that fails, with an {@code IOException} or a {@code RuntimeException} ("already
 * closed"), is logged (WARNING, {@code io.github.newcache}) and goes no further: it keeps neither
 * the cache's other resources nor the manager's connections and threads from closing, and closing
 * never throws it. The JCache API gives a close no failure to report, the reference implementation's
 * manager logs its caches' failures too, and closes run where a caller could do nothing with one
 * (try-with-resources, Spring's destroy, {@code CachingProvider.close()}, a failed
 * {@code createCache} that throws its own exception).
 *
 * <p>An {@link Error} (a {@code NoClassDefFoundError} from a web application's class loader closed
 * at undeploy) stops nothing either: the other resources, and the manager's other caches, are
 * closed all the same, and the first Error is thrown once everything is closed ({@link
 * #throwFailure}), since an Error is not for a library to swallow.
 *
 * <p>The cache's own parts close through it too ({@link #run}: its store, its herd, its listeners'
 * dispatcher), so that none of them, nor a user resource after them, is skipped because one
 * before it threw. What such a part throws is no user resource's failure to log: it is thrown once
 * everything is closed, behind the first Error if there is one ({@link CloseFailures}). So is the
 * failure of the log itself (a logging backend that throws, as one of a closed web application
 * may): a close through this class never throws.
 *
 * <p>One instance serves one close of one cache, on one thread.
 */
public final class UserResources {

  private static final System.Logger LOG = System.getLogger("io.github.newcache");

  private final String cacheName;
  /** The resources closed or {@linkplain #keep kept} so far, by identity. */
  private final Set<Object> closed = Collections.newSetFromMap(new IdentityHashMap<>());
  /** What the closes threw that is to be thrown: Errors, and the failures of the cache's own parts and of the log. */
  private final CloseFailures failures = new CloseFailures();

  /** A close of the resources of cache {@code cacheName} (named in the log). */
  public UserResources(String cacheName) {
    this.cacheName = cacheName;
  }

  /**
   * Closes {@code resource} if it is {@link AutoCloseable} and this has not closed the same instance
   * already; a failure is logged, an Error kept for {@link #throwFailure} (an interrupt keeps the
   * thread's interrupt status). Never throws.
   *
   * @param resource a loader, writer, expiry policy, listener or filter; null or not closeable: nothing
   */
  public void close(Object resource) {
    if (!(resource instanceof AutoCloseable closeable) || !closed.add(resource)) {
      return;
    }
    try {
      closeable.close();
    } catch (Exception e) {
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      failures.run(() -> LOG.log(System.Logger.Level.WARNING,
          "closing " + resource.getClass().getName() + " of cache " + cacheName + " failed; the cache closed "
              + "its other resources all the same", e));
    } catch (Error e) {
      failures.add(e);
    }
  }

  /**
   * Leaves {@code resource} open: a later {@link #close(Object)} of the same instance does nothing.
   * For a partial close (a listener deregistered) of an instance the cache still uses in another
   * role: its writer, loader or expiry policy, or the listener or filter of another registration.
   *
   * @param resource an instance still in use; null: nothing
   */
  public void keep(Object resource) {
    if (resource != null) {
      closed.add(resource);
    }
  }

  /**
   * Runs {@code part}, a close of the cache's own (its store, herd or listeners' dispatcher),
   * whatever the closes before it threw; what it throws is kept for {@link #throwFailure}.
   *
   * @param part the close of one part of the cache
   */
  public void run(Runnable part) {
    failures.run(part);
  }

  /**
   * Throws what the closes kept, if anything: the first Error, or without one the first failure of
   * a part, the others suppressed in it ({@link CloseFailures}). Call it once all are closed.
   */
  public void throwFailure() {
    failures.throwIfAny();
  }

  /** What {@link #throwFailure} would throw, or null. */
  public Throwable failure() {
    return failures.first();
  }

  /**
   * Closes {@code resource} alone, as {@link #close(Object)} does, an Error thrown at once.
   *
   * @param resource a loader, writer, expiry policy, listener or filter; null or not closeable: nothing
   * @param cacheName names the cache in the log
   */
  public static void close(Object resource, String cacheName) {
    UserResources one = new UserResources(cacheName);
    one.close(resource);
    one.throwFailure();
  }
}
