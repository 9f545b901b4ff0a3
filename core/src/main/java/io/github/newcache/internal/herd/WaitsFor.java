package io.github.newcache.internal.herd;

import java.util.concurrent.ConcurrentHashMap;

/**
 * What each thread of this JVM waiting for another's hold on a key waits for, across every cache
 * and every kind of hold: a key's turn for write-through and entry processors ({@link KeyTurns}),
 * a key's turn for events ({@code EventTurns}); and a close of a cache or manager waiting for the
 * one another thread runs ({@code CloseOnce}). A synchronous listener that writes another key
 * while that key's holder's listener writes this thread's key would close a cycle, and each would
 * wait out its lease timeout. The wait that closes it is skipped instead ({@link #closesCycle}):
 * that write goes on without the key's hold, rather than stall both. Each waiter registers
 * ({@link #waitFor}) before it looks, so of two threads closing a cycle at once at least one sees
 * it.
 */
public final class WaitsFor {

  /** Something a thread holds on a key, that other threads may wait for. */
  public interface Held {
    /** The thread holding it now; null when none does (a non-blocking write's turn between its steps). */
    Thread holder();

    /** True once it is given back: its waiters wake. */
    boolean released();
  }

  private static final ConcurrentHashMap<Thread, Held> WAITING = new ConcurrentHashMap<>();

  /** Walks at most this many holders: longer chains are taken for no cycle. */
  private static final int MAX_HOPS = 64;

  private WaitsFor() {}

  /**
   * Registers that this thread waits for {@code held}; returns what it waited for before (a thread
   * that runs another's step while it waits may wait again inside), for {@link #done} to restore.
   */
  public static Held waitFor(Held held) {
    return WAITING.put(Thread.currentThread(), held);
  }

  /** Ends this thread's wait registered by {@link #waitFor}, which returned {@code outer}. */
  public static void done(Held outer) {
    if (outer != null) {
      WAITING.put(Thread.currentThread(), outer);
    } else {
      WAITING.remove(Thread.currentThread());
    }
  }

  /** True when the holder of {@code held}, through what it waits for, waits for this thread. */
  public static boolean closesCycle(Held held) {
    Thread me = Thread.currentThread();
    Held h = held;
    for (int hops = 0; h != null && hops < MAX_HOPS; hops++) {
      Thread holder = h.holder();
      if (holder == null || h.released()) { // released: its holder has moved on; its waiter wakes
        return false;
      }
      if (holder == me) {
        return true;
      }
      h = WAITING.get(holder);
    }
    return false;
  }
}
