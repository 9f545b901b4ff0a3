package io.github.newcache.internal.event;

import io.github.newcache.internal.herd.BoundedWait;
import io.github.newcache.internal.herd.WaitsFor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.cache.CacheException;

/**
 * This JVM's turns on keys for changes that raise events: one writer at a time per memcached key
 * applies its change and tells the listeners, so a key's listeners hear of its changes in the
 * order they were made (without it, a thread's {@code cas} could land first and its event reach
 * the listeners second). Only writes with a listener for their events take turns ({@link
 * EventDispatcher#turn}); the others cost nothing here.
 *
 * <ul>
 *   <li>Bounded: a thread waits for an earlier writer's turn at most the cache's lease timeout,
 *       then goes on without it (its events may then reach the listeners out of order with the
 *       holder's): a listener slower than that holds its key's other writers that long at most,
 *       and never fails them. A non-blocking write waits without a thread, and goes on the same
 *       way when its turn has not come by then ({@link #enterAsync}; a timer ends the wait).
 *   <li>Reentrant: the thread that holds a key's turn may take it again (a synchronous listener
 *       that writes the key it is told about).
 *   <li>Batches take their keys' turns in memcached-key order, so two batches never wait for each
 *       other in a cycle.
 *   <li>Memory: a key is in the map only while a writer holds its turn.
 * </ul>
 *
 * <p>Turns are innermost: a writer takes one after any other hold on the key (the writer's fleet
 * lock, a load's flight and lease, an entry processor's turn, a non-blocking write's place in
 * {@code WriteOrder}) and, while it holds it, waits only for memcached and its listeners; a
 * write-through write and an entry processor wait for it within the deadline of their hold ({@link
 * BoundedWait}), one lease timeout for both. A
 * non-blocking write's listener step waits for a loader-pool thread too: so that threads of the
 * pool waiting for the key cannot keep it from one, a thread that waits for the key runs that step
 * itself ({@link Turn#offer}). A listener that writes another key while another thread's listener
 * writes this one would make both wait for each other: the wait that would close such a cycle is
 * skipped, and that one write goes on without the turn (its event unordered with the holder's).
 * The cycle check ({@link WaitsFor}) sees the threads waiting for a write-through hold or a
 * processor turn too.
 */
public final class EventTurns {

  private final ConcurrentHashMap<String, Turn> turns = new ConcurrentHashMap<>();
  private final String cacheName;
  private final long waitNanos;

  /** Ends non-blocking writes' waits at the lease timeout; null: only when the holder lets go (tests). */
  private final ScheduledExecutorService timer;
  /**
   * The non-blocking writes waiting for a turn, failed at {@link #close}: the manager's timer,
   * shut down at its close, would drop the wake-ups that end their waits.
   */
  private final Set<CompletableFuture<Turn>> waiting = ConcurrentHashMap.newKeySet();
  private volatile boolean closed;

  EventTurns(String cacheName, long leaseTimeoutMillis, ScheduledExecutorService timer) {
    this.cacheName = cacheName;
    this.waitNanos = TimeUnit.MILLISECONDS.toNanos(leaseTimeoutMillis);
    this.timer = timer;
  }

  /** Takes the turn of {@code mkey} (the entry {@code key}); {@link Turn#NONE} when this thread holds it already. */
  Turn enter(String mkey, Object key) {
    return enter(mkey, key, BoundedWait.NONE);
  }

  /**
   * {@link #enter(String, Object)} within the caller's wait for the key so far ({@link
   * BoundedWait#NONE}: none), whose deadline this wait shares: its hold for the fleet or processor
   * turn and this turn take one lease timeout in all.
   */
  Turn enter(String mkey, Object key, BoundedWait within) {
    return enter(mkey, key, within.deadline(System.nanoTime() + waitNanos));
  }

  /**
   * Takes the turns of every key of {@code keys} (memcached key to entry key), in their order, with
   * one deadline for all, that of {@code within} when there is one; on a failure gives back those taken.
   */
  Turn enterAll(SortedMap<String, ?> keys, BoundedWait within) {
    if (keys.size() == 1) {
      Map.Entry<String, ?> only = keys.entrySet().iterator().next();
      return enter(only.getKey(), only.getValue(), within);
    }
    long deadline = within.deadline(System.nanoTime() + waitNanos);
    List<Turn> taken = new ArrayList<>(keys.size());
    try {
      for (Map.Entry<String, ?> k : keys.entrySet()) {
        Turn t = enter(k.getKey(), k.getValue(), deadline);
        if (t != Turn.NONE) {
          taken.add(t);
        }
      }
    } catch (RuntimeException | Error e) {
      closeAll(taken);
      throw e;
    }
    return taken.isEmpty() ? Turn.NONE : new Turn(null, null, null) {
      @Override
      public void close() {
        closeAll(taken);
      }
    };
  }

