package io.github.newcache.internal.herd;

import java.util.Set;
import java.util.concurrent.TimeUnit;

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
   * lease, waiting (bounded by the lease timeout) for another holder to release it; past the
   * timeout the caller goes on without the lease. A thread that already holds the key gets a hold
   * that lets nothing go.
   */
  public Hold hold(String mkey) {
    String lease = LoadCoordinator.leaseKey(mkey);
    Set<String> mine = LoadCoordinator.HELD.get();
    if (mine.contains(lease)) {
      return Hold.NOTHING;
    }
    LoadCoordinator.Entered entered = herd.enter(mkey);
    try {
      long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(herd.leaseMillis);
      long poll = LoadCoordinator.FIRST_POLL_MILLIS;
      while (true) {
        byte[] token = LoadCoordinator.token();
        if (herd.transport.add(lease, herd.leaseTtl(), token)) {
          mine.add(lease);
          return new Hold(herd, mkey, entered.gate(), lease, token);
        }
        if (System.nanoTime() >= deadline) {
          herd.stats.leaseTimeouts.increment();
          return new Hold(herd, mkey, entered.gate(), null, null);
        }
        LoadCoordinator.sleep(poll);
        poll = Math.min(LoadCoordinator.MAX_POLL_MILLIS, poll * 2);
      }
    } catch (RuntimeException | Error e) {
      herd.leave(mkey, entered.gate());
      throw e;
    }
  }

  /** A key held by {@link #hold}; {@link #close} lets it go (the lease, then this JVM's turn). */
  public static final class Hold implements AutoCloseable {
    static final Hold NOTHING = new Hold(null, null, null, null, null);

    private final LoadCoordinator herd;
    private final String mkey;
    private final LoadCoordinator.Gate gate;
    private final String lease;
    private final byte[] token;

    private Hold(LoadCoordinator herd, String mkey, LoadCoordinator.Gate gate, String lease, byte[] token) {
      this.herd = herd;
      this.mkey = mkey;
      this.gate = gate;
      this.lease = lease;
      this.token = token;
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
        herd.leave(mkey, gate);
      }
    }
  }
}
