package io.github.newcache.internal.transport;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * Notices when this JVM could not run: garbage-collection pauses, a host too loaded to schedule
 * it, a frozen process. A daemon thread ticks every {@value #TICK_MILLIS} ms; a tick more than
 * {@value #SLACK_MILLIS} ms late is a pause of that length, and a tick overdue right now is a pause
 * in progress.
 *
 * <p>Why: an operation's timeout is meant to measure the server. When the client itself stops for
 * 400 ms, every operation in flight outlives a 250 ms timeout although each server answered in
 * microseconds, and the breakers then blamed healthy servers (issue 12: 7,307 failed operations on
 * live keys after one such pause). So a wait's deadline moves out by the longest pause that
 * overlapped it ({@link OperationWait}), up to {@link #MAX_FORGIVEN_MILLIS}. The longest, not the
 * sum: a host that is merely busy delays the client by many small amounts, and forgiving their sum
 * would stretch every timeout on a busy host; what stall detection needs there is its window
 * ({@link NodeBreakers}), not a longer wait.
 *
 * <p>Cost: one thread waking 100 times a second per manager. Only a wait that reaches its
 * deadline asks for pauses; it reads the pauses recorded since it started, newest first.
 */
final class ClientPauses implements AutoCloseable {

  static final long TICK_MILLIS = 10;
  static final long SLACK_MILLIS = 5;
  /** The longest pause a single wait forgives: beyond this the operation fails as timed out. */
  static final long MAX_FORGIVEN_MILLIS = 10_000;

  private static final long TICK = TICK_MILLIS * 1_000_000L;
  private static final long SLACK = SLACK_MILLIS * 1_000_000L;
  private static final int HISTORY = 512;

  /** Recent pauses, a ring written only by the monitor: when each ended, and how long it was. */
  private final AtomicLongArray ends = new AtomicLongArray(HISTORY);
  private final AtomicLongArray lengths = new AtomicLongArray(HISTORY);
  private volatile int recorded;
  private volatile long lastTick = System.nanoTime();
  /** Set by {@link #close}: the monitor no longer ticks, and its last tick is no pause. */
  private volatile boolean closed;
  private final Thread monitor;

  ClientPauses() {
    monitor = new Thread(this::run, "newcache-pause-monitor");
    monitor.setDaemon(true);
    monitor.start();
  }

  /**
   * The longest pause between {@code since} and {@code now} (from {@link System#nanoTime}), in
   * nanoseconds, counting only its part after {@code since}; a pause in progress counts.
   */
  long longestSince(long since, long now) {
    if (closed) {
      // The monitor stopped: its last tick would read as a pause in progress, and every wait still
      // running (a blocking call in flight while the manager closes) would forgive it, outliving
      // its timeout by up to MAX_FORGIVEN_MILLIS.
      return 0;
    }
    long longest = 0;
    long overdue = now - lastTick - TICK;
    if (overdue > SLACK) {
      longest = Math.min(overdue, now - since);
    }
    int n = recorded;
    for (int i = n - 1; i >= Math.max(0, n - HISTORY); i--) {
      long end = ends.get(i % HISTORY);
      if (end - since <= 0) {
        break; // older pauses ended before the wait began
      }
      longest = Math.max(longest, Math.min(lengths.get(i % HISTORY), end - since));
    }
    return Math.min(longest, MAX_FORGIVEN_MILLIS * 1_000_000L);
  }

  private void run() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        Thread.sleep(TICK_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
      long now = System.nanoTime();
      long late = now - lastTick - TICK;
      if (late > SLACK) {
        int i = recorded;
        ends.set(i % HISTORY, now);
        lengths.set(i % HISTORY, late);
        recorded = i + 1;
      }
      lastTick = now;
    }
  }

  @Override
  public void close() {
    closed = true;
    monitor.interrupt();
  }
}