  private static void closeAll(List<Turn> taken) {
    for (int i = taken.size() - 1; i >= 0; i--) {
      taken.get(i).close();
    }
  }

  private Turn enter(String mkey, Object key, long deadline) {
    Turn mine = null;
    while (true) {
      Turn running = turns.get(mkey);
      if (running == null) {
        if (mine == null) {
          mine = new Turn(this, mkey, Thread.currentThread());
        }
        running = turns.putIfAbsent(mkey, mine);
        if (running == null) {
          return mine;
        }
      }
      if (running.owner == Thread.currentThread()) {
        return Turn.NONE;
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return Turn.NONE; // waited as long as it may (the lease timeout, or what the caller had left): on unordered
      }
      // outer non-null: this thread runs a step for a turn it waits for
      WaitsFor.Held outer = WaitsFor.waitFor(running);
      try {
        if (WaitsFor.closesCycle(running)) {
          return Turn.NONE; // a cycle of listeners writing each other's keys: go on unordered, never wait
        }
        running.helpOrWait(left);
      } catch (ExecutionException | TimeoutException e) {
        // loop: the deadline decides
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CacheException("cache " + cacheName + ": interrupted while waiting for key " + shown(key)
            + ", which another writer of this JVM was changing; this call did not change the cache entry, nor call the"
            + " writer for it", e);
      } finally {
        WaitsFor.done(outer);
      }
    }
  }

  /**
   * The turn of {@code mkey} for a non-blocking write, without a thread waiting: a future that
   * completes once it is the write's ({@link Turn#NONE} when the calling thread holds it already:
   * a synchronous listener's own write of its key), continuing on {@code next} after a wait. When
   * the turn has not come within the lease timeout, the future completes with {@link Turn#NONE}
   * at that moment (the timer's), and the write goes on without it, as a blocking one does.
   */
  CompletableFuture<Turn> enterAsync(String mkey, Object key, Executor next) {
    return enterAsync(mkey, key, next, System.nanoTime() + waitNanos);
  }

