package io.github.newcache;

import io.github.newcache.internal.herd.WaitsFor;
import io.github.newcache.internal.transport.IoThread;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The one close of a cache or a manager. The first caller runs it ({@link #begin} answers true, and
 * it calls {@link #end} when done); a caller on another thread meanwhile waits until it has ended,
 * so that whoever closes finds the resources, connections and threads closed once its close
 * returns (a second close used to return at once, with everything still open).
 *
 * <p>Some closes return without waiting, as they would otherwise never end:
 * <ul>
 *   <li>one on the thread that runs the close (a listener's, loader's or writer's own {@code
 *       close()} closing its cache or manager): it would wait for itself;
 *   <li>one whose wait would close a cycle of threads of this JVM waiting for each other ({@link
 *       WaitsFor}: a cache's listener closing the manager on one thread while the manager's close,
 *       on another, reaches that cache);
 *   <li>one that has waited {@link #WAIT_MILLIS} (a cycle through something the check cannot see,
 *       a thread of the application's or a lock; or a resource whose close takes that long):
 *       logged at WARNING;
 *   <li>one on the client's IO thread (a stage of a non-blocking call's future): that thread reads
 *       every answer, the closing thread's included ({@link IoThread});
 *   <li>one whose thread is interrupted, which keeps its interrupt status.
 * </ul>
 */
final class CloseOnce implements WaitsFor.Held {

  /** How long a close waits for the one running on another thread, at most. */
  static final long WAIT_MILLIS = 30_000;

  private static final System.Logger LOG = System.getLogger("io.github.newcache");

  /** What closes, for the log: "cache c", "cache manager memcached://…". */
  private final String what;
  /** The thread running the close; null until it starts. */
  private final AtomicReference<Thread> closer = new AtomicReference<>();
  private final CountDownLatch ended = new CountDownLatch(1);

  CloseOnce(String what) {
    this.what = what;
  }

  /** True once the close has begun (it may still run). */
  boolean started() {
    return closer.get() != null;
  }

  /**
   * True for the caller that is to run the close, which calls {@link #end} once done. Any other
   * caller gets false, once the close has ended, or at once in the cases the class names.
   */
  boolean begin() {
    Thread me = Thread.currentThread();
    if (closer.compareAndSet(null, me)) {
      return true;
    }
    if (closer.get() != me && !IoThread.isCurrent()) {
      awaitEnd();
    }
    return false;
  }

  /** The close has ended: the callers waiting for it return. */
  void end() {
    ended.countDown();
  }

  @Override
  public Thread holder() {
    return closer.get();
  }

  @Override
  public boolean released() {
    return ended.getCount() == 0;
  }

  private void awaitEnd() {
    if (released()) {
      return;
    }
    WaitsFor.Held outer = WaitsFor.waitFor(this); // registered before the check: of two, one sees the cycle
    try {
      if (WaitsFor.closesCycle(this)) {
        return;
      }
      if (!ended.await(WAIT_MILLIS, TimeUnit.MILLISECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "the close of " + what + " returned before the close that "
            + holder().getName() + " runs ended, after waiting " + WAIT_MILLIS + " ms for it: a resource's close "
            + "takes that long, or waits for this thread");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      WaitsFor.done(outer);
    }
  }
}
