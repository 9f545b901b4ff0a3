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
 * (counted as the wait's lease timeout). The same thread may enter again. A wait that would close
 * a cycle of threads waiting for each other (synchronous listeners of write-through writes or
 * entry processors writing each other's keys, {@link WaitsFor}) is skipped, and the caller's wait
 * cut short ({@link BoundedWait#cutShort}): it goes on at once without the key's turn, and without
 * waiting for its lease, which the thread holding the turn holds too.
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
      WaitsFor.Held outer = WaitsFor.waitFor(running);
      try {
        if (WaitsFor.closesCycle(running)) {
          wait.cutShort(); // listeners writing each other's keys: on at once, without the turn or the lease
          return null;
        }
        running.done.get(left, TimeUnit.NANOSECONDS);
      } catch (ExecutionException | TimeoutException e) {
        // loop: the deadline decides
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CacheException("interrupted while waiting for another thread on " + mkey, e);
      } finally {
        WaitsFor.done(outer);
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
  static final class Gate implements WaitsFor.Held {
    final Thread owner;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Gate(Thread owner) {
      this.owner = owner;
    }

    @Override
    public Thread holder() {
      return owner;
    }

    @Override
    public boolean released() {
      return done.isDone();
    }
  }
}
