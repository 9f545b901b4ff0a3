package io.github.newcache.internal.transport;

import java.util.function.Supplier;

/**
 * Sends that never wait for room in a server's full queue: the best-effort follow-ups of a failure
 * or of a finished load (a skipped write's delete, a lease's release), whose outcome nobody waits
 * for. They run in the continuation of the operation before them, on a callback thread or in the
 * caller's thread on the way to its answer; waiting there {@code opQueueWait} for room, each held
 * up the answers queued behind it (two threads complete every operation of the manager), one after
 * another. A full queue refuses them at once instead, as it refuses any send once {@code
 * opQueueWait} is over; what they were for is left to the item's own expiry.
 */
public final class BestEffort {

  /** Set while the thread sends best effort; read only when a queue is full. */
  private static final ThreadLocal<Boolean> SENDING = new ThreadLocal<>();

  private BestEffort() {}

  /** Runs {@code send}: what it sends is refused at once, not after {@code opQueueWait}, by a full queue. */
  public static <T> T send(Supplier<T> send) {
    if (sending()) {
      return send.get();
    }
    SENDING.set(Boolean.TRUE);
    try {
      return send.get();
    } finally {
      SENDING.remove();
    }
  }

  /** Whether this thread sends best effort now ({@link #send}). */
  static boolean sending() {
    return SENDING.get() != null;
  }
}
