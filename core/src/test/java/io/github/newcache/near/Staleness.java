package io.github.newcache.near;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;

/**
 * Measures how late a near-cached reader sees writes made elsewhere: a reader thread reads every
 * key over and over and notes, per key, when it first saw the value it waits for; staleness is that
 * time minus the time the write returned.
 */
final class Staleness {

  private final String[] keys;
  private final long[] seenAt;

  Staleness(int keys) {
    this.keys = new String[keys];
    this.seenAt = new long[keys];
    for (int i = 0; i < keys; i++) {
      this.keys[i] = "key" + i;
    }
  }

  String[] keys() {
    return keys;
  }

  /** A reader that polls {@code cache} for {@code expected(i)} until every key showed it or the deadline. */
  Thread reader(Cache<String, String> cache, String expected, long deadlineMillis) {
    Arrays.fill(seenAt, 0);
    Thread t = new Thread(() -> {
      long deadline = System.currentTimeMillis() + deadlineMillis;
      int left = keys.length;
      while (left > 0 && System.currentTimeMillis() < deadline) {
        for (int i = 0; i < keys.length; i++) {
          if (seenAt[i] == 0 && expected.equals(cache.get(keys[i]))) {
            seenAt[i] = System.currentTimeMillis();
            left--;
          }
        }
      }
    }, "near-reader");
    t.setDaemon(true);
    return t;
  }

  /**
   * Checks every key was seen and returns the staleness per key in ms, given when each write
   * returned (wall-clock ms, so it can come from another JVM on this machine).
   */
  long[] staleness(long[] writtenAt) {
    long[] late = new long[keys.length];
    for (int i = 0; i < keys.length; i++) {
      assertTrue(seenAt[i] != 0, "the reader never saw the new value of " + keys[i]);
      late[i] = Math.max(0, seenAt[i] - writtenAt[i]);
    }
    return late;
  }

  /** Asserts the largest staleness is within {@code boundMillis} and prints the distribution. */
  static long report(String what, long[] late, long deltaMillis, long boundMillis) {
    long[] sorted = late.clone();
    Arrays.sort(sorted);
    long max = sorted[sorted.length - 1];
    System.out.println(String.format(Locale.ROOT,
        "near cache staleness, %s: %d keys, δ=%d ms, bound δ+opTimeout=%d ms: p50 %d ms, p90 %d ms, max %d ms",
        what, sorted.length, deltaMillis, boundMillis, sorted[sorted.length / 2], sorted[sorted.length * 9 / 10], max));
    assertTrue(max <= boundMillis, what + ": largest staleness " + max + " ms exceeds δ + opTimeout = " + boundMillis + " ms");
    return max;
  }

  static void join(Thread t, long millis) throws InterruptedException {
    t.join(millis);
    assertTrue(!t.isAlive(), "the reader did not finish");
  }

  static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }
}
