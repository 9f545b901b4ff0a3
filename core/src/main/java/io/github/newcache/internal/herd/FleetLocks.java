package io.github.newcache.internal.herd;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;

/**
 * Keys held for the whole fleet while a write-through operation calls its writer and writes
 * memcached, so that two clients never interleave the two: this JVM's turn on each key (the turns of
 * {@link LoadCoordinator#exclusive}) and, across JVMs, the key's lease (the lease of a load, {@link
 * LoadCoordinator}). A batch asks for all its leases at once ({@link #holdAll}).
 */
public final class FleetLocks {

  private final LoadCoordinator herd;

  FleetLocks(LoadCoordinator herd) {
    this.herd = herd;
  }

  /**
   * Holds the key for the whole fleet until the returned hold is closed, on this thread: one
   * thread of this JVM at a time ({@link LoadCoordinator#exclusive}) and, across JVMs, the key's
   * lease, waiting (bounded by the lease timeout) for another holder to release it; past the
   * timeout the caller goes on without the lease. A thread that already holds the key gets a hold
   * that lets nothing go.
   */
  public Hold hold(String mkey) {
    return holdAll(List.of(mkey));
  }

  /**
   * {@link #hold} of every key of {@code sorted} (in memcached-key order, without repeats), as
   * holding them one after another in that order would, in fewer round trips: this JVM's turns are
   * taken in order, then every lease is asked for at once. From the first lease another client
   * holds on, the leases got after it are given back and taken one by one as {@link #hold} takes
   * them, so a batch waits only while holding keys before the one it waits for, as taking them in
   * order does: no two batches wait for each other in a cycle. Keys this thread holds already are
   * left out.
   */
  public Hold holdAll(List<String> sorted) {
    Set<String> mine = LoadCoordinator.HELD.get();
    List<String> keys = new ArrayList<>(sorted.size());
    for (String mkey : sorted) {
      if (!mine.contains(LoadCoordinator.leaseKey(mkey))) {
        keys.add(mkey);
      }
    }
    int n = keys.size();
    if (n == 0) {
      return Hold.NOTHING;
    }
    LoadCoordinator.Gate[] gates = new LoadCoordinator.Gate[n];
    String[] leases = new String[n];
    byte[][] tokens = new byte[n][];
    int entered = 0;
    try {
      for (; entered < n; entered++) {
        gates[entered] = herd.enter(keys.get(entered)).gate();
      }
      if (n == 1) {
        take(keys, 0, leases, tokens, mine);
      } else {
        takeAll(keys, leases, tokens, mine);
      }
      return new Hold(this, keys, gates, leases, tokens);
    } catch (RuntimeException | Error e) {
      try {
        releaseAll(leases, tokens);
      } finally {
        leaveAll(keys, gates, entered);
      }
      throw e;
    }
  }

  /** Asks for every lease at once; from the first another client holds on, takes them one by one. */
  // FutureReturnValueIgnored: after a failure, the leases still on their way are given back when
  // they come; nobody waits for that.
  @SuppressWarnings("FutureReturnValueIgnored")
  private void takeAll(List<String> keys, String[] leases, byte[][] tokens, Set<String> mine) {
    int n = keys.size();
    List<CompletableFuture<Boolean>> adds = new ArrayList<>(n);
    byte[][] asked = new byte[n][];
    for (int i = 0; i < n; i++) {
      asked[i] = LoadCoordinator.token();
      adds.add(herd.transport.addAsync(LoadCoordinator.leaseKey(keys.get(i)), herd.leaseTtl(), asked[i]));
    }
    int first = n; // the first key whose lease another client holds
    try {
      for (int i = 0; i < n; i++) {
        boolean got = joined(adds.get(i));
        if (got && i < first) {
          leases[i] = LoadCoordinator.leaseKey(keys.get(i));
          tokens[i] = asked[i];
          mine.add(leases[i]);
        } else if (got) {
          herd.releaseAsync(LoadCoordinator.leaseKey(keys.get(i)), asked[i]); // after the one waited for: given back
        } else if (first == n) {
          first = i;
        }
      }
    } catch (RuntimeException | Error e) {
      for (int i = 0; i < n; i++) {
        if (leases[i] == null) {
          String lease = LoadCoordinator.leaseKey(keys.get(i));
          byte[] token = asked[i];
          adds.get(i).thenAccept(got -> {
            if (got) {
              herd.releaseAsync(lease, token);
            }
          });
        }
      }
      throw e;
    }
    for (int i = first; i < n; i++) {
      take(keys, i, leases, tokens, mine);
    }
  }

