package io.github.newcache.internal.transport;

import java.util.concurrent.TimeUnit;

/**
 * The nudges of one TLS connection that wait for their answers ({@link TlsNudges}): at most {@link
 * #MAX_UNANSWERED}, so a frozen server is not sent a no-op every interval. Nudges last sent longer
 * ago than {@link #FORGOTTEN_NANOS} are no longer waited for: spymemcached drops an operation that
 * waited unsent past its timeout without completing it, so a count of every nudge ever sent
 * unanswered would stop the nudges for good.
 */
final class NudgeCount {

  static final int MAX_UNANSWERED = 3;
  static final long FORGOTTEN_NANOS = TimeUnit.SECONDS.toNanos(2);

  private int unanswered;
  private long lastSent;

  /** True when a nudge may be sent at {@code nowNanos}; it is then counted as waiting. */
  synchronized boolean tryStart(long nowNanos) {
    if (unanswered >= MAX_UNANSWERED && nowNanos - lastSent > FORGOTTEN_NANOS) {
      unanswered = 0;
    }
    if (unanswered >= MAX_UNANSWERED) {
      return false;
    }
    unanswered++;
    lastSent = nowNanos;
    return true;
  }

  /** A nudge was answered, or cancelled with its connection. */
  synchronized void answered() {
    if (unanswered > 0) {
      unanswered--;
    }
  }
}
