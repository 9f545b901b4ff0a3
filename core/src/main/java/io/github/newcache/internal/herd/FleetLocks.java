package io.github.newcache.internal.herd;

import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.internal.transport.Item;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.cache.CacheException;

/**
 * Keys held for the whole fleet while a write-through operation calls its writer and writes
 * memcached, so that two clients never interleave the two: this JVM's turn on the key (the turns
 * of {@link LoadCoordinator#exclusive}) and, across JVMs, the key's lease (the lease of a load,
 * {@link LoadCoordinator}).
 */
public final class FleetLocks {

  private final LoadCoordinator herd;

  FleetLocks(LoadCoordinator herd) {
    this.herd = herd;
  }

  /**
   * Holds the key for the whole fleet until the returned hold is closed, on this thread: one
   * thread of this JVM at a time ({@link LoadCoordinator#exclusive}) and, across JVMs, the key's
   * lease, waiting for another holder to release them. The lease timeout bounds the two waits
   * together: past it the caller goes on without what it still waits for (the turn, the lease),
   * and that counts as one lease timeout. Before, each had its own timeout, and a key another
   * thread held took twice as long. A thread that already holds the key gets a hold that lets
   * nothing go.
   */
  public Hold hold(String mkey) {
    return hold(mkey, herd.waitForOthers());
  }

  /** {@link #hold}, waiting for the turn and the lease within {@code wait} at most. */
  private Hold hold(String mkey, BoundedWait wait) {
    String lease = LeaseKeys.of(mkey);
    Set<String> mine = LoadCoordinator.HELD.get();
    if (mine.contains(lease)) {
      return Hold.NOTHING;
    }
    KeyTurns.Gate gate = herd.turns.enter(mkey, wait);
    try {
      long poll = LoadCoordinator.FIRST_POLL_MILLIS;
      while (true) {
        byte[] token = LoadCoordinator.token();
        if (herd.addLease(lease, token)) {
          mine.add(lease);
          return new Hold(herd, mkey, gate, lease, token, wait);
        }
        if (wait.over()) {
          wait.timedOut(); // once: not again when the turn timed out already
          return new Hold(herd, mkey, gate, null, null, wait);
        }
        LoadCoordinator.sleep(poll);
        poll = Math.min(LoadCoordinator.MAX_POLL_MILLIS, poll * 2);
      }
    } catch (RuntimeException | Error e) {
      herd.turns.leave(mkey, gate);
      throw e;
    }
  }

  /**
   * {@link #hold} for many keys, given in memcached-key order, each once: the same holds, taken in
   * that order, but with the leases of up to {@value #WINDOW} keys asked for at once instead of one
   * round trip after another. Where another client holds a key's lease, the leases taken after it
   * in the same window are given back (each give-back confirmed) before this waits for that key,
   * so a waiting batch holds only keys before the one it waits for, exactly as when taken one by
   * one, and two batches never wait for each other in a cycle. A give-back or an ask that fails lets
   * go of everything taken and throws, before the caller's writer has run. Under {@code
   * failures=miss}, where a give-back cannot be confirmed, the keys are held one by one.
   *
   * <p>The lease timeout bounds the batch's waits in all, not each key's: past it the batch waits
   * for nothing more, and takes every key it still lacks (this JVM's turn, the lease) as {@link
   * #hold} takes a key past the timeout, without it: one lease timeout counted per such key,
   * whether it lacked the turn, the lease or both. Before, each key waited the timeout afresh,
   * and a batch of n keys held elsewhere waited n times the lease timeout. Let the holds go with
   * {@link #releaseAll}.
   */
  public List<Hold> holdAll(List<String> mkeys) {
    return holdAll(mkeys, herd.waitForOthers());
  }

  /**
   * {@link #holdAll(List)} within {@code within}, a wait that starts now ({@link
   * LoadCoordinator#waitForOthers}): the caller's later waits on the keys (their turns for events)
   * share its deadline.
   */
  public List<Hold> holdAll(List<String> mkeys, BoundedWait within) {
    long deadline = within.deadline(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(herd.leaseMillis));
    List<Hold> held = new ArrayList<>(mkeys.size());
    try {
      if (herd.transport.absorbsFailures()) {
        // Under failures=miss a give-back cannot be confirmed (a failed read answers "gone"): one by one.
        for (String mkey : mkeys) {
          held.add(hold(mkey, herd.waitUntil(deadline)));
        }
        return held;
      }
      int next = 0;
      while (next < mkeys.size()) {
        next += holdWindow(mkeys.subList(next, Math.min(mkeys.size(), next + WINDOW)), held, deadline);
      }
      return held;
    } catch (RuntimeException | Error e) {
      try {
        releaseAll(held);
      } catch (RuntimeException | Error also) {
        e.addSuppressed(also);
      }
      throw e;
    }
  }

