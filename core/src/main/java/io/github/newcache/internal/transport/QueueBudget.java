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
 * alone.
 */
final class QueueBudget {

  private final long limit;
  private final AtomicLong bytes = new AtomicLong();

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

  long bytes() {
    return bytes.get();
  }

  long limit() {
    return limit;
  }
}