  /** {@code f}'s value once done; its failure as it was thrown (a {@code CacheException}), not wrapped. */
  private static <T> T joined(CompletableFuture<T> f) {
    try {
      return f.join();
    } catch (CompletionException e) {
      throw e.getCause() instanceof RuntimeException r ? r : e;
    }
  }

  /** Takes the lease of key {@code i}, waiting as {@link #hold} does; none past the lease timeout. */
  private void take(List<String> keys, int i, String[] leases, byte[][] tokens, Set<String> mine) {
    String lease = LoadCoordinator.leaseKey(keys.get(i));
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(herd.leaseMillis);
    long poll = LoadCoordinator.FIRST_POLL_MILLIS;
    while (true) {
      byte[] token = LoadCoordinator.token();
      if (herd.transport.add(lease, herd.leaseTtl(), token)) {
        leases[i] = lease;
        tokens[i] = token;
        mine.add(lease);
        return;
      }
      if (System.nanoTime() >= deadline) {
        herd.stats.leaseTimeouts.increment();
        return;
      }
      LoadCoordinator.sleep(poll);
      poll = Math.min(LoadCoordinator.MAX_POLL_MILLIS, poll * 2);
    }
  }

  /**
   * Gives back the leases taken (null: none for that key): a single one as a load's lease is given
   * back, several at once, waiting for all (each bounded by the operation timeout).
   */
  private void releaseAll(String[] leases, byte[][] tokens) {
    Set<String> mine = LoadCoordinator.HELD.get();
    List<CompletableFuture<Void>> releases = new ArrayList<>(leases.length);
    int taken = 0;
    int last = -1;
    for (int i = 0; i < leases.length; i++) {
      if (leases[i] != null) {
        mine.remove(leases[i]);
        taken++;
        last = i;
      }
    }
    if (taken == 1) {
      herd.release(leases[last], tokens[last]);
      return;
    }
    boolean interrupted = Thread.interrupted();
    for (int i = 0; i < leases.length; i++) {
      if (leases[i] != null) {
        releases.add(herd.releasing(leases[i], tokens[i]));
      }
    }
    if (interrupted) {
      Thread.currentThread().interrupt(); // nobody waits: they go out all the same
      return;
    }
    for (CompletableFuture<Void> r : releases) {
      try {
        r.join();
      } catch (RuntimeException e) {
        // the lease expires by itself
      }
    }
  }

  /** Gives back this JVM's turns on the first {@code entered} keys, the last taken first. */
  private void leaveAll(List<String> keys, LoadCoordinator.Gate[] gates, int entered) {
    for (int i = entered - 1; i >= 0; i--) {
      herd.leave(keys.get(i), gates[i]);
    }
  }

  /**
   * Keys held by {@link #hold} or {@link #holdAll}; {@link #close} lets them go (the leases, then
   * this JVM's turns).
   */
  public static final class Hold implements AutoCloseable {
    static final Hold NOTHING = new Hold(null, List.of(), new LoadCoordinator.Gate[0], new String[0], new byte[0][]);

    private final FleetLocks owner;
    private final List<String> mkeys;
    private final LoadCoordinator.Gate[] gates;
    private final String[] leases;
    private final byte[][] tokens;

    private Hold(FleetLocks owner, List<String> mkeys, LoadCoordinator.Gate[] gates, String[] leases, byte[][] tokens) {
      this.owner = owner;
      this.mkeys = mkeys;
      this.gates = gates;
      this.leases = leases;
      this.tokens = tokens;
    }

    @Override
    public void close() {
      if (owner == null) {
        return;
      }
      try {
        owner.releaseAll(leases, tokens);
      } finally {
        owner.leaveAll(mkeys, gates, gates.length);
      }
    }
  }
}