  /** Leases asked for at once by {@link #holdAll}. */
  static final int WINDOW = 64;

  /**
   * Holds a window of keys in order: this JVM's turns one after another, then every lease asked for
   * at once. Adds to {@code held} the holds of the keys up to the first whose lease another client
   * holds, gives back the leases taken after it, and waits for that one ({@link #hold}). Past the
   * batch's {@code deadline} nothing is waited for or given back: the keys whose leases others hold
   * are held without them, as {@link #hold} holds a key past it. Returns how many keys of the window it holds.
   */
  private int holdWindow(List<String> window, List<Hold> held, long deadline) {
    Set<String> mine = LoadCoordinator.HELD.get();
    int n = window.size();
    KeyTurns.Gate[] gates = new KeyTurns.Gate[n];
    BoundedWait[] waits = new BoundedWait[n];
    String[] leases = new String[n];
    byte[][] tokens = new byte[n][];
    try {
      for (int i = 0; i < n; i++) {
        String lease = LeaseKeys.of(window.get(i));
        if (!mine.contains(lease)) {
          leases[i] = lease;
          waits[i] = herd.waitUntil(deadline);
          gates[i] = herd.turns.enter(window.get(i), waits[i]);
        }
      }
      List<CompletableFuture<Boolean>> asked = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        asked.add(leases[i] == null ? CompletableFuture.completedFuture(true) : ask(leases[i], tokens, i));
      }
      boolean[] taken = answers(asked, leases, tokens);
      boolean late = System.nanoTime() >= deadline; // no more waiting: a lease another holds is done without
      int first = 0;
      while (first < n && (taken[first] || late)) {
        first++;
      }
      for (int i = 0; i < first; i++) {
        if (leases[i] == null) {
          held.add(Hold.NOTHING);
        } else if (taken[i]) {
          mine.add(leases[i]);
          held.add(new Hold(herd, window.get(i), gates[i], leases[i], tokens[i], waits[i]));
          gates[i] = null; // the hold lets it go
        } else {
          waits[i].timedOut();
          held.add(new Hold(herd, window.get(i), gates[i], null, null, waits[i]));
          gates[i] = null; // the hold lets it go
        }
      }
      if (first == n) {
        return n;
      }
      giveBack(leases, tokens, taken, first + 1);
      leaveFrom(window, gates, first);
      held.add(hold(window.get(first), waits[first]));
      return first + 1;
    } catch (RuntimeException | Error e) {
      leaveFrom(window, gates, 0);
      throw e;
    }
  }

  /** Asks for one lease with a new token; a refusal to send becomes the answer's failure. */
  private CompletableFuture<Boolean> ask(String lease, byte[][] tokens, int i) {
    tokens[i] = LoadCoordinator.token();
    try {
      return herd.addLeaseAsync(lease, tokens[i]);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Waits for every add of a window (each bounded by the transport's own timeout) and tells which
   * took their lease. When one failed, the leases the others took are given back (best effort) and
   * the failure is thrown.
   */
  private boolean[] answers(List<CompletableFuture<Boolean>> asked, String[] leases, byte[][] tokens) {
    boolean[] taken = new boolean[asked.size()];
    RuntimeException failed = null;
    for (int i = 0; i < taken.length; i++) {
      try {
        taken[i] = asked.get(i).join();
      } catch (CompletionException | java.util.concurrent.CancellationException e) {
        RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
        if (failed == null) {
          failed = cause;
        } else if (failed != cause) {
          failed.addSuppressed(cause);
        }
      }
    }
    if (failed != null) {
      try {
        giveBack(leases, tokens, taken, 0);
      } catch (RuntimeException also) {
        failed.addSuppressed(also); // what is not given back expires by itself
      }
      throw failed;
    }
    return taken;
  }

  /**
   * Gives back, waiting for memcached's answers, the leases taken from index {@code from} on; throws,
   * once it has tried them all, when one cannot be confirmed gone (the batch must not wait while
   * holding a key after the one it waits for).
   */
  private void giveBack(String[] leases, byte[][] tokens, boolean[] taken, int from) {
    sendingUninterrupted(() -> giveBackFrom(leases, tokens, taken, from));
  }

  /**
   * Runs {@code sends} with this thread's interrupt flag cleared, then sets it again if it was set:
   * the client refuses to send for an interrupted thread, and what must go anyway (a give-back, a
   * release, the deletes after a failed write-through) would otherwise be left undone.
   */
  public static void sendingUninterrupted(Runnable sends) {
    boolean interrupted = Thread.interrupted();
    try {
      sends.run();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void giveBackFrom(String[] leases, byte[][] tokens, boolean[] taken, int from) {
    CacheException kept = null;
    for (int i = from; i < leases.length; i++) {
      if (leases[i] == null || !taken[i]) {
        continue;
      }
      try {
        herd.releasing(leases[i], tokens[i]).join();
        Item left = herd.transport.gets(leases[i]);
        if (left != null && Arrays.equals(left.value(), tokens[i])) {
          throw new CacheException("could not give back the lease " + leases[i] + ", taken out of order: "
              + "the batch lets everything go rather than wait for a key before it holding it");
        }
        taken[i] = false;
      } catch (RuntimeException e) {
        CacheException failed = e instanceof CacheException c ? c : new CacheException(e);
        if (kept == null) {
          kept = failed;
        } else {
          kept.addSuppressed(failed);
        }
      }
    }
    if (kept != null) {
      throw kept;
    }
  }

  /** Gives back the turns of the window from index {@code from} on, the last first. */
  private void leaveFrom(List<String> window, KeyTurns.Gate[] gates, int from) {
    for (int i = gates.length - 1; i >= from; i--) {
      if (gates[i] != null) {
        herd.turns.leave(window.get(i), gates[i]);
        gates[i] = null;
      }
    }
  }

  /**
   * Lets go of the holds of {@link #holdAll}: the leases released {@value #WINDOW} at a time
   * (waiting, within the lease timeout in all, for memcached's answers; an interrupted thread sends
   * them all and waits for none, its flag cleared meanwhile so the client takes them), then this
   * JVM's turns, the last taken first, whatever happened to the leases.
   */
  public void releaseAll(List<Hold> held) {
    boolean interrupted = Thread.interrupted();
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(herd.leaseMillis);
      List<CompletableFuture<Void>> window = new ArrayList<>(WINDOW);
      for (Hold h : held) {
        if (h.lease == null) {
          continue;
        }
        LoadCoordinator.HELD.get().remove(h.lease);
        window.add(herd.releasing(h.lease, h.token));
        if (window.size() == WINDOW) {
          interrupted |= await(window, interrupted ? 0 : deadline - System.nanoTime());
          window.clear();
        }
      }
      interrupted |= await(window, interrupted ? 0 : deadline - System.nanoTime());
    } finally {
      for (int i = held.size() - 1; i >= 0; i--) {
        Hold h = held.get(i);
        if (h.herd != null) {
          herd.turns.leave(h.mkey, h.gate);
        }
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Waits up to {@code nanos} for the releases; one that fails or takes longer is left to the
   * lease's own expiry. Returns true when the wait was interrupted (the flag is then cleared).
   */
  private static boolean await(List<CompletableFuture<Void>> releases, long nanos) {
    if (releases.isEmpty() || nanos <= 0) {
      return false;
    }
    try {
      CompletableFuture.allOf(releases.toArray(new CompletableFuture<?>[0])).get(nanos, TimeUnit.NANOSECONDS);
      return false;
    } catch (InterruptedException e) {
      return true;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /** A key held by {@link #hold}; {@link #close} lets it go (the lease, then this JVM's turn). */
  public static final class Hold implements AutoCloseable {
    static final Hold NOTHING = new Hold(null, null, null, null, null, BoundedWait.NONE);

    private final LoadCoordinator herd;
    private final String mkey;
    private final KeyTurns.Gate gate;
    private final String lease;
    private final byte[] token;
    private final BoundedWait wait;

    private Hold(LoadCoordinator herd, String mkey, KeyTurns.Gate gate, String lease, byte[] token, BoundedWait wait) {
      this.herd = herd;
      this.mkey = mkey;
      this.gate = gate;
      this.lease = lease;
      this.token = token;
      this.wait = wait;
    }

    /**
     * The wait that took this hold, whose deadline the holder's later waits on the key share (its
     * turn for events); {@link BoundedWait#NONE} for a key the thread held already.
     */
    public BoundedWait waited() {
      return wait;
    }

    @Override
    public void close() {
      if (herd == null) {
        return;
      }
      try {
        if (lease != null) {
          LoadCoordinator.HELD.get().remove(lease);
          herd.release(lease, token);
        }
      } finally {
        herd.turns.leave(mkey, gate);
      }
    }
  }
}
