package io.github.newcache.internal.herd;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.cache.CacheException;

/**
 * This JVM's turns on keys: one thread at a time per memcached key, for {@link
 * LoadCoordinator#exclusive} (entry processors with single flight) and {@link FleetLocks}
 * (write-through), before the fleet's lease. A later thread waits for the earlier one's turn
 * within its {@link BoundedWait} (the lease timeout from when its wait began, shared with its wait
 * for the lease and, in a batch, with the other keys); past it, it goes on without the turn
 * (counted as the wait's lease timeout). The same thread may enter again.
 */
final class KeyTurns {

  private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();

  /**
   * Takes this thread's turn on {@code mkey}, waiting for an earlier thread's until {@code wait}'s
   * deadline at most. Returns the turn's gate, to give back with {@link #leave}; null when this
   * thread had the turn already or the wait timed out: there is nothing to give back then.
   */
  Gate enter(String mkey, BoundedWait wait) {
    Gate mine = new Gate(Thread.currentThread());
    while (true) {
      Gate running = gates.putIfAbsent(mkey, mine);
      if (running == null) {
        return mine;
      }
      if (running.owner == Thread.currentThread()) {
        return null;
      }
      long left = wait.nanosLeft();
      if (left <= 0) {
        wait.timedOut();
        return null;
      }
      try {
        running.done.get(left, TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // loop: the deadline decides
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CacheException("interrupted while waiting for another thread on " + mkey, e);
      }
    }
  }

  /** Gives back a turn {@link #enter} took. */
  void leave(String mkey, Gate gate) {
    if (gate != null) {
      gates.remove(mkey, gate);
      gate.done.complete(null);
    }
  }

  /** One thread's turn on a key. */
  static final class Gate {
    final Thread owner;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Gate(Thread owner) {
      this.owner = owner;
    }
  }
}
