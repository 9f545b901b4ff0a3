package io.github.newcache.internal.transport;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The bytes one non-blocking write holds outside its server's queues (its value and encoded copy
 * in the closures of a compute, or in the key's line of writes), charged to the server's budget of
 * pending writes from the moment the write is accepted ({@link MemcachedTransport#charge}) until
 * it is {@link #run} (released), once the write is done. Released twice, it releases once.
 */
final class WriteCharge implements Runnable {

  private final QueueBudget budget;
  private final long bytes;
  private final AtomicBoolean released = new AtomicBoolean();

  WriteCharge(QueueBudget budget, long bytes) {
    this.budget = budget;
    this.bytes = bytes;
  }

  /** Gives the bytes back to the budget; at most once, whoever calls. */
  @Override
  public void run() {
    if (released.compareAndSet(false, true)) {
      budget.release(bytes);
    }
  }
}
