package io.github.newcache.internal.transport;

import java.util.concurrent.atomic.AtomicLong;

/**
 * The bytes waiting for one server, in all of its spymemcached queues, against {@code
 * opQueueBytes}.
 *
 * <p>Why: bounding the queues in operations alone left memory unbounded in bytes. A frozen server
 * accepts nothing, so every write for it waits in the client, and 16 threads writing 10 KB values
 * filled a 256 MB heap in 1.5 s (issue 12) although no queue held more than {@code opQueueSize}
 * operations. With this budget a caller past it waits up to {@code opQueueWait}, then gets the
 * documented error, whatever the sizes of the values. One operation larger than the whole budget
 * still goes when nothing else waits for the server, so a large item is never refused for its size
 * alone. A second budget of each server counts the non-blocking writes accepted for it ({@link
 * PendingWrites}).
 */
final class QueueBudget {

  private final long limit;
  private final AtomicLong bytes = new AtomicLong();
  /** A batch of operations between two queues, still counted ({@link #sent}); null when none. */
  private Object transit;
  private long transitBytes;

  QueueBudget(long limit) {
    this.limit = limit;
  }

  /** Takes {@code weight} bytes if they fit (or nothing else waits); true when taken. */
  boolean tryTake(long weight) {
    while (true) {
      long b = bytes.get();
      if (b != 0 && b + weight > limit) {
        return false;
      }
      if (bytes.compareAndSet(b, b + weight)) {
        return true;
      }
    }
  }

  /** Takes {@code weight} bytes unconditionally: operations the client itself moves or inserts. */
  void take(long weight) {
    bytes.addAndGet(weight);
  }

  void release(long weight) {
    bytes.addAndGet(-weight);
  }

  /**
   * Keeps counting {@code weight} bytes of operations drained from one queue into {@code batch} on
   * their way to another queue of this budget ({@link #arrived}), so the count never drops while
   * they move: spymemcached drains the input queue into a list, then adds the list to the write
   * queue, and callers let in while the count dropped would pass the bound. A batch that never
   * arrives (spymemcached's input queue destroyed on a lost connection) is released when the next
   * one is sent.
   */
  synchronized void sent(Object batch, long weight) {
    if (transit != null) {
      release(transitBytes);
    }
    transit = batch;
    transitBytes = weight;
  }

  /** The bytes {@code batch} still counts when it is the batch {@link #sent}, now arrived; else -1. */
  synchronized long arrived(Object batch) {
    if (transit != batch) {
      return -1;
    }
    long w = transitBytes;
    transit = null;
    transitBytes = 0;
    return w;
  }

  long bytes() {
    return bytes.get();
  }

  long limit() {
    return limit;
  }
}
