package io.github.newcache.internal.transport;

import java.util.concurrent.Future;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import net.spy.memcached.internal.BulkGetFuture;
import net.spy.memcached.internal.GetFuture;
import net.spy.memcached.internal.OperationFuture;

/**
 * Waits for one spymemcached operation with a timeout that does not count the client's own pauses:
 * the deadline moves out by the longest pause of the JVM meanwhile ({@link ClientPauses}).
 *
 * <p>Why not spymemcached's {@code get(timeout)}: when it times out it also marks the operation
 * timed out, which turns a late answer into a failure; so a wait cannot be extended after the fact.
 * This waits without side effects instead: it parks until the future's completion listener, or the
 * operation's own callback ({@link Awaited}), wakes it (both run on spymemcached's IO thread, see
 * {@link SpyConnectionFactory}) or until the
 * deadline, re-reading the paused time each time it wakes. Only when the deadline has truly passed
 * does the caller time the operation out.
 */
final class OperationWait {

  private final long timeoutNanos;
  private final ClientPauses pauses;

  OperationWait(long timeoutMillis, ClientPauses pauses) {
    this.timeoutNanos = timeoutMillis * 1_000_000L;
    this.pauses = pauses;
  }

  /**
   * Waits until {@code future} is done or the timeout, extended by the client's pauses, has passed;
   * returns whether it is done. Throws when the thread is interrupted.
   */
  boolean await(Future<?> future) throws InterruptedException {
    if (future.isDone()) {
      return true;
    }
    Thread waiter = Thread.currentThread();
    onComplete(future, () -> LockSupport.unpark(waiter));
    return await(future::isDone);
  }

  /**
   * {@link #await(Future)} of an operation whose own callback tells when it is {@code done}, and
   * unparks the waiting thread then.
   */
  boolean await(BooleanSupplier done) throws InterruptedException {
    return await(done, System.nanoTime());
  }

  /** {@link #await(BooleanSupplier)} of a call begun at {@code start}: the timeout counts from then. */
  boolean await(BooleanSupplier done, long start) throws InterruptedException {
    long deadline = start + timeoutNanos;
    while (!done.getAsBoolean()) {
      long now = System.nanoTime();
      if (now - deadline >= 0) {
        // at the deadline: forgive the longest pause of the client since the wait began
        long extended = start + timeoutNanos + pauses.longestSince(start, now);
        if (now - extended >= 0) {
          return done.getAsBoolean();
        }
        deadline = extended;
      }
      LockSupport.parkNanos(this, deadline - now);
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
    return true;
  }

  /**
   * Runs {@code action} when the operation completes (on spymemcached's IO thread: it must be quick
   * and never block).
   */
  @SuppressWarnings("FutureReturnValueIgnored") // addListener returns the same future, for chaining
  static void onComplete(Future<?> future, Runnable action) {
    if (future instanceof OperationFuture<?> op) {
      op.addListener(f -> action.run());
    } else if (future instanceof GetFuture<?> get) {
      get.addListener(f -> action.run());
    } else if (future instanceof BulkGetFuture<?> bulk) {
      bulk.addListener(f -> action.run());
    } else {
      throw new IllegalArgumentException("cannot listen to " + future.getClass().getName());
    }
  }
}
