package io.github.newcache.internal.transport;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import net.spy.memcached.MemcachedConnection;

/**
 * spymemcached's IO thread: the one thread of a client that sends every operation and reads every
 * answer. Code of ours runs there only to hand answers on; a caller's code may too, in a stage of a
 * future that {@code CompletableFuture} derives from ours (the future {@code thenCompose} or
 * {@code allOf} returns completes in the thread that completed ours, for a small read this one).
 *
 * <p>A blocking call made there would wait for an answer that only this thread can read: it would
 * wait out the whole operation timeout, stall every other caller of the client meanwhile, and then
 * blame the server, whose stall breaker ({@link NodeBreakers}) would count the timeout, so that a
 * few such calls report a healthy server stalled and fail every later call. So a blocking call is
 * refused there at once, before anything is sent.
 *
 * <p>So is a wait there for a pending future of the non-blocking API ({@code join}, {@code get},
 * with or without a timeout, but for a {@code get} whose timeout is zero or less: that one only
 * polls; {@link #refuseWait}): it would block this thread until the future
 * completes, and when its answer is one this thread must read, for the whole operation timeout,
 * stalling every caller of the client meanwhile. A future that is done answers at once, as ever.
 */
public final class IoThread {

  private IoThread() {}

  /** True on a client's IO thread. */
  public static boolean isCurrent() {
    return Thread.currentThread() instanceof MemcachedConnection;
  }

  /**
   * Throws {@link IllegalStateException} when called on the IO thread, naming the blocking call
   * ({@code op} of {@code what}: a key, or a collection of keys) and what to do instead.
   */
  public static void refuseBlocking(String op, Object what) {
    if (isCurrent()) {
      String of = what instanceof Collection<?> keys ? keys.size() + " keys" : String.valueOf(what);
      throw new IllegalStateException("blocking memcached " + op + " of " + of + " called on the client's IO thread ("
          + Thread.currentThread().getName() + "), which reads every answer, this call's own included: it would wait"
          + " the whole operation timeout and stall every other caller. Nothing was sent. This happens in a stage of a"
          + " future that CompletableFuture derives from the non-blocking API's (thenCompose, allOf, thenCombine),"
          + " which may run on that thread: hand blocking work in stages to your own executor"
          + " (thenRunAsync(fn, executor), thenApplyAsync(fn, executor)), or use the non-blocking calls there.");
    }
  }

  /**
   * Throws {@link IllegalStateException} when {@code future}, a future of the non-blocking API (or
   * one derived from it), is not done and the caller would wait for it on the IO thread: the
   * future is left as it is, and completes as it would have.
   */
  static void refuseWait(CompletableFuture<?> future) {
    if (!future.isDone() && isCurrent()) {
      throw new IllegalStateException("a wait (join or get) for a pending future of the non-blocking cache API called on"
          + " the client's IO thread (" + Thread.currentThread().getName() + "), which reads every answer, perhaps this"
          + " future's own: it would block that thread, and stall every other caller, until the future completes, or for"
          + " the whole operation timeout. The future was left as it is. This happens in a stage of a future that"
          + " CompletableFuture derives from the non-blocking API's (thenCompose, allOf, thenCombine), which may run on that"
          + " thread: compose the future there (thenCompose, thenApply) instead of waiting for it, or hand the stage to"
          + " your own executor (thenRunAsync(fn, executor), thenApplyAsync(fn, executor)).");
    }
  }
}