  /**
   * {@link #enterAsync(String, Object, Executor)}, waiting until {@code deadline} (a {@link
   * System#nanoTime} value) at most when that comes before the lease timeout: a non-blocking write
   * whose wait in its key's line took part of its bound already.
   */
  // FutureReturnValueIgnored: whenComplete's future only cancels the timer; nothing waits for it.
  // CollectionUndefinedEquality: waiting holds each future once, by identity, which is what
  // CompletableFuture's equals is.
  @SuppressWarnings({"FutureReturnValueIgnored", "CollectionUndefinedEquality"})
  CompletableFuture<Turn> enterAsync(String mkey, Object key, Executor next, long deadline) {
    Turn running = turns.get(mkey);
    if (running != null && running.owner == Thread.currentThread()) {
      return CompletableFuture.completedFuture(Turn.NONE);
    }
    long now = System.nanoTime();
    long until = deadline - now < waitNanos ? deadline : now + waitNanos;
    CompletableFuture<Turn> out = new CompletableFuture<>();
    enterAsync(mkey, next, until, out);
    if (out.isDone()) {
      return out;
    }
    waiting.add(out);
    ScheduledFuture<?> late = null;
    if (closed) {
      out.completeExceptionally(closedWhileWaiting(key));
    } else if (timer != null) {
      try {
        // the write goes on from the continuations, not on the timer's thread
        late = timer.schedule(() -> next.execute(() -> out.complete(Turn.NONE)), until - now, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException shutDown) {
        out.completeExceptionally(new CacheException("cache " + cacheName + ": the cache manager is closed", shutDown));
      }
    }
    ScheduledFuture<?> timed = late;
    out.whenComplete((t, e) -> {
      waiting.remove(out);
      if (timed != null) {
        timed.cancel(false);
      }
    });
    return out;
  }

  /**
   * The cache closed: the non-blocking writes still waiting for a key's turn (a synchronous listener
   * of another writer holds it) fail now, without being applied, rather than wait until that
   * listener returns: the manager's timer, shut down with it, would never end their waits.
   */
  void close() {
    closed = true;
    for (CompletableFuture<Turn> f : waiting) {
      f.completeExceptionally(closedWhileWaiting(null));
    }
  }

  private CacheException closedWhileWaiting(Object key) {
    return new CacheException("cache " + cacheName + " closed while this non-blocking write waited for the turn of its key"
        + (key == null ? "" : " " + shown(key)) + ", which another writer's listener held; the write was not applied");
  }

  @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's future: the retry, or its failure, completes out
  private void enterAsync(String mkey, Executor next, long until, CompletableFuture<Turn> out) {
    if (out.isDone()) {
      return; // the timer ended the wait: the write went on without the turn
    }
    Turn mine = new Turn(this, mkey, null);
    Turn running = turns.putIfAbsent(mkey, mine);
    if (running == null) {
      if (!out.complete(mine)) {
        mine.close(); // the timer came first: nobody would give this turn back
      }
    } else if (until - System.nanoTime() <= 0) {
      out.complete(Turn.NONE); // waited as long as it may: on without the turn
    } else {
      running.done.thenRunAsync(() -> enterAsync(mkey, next, until, out), next).whenComplete((x, e) -> {
        if (e != null) { // the continuations refused the retry: the manager closed
          out.completeExceptionally(e);
        }
      });
    }
  }

  /** The key as an error names it: its text, cut to 200 characters. */
  private static String shown(Object key) {
    String s = String.valueOf(key);
    return s.length() <= 200 ? "'" + s + "'" : "'" + s.substring(0, 200) + "...' (" + s.length() + " characters)";
  }

  /** Keys whose turn some writer holds (for tests: none once writes are done). */
  int size() {
    return turns.size();
  }

  /** A writer's turn on a key, given back by {@link #close} (try-with-resources). */
  public static class Turn implements AutoCloseable, WaitsFor.Held {
    /** No turn: nobody wants the events, or this thread holds the key's turn already. */
    public static final Turn NONE = new Turn(null, null, null) {
      @Override
      public void close() {}
    };

    private final EventTurns of;
    private final String mkey;
    private final boolean nonBlocking;
    /** The thread holding the turn; for a non-blocking write's turn, the one running its listener step, if any. */
    volatile Thread owner;
    final CompletableFuture<Void> done = new CompletableFuture<>();
    /** The listener step of a non-blocking write holding the turn, until a thread takes it ({@link #offer}). */
    private final AtomicReference<Runnable> step = new AtomicReference<>();
    private final CompletableFuture<Void> offered = new CompletableFuture<>();

    Turn(EventTurns of, String mkey, Thread owner) {
      this.of = of;
      this.mkey = mkey;
      this.owner = owner;
      this.nonBlocking = of != null && owner == null;
    }

    @Override
    public Thread holder() {
      return owner;
    }

    @Override
    public boolean released() {
      return done.isDone();
    }

    /** True for the turn of a non-blocking write, whose listener step {@link #offer} hands to a thread. */
    public boolean nonBlocking() {
      return nonBlocking;
    }

    /**
     * Offers the listener step of the non-blocking write holding this turn: the returned runnable
     * runs it, unless a thread waiting for the key ran it already, and so does such a thread; the
     * step runs once, as the owner of the turn (its listeners may write the key).
     */
    public Runnable offer(Runnable listenerStep) {
      step.set(listenerStep);
      offered.complete(null);
      return this::runStep;
    }

    /** True when the offered step has not run yet and will not: the caller that gave up on it fails its write. */
    public boolean withdraw() {
      return step.getAndSet(null) != null;
    }

    private void runStep() {
      Runnable s = step.getAndSet(null);
      if (s != null) {
        owner = Thread.currentThread();
        try {
          s.run();
        } finally {
          owner = null;
        }
      }
    }

    /** Waits for this turn to end, at most {@code nanos}; runs its offered step meanwhile if no one has. */
    void helpOrWait(long nanos) throws InterruptedException, ExecutionException, TimeoutException {
      long deadline = System.nanoTime() + nanos;
      if (nonBlocking && !offered.isDone()) {
        CompletableFuture.anyOf(done, offered).get(nanos, TimeUnit.NANOSECONDS);
      }
      if (nonBlocking) {
        runStep();
      }
      done.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }

    /** Gives the turn back: the key's next writer may go. */
    @Override
    public void close() {
      of.turns.remove(mkey, this);
      done.complete(null);
    }
  }
}
