package io.github.newcache.internal.transport;

import java.util.concurrent.TimeUnit;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationState;

/**
 * The nudges of one TLS connection that wait for their answers ({@link TlsNudges}): at most {@link
 * #MAX_UNANSWERED}, so a frozen server, whose nudges went out and wait for answers that do not come,
 * is not sent another at every interval. A nudge stops counting when it is answered, when it is
 * cancelled (its connection was lost), or when it is still unsent after {@link #FORGOTTEN_NANOS}:
 * spymemcached drops an operation that waited unsent past its timeout without completing it, and
 * such a nudge counted for ever would stop the connection's nudges for good.
 */
final class NudgeCount {

  static final int MAX_UNANSWERED = 3;
  static final long FORGOTTEN_NANOS = TimeUnit.SECONDS.toNanos(2);

  private final Operation[] waiting = new Operation[MAX_UNANSWERED];
  private final long[] queuedAt = new long[MAX_UNANSWERED];

  /** True when {@code nudge} may be sent at {@code nowNanos}; it then counts until answered. */
  synchronized boolean tryStart(Operation nudge, long nowNanos) {
    int free = -1;
    for (int i = 0; i < waiting.length; i++) {
      Operation o = waiting[i];
      if (o != null && (o.isCancelled()
          || (nowNanos - queuedAt[i] > FORGOTTEN_NANOS && o.getState() == OperationState.WRITE_QUEUED))) {
        waiting[i] = null;
      }
      if (waiting[i] == null && free < 0) {
        free = i;
      }
    }
    if (free < 0) {
      return false;
    }
    waiting[free] = nudge;
    queuedAt[free] = nowNanos;
    return true;
  }

  /** {@code nudge} was answered, or cancelled with its connection. */
  synchronized void answered(Operation nudge) {
    for (int i = 0; i < waiting.length; i++) {
      if (waiting[i] == nudge) {
        waiting[i] = null;
      }
    }
  }
}
