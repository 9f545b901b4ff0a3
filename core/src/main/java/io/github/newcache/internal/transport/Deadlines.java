package io.github.newcache.internal.transport;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Times out the non-blocking operations in flight without a timer task per operation (scheduling
 * and cancelling one cost a fifth of the client's CPU per {@code get}). Every operation has the
 * same timeout, so operations reach their deadline in the order they were sent: they wait in one
 * queue in that order, and one sweep, on a thread of its own, drops those settled meanwhile from
 * the head and expires those due. It runs every {@value #TICK_MILLIS} ms while anything is queued
 * (so an operation fails at most that much after its deadline) and not at all while nothing is. An
 * operation whose deadline moved out because the client was paused waits in a second queue, ordered
 * by its new deadline.
 *
 * <p>A settled operation leaves the queue only once those sent before it have: behind one that
 * waits for a frozen server it stays up to an operation timeout, so a {@link Deadline} lets go of
 * what it holds (the value written, the answer read) when it is settled.
 */
final class Deadlines implements AutoCloseable {

  static final long TICK_MILLIS = 10;

  /**
   * One operation in flight: settled once, by its answer or by its deadline; whatever settles it
   * lets go of the operation's values (see the class comment).
   */
  abstract static class Deadline extends AtomicBoolean {

    /** When its operation was sent ({@link System#nanoTime}): its deadline is an operation timeout later. */
    final long start;
    /** The deadline it waits for in the second queue; read and written by the sweep only. */
    long extended;

    /** The deadline of an operation sent now. */
    Deadline() {
      this(System.nanoTime());
    }

    /**
     * The deadline of work that continues an operation sent at {@code start} (its answer handed on,
     * {@link Relay}); queued now, behind operations sent after {@code start}, it is due no later
     * than the last of them (the sweep stops at the first one not due).
     */
    Deadline(long start) {
      this.start = start;
    }

    /** True when this call settles it, so it is settled once. */
    final boolean settle() {
      return !get() && compareAndSet(false, true);
    }

    /**
     * Its deadline has passed: returns a later deadline to wait for (the client was paused since
     * it was sent), or 0 when it is settled (timed out now, or answered already). Runs on the
     * sweep's one thread, under its lock, and completes what times out there: so the continuations
     * chained to a timed-out future inside the client must not wait (what they send after a
     * failure is best effort, {@link BestEffort}), or every later timeout, and the close, would
     * wait with them.
     */
    abstract long expire(long now);

    /**
     * The manager closed while it was in flight, perhaps settled meanwhile: when this settles it,
     * fail it saying so (spymemcached's shutdown leaves what waits for an answer waiting).
     */
    abstract void closed();
  }

  private final long timeoutNanos;
  private final ConcurrentLinkedQueue<Deadline> queue = new ConcurrentLinkedQueue<>();
  /** Operations whose deadline moved out, by that deadline; the sweep's own. */
  private final PriorityQueue<Deadline> extended = new PriorityQueue<>((a, b) -> Long.compare(a.extended - b.extended, 0));
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final ScheduledThreadPoolExecutor timer;
  private volatile boolean closed;

  Deadlines(long timeoutNanos) {
    this.timeoutNanos = timeoutNanos;
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "newcache-timeouts");
      t.setDaemon(true);
      return t;
    });
    this.timer.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
  }

  /**
   * Queues {@code d}, just sent; throws {@link RejectedExecutionException} once closed, and tells
   * {@code d} it is {@linkplain Deadline#closed closed} when the close came while it was added.
   */
  void add(Deadline d) {
    if (closed) {
      throw new RejectedExecutionException("closed");
    }
    queue.offer(d);
    if (closed) { // perhaps after close() took what was queued
      d.closed();
      return;
    }
    if (!scheduled.get() && scheduled.compareAndSet(false, true)) {
      schedule();
    }
  }

  @SuppressWarnings("FutureReturnValueIgnored") // never cancelled: close() drops what is scheduled
  private void schedule() {
    try {
      timer.schedule(this::sweep, TICK_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // closed meanwhile: close() fails what is in flight
    }
  }

  private synchronized void sweep() {
    if (closed) {
      return;
    }
    long now = System.nanoTime();
    for (Deadline d = queue.peek(); d != null; d = queue.peek()) {
      if (!d.get() && now - (d.start + timeoutNanos) < 0) {
        break; // the oldest unsettled operation is not due: nor are those after it
      }
      queue.poll();
      expire(d, now);
    }
    for (Deadline d = extended.peek(); d != null && now - d.extended >= 0; d = extended.peek()) {
      extended.poll();
      expire(d, now);
    }
    if (!queue.isEmpty() || !extended.isEmpty()) {
      schedule();
      return;
    }
    scheduled.set(false);
    if (!queue.isEmpty() && scheduled.compareAndSet(false, true)) { // added while this was finishing
      schedule();
    }
  }

  private void expire(Deadline d, long now) {
    if (d.get()) {
      return;
    }
    long later = d.expire(now);
    if (later != 0) {
      d.extended = later;
      extended.add(d);
    }
  }

  /**
   * Stops the sweep and fails every operation still in flight ({@link Deadline#closed}), in this
   * thread, once a sweep under way is done.
   */
  @Override
  public void close() {
    closed = true;
    timer.shutdown(); // no interrupt: a sweep under way, or this very thread, finishes its work
    List<Deadline> open = new ArrayList<>();
    synchronized (this) { // the sweep owns the queues while it runs
      for (Deadline d = queue.poll(); d != null; d = queue.poll()) {
        open.add(d);
      }
      open.addAll(extended);
      extended.clear();
    }
    for (Deadline d : open) {
      if (!d.get()) {
        d.closed();
      }
    }
  }

  /** Waits up to {@code millis} for the sweep's thread to end after {@link #close}; for tests. */
  boolean awaitClosed(long millis) throws InterruptedException {
    return timer.awaitTermination(millis, TimeUnit.MILLISECONDS);
  }
}
