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
 * (write-through), before the fleet's lease. A later thread waits for the earlier one's turn, at
 * most until a deadline (the lease timeout from when its wait began, shared by a caller that
 * waits for several things in turn); past it, it goes on without the turn (counted as a lease
 * timeout). The same thread may enter again.
 */
final class KeyTurns {

  private final ConcurrentHashMap<String, Gate> gates = new ConcurrentHashMap<>();
  private final long leaseMillis;
  private final HerdStatistics stats;

  KeyTurns(long leaseMillis, HerdStatistics stats) {
    this.leaseMillis = leaseMillis;
    this.stats = stats;
  }

  /** The deadline of a wait for others that starts now: the lease timeout from now, in {@link System#nanoTime}. */
  long deadline() {
    return System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(leaseMillis);
  }

  /**
   * Takes this thread's turn on {@code mkey}, waiting for an earlier thread's until {@code
   * deadline} (a {@link System#nanoTime} value) at most: a caller that waits for several things in
   * turn (a turn then a lease, a batch's keys) shares one deadline among them, so that it waits
   * the lease timeout once in all. The turn's gate is null when this thread had the turn already or
   * the wait timed out: there is nothing to give back then.
   */
  Entered enter(String mkey, long deadline) {
    Gate mine = new Gate(Thread.currentThread());
    boolean waited = false;
    while (true) {
      Gate running = gates.putIfAbsent(mkey, mine);
      if (running == null) {
        return new Entered(mine, waited);
      }
      if (running.owner == Thread.currentThread()) {
        return new Entered(null, waited);
      }
      waited = true;
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        stats.leaseTimeouts.increment();
        return new Entered(null, true);
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

  /** A turn taken by {@link #enter}: its gate (null: nothing to give back), and whether it waited. */
  record Entered(Gate gate, boolean waited) {}

  /** One thread's turn on a key. */
  static final class Gate {
    final Thread owner;
    final CompletableFuture<Void> done = new CompletableFuture<>();

    Gate(Thread owner) {
      this.owner = owner;
    }
  }
}
