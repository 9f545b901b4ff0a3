package io.github.newcache.internal.transport;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.CacheException;

/**
 * Per-server fail-fast for stalled servers. A server that stops answering but keeps its TCP
 * connection (a frozen process, a hung host) is invisible to spymemcached's failure mode: every
 * operation for its keys would wait the whole operation timeout and pile up in its queue.
 *
 * <p>When a server counts as stalled: at least {@code stallTimeouts} operations on it timed out,
 * the first of them at least {@code stallWindow} ago, and it answered nothing since. Both the count
 * and the window guard healthy servers: one slow answer, or a burst of timeouts within a moment
 * (every operation in flight when something paused), is not a stall. Timeouts already exclude the
 * client's own pauses ({@link OperationWait}). A stalled server's operations fail at once for
 * {@code stallCooldown}; then one operation, from any path, goes through as a probe. Any answer
 * from the server closes the breaker; the probe's timeout opens it for another cool-down; and a
 * probe whose outcome is never reported (its caller failed on another server first) lets another
 * probe through after {@code probeLease}, so a breaker can never stay open once the server answers.
 *
 * <p>Only connected servers are judged. A server whose connection is down is left to {@code
 * failureMode}: failed at once (cancel), moved to other servers (redistribute) or waited for
 * (retry); the caller checks the connection before asking here.
 *
 * <p>Cost when every server is healthy: one volatile read per operation ({@link #anySuspect}).
 */
final class NodeBreakers {

  private final int threshold;
  private final long windowNanos;
  private final long cooldownNanos;
  private final long probeLeaseNanos;
  private final Map<SocketAddress, Breaker> breakers = new ConcurrentHashMap<>();
  /** Breakers with a timeout counted or open; zero means the fast path. */
  private final AtomicInteger suspects = new AtomicInteger();

  /**
   * @param threshold timeouts that make a stall ({@code stallTimeouts}); 0 turns detection off
   * @param windowMillis how long those timeouts must span without an answer ({@code stallWindow})
   * @param cooldownMillis how long a stalled server fails fast before a probe ({@code stallCooldown})
   * @param probeLeaseMillis how long a probe's outcome is awaited before another probe may go
   */
  NodeBreakers(int threshold, long windowMillis, long cooldownMillis, long probeLeaseMillis) {
    this.threshold = threshold;
    this.windowNanos = windowMillis * 1_000_000L;
    this.cooldownNanos = cooldownMillis * 1_000_000L;
    this.probeLeaseNanos = probeLeaseMillis * 1_000_000L;
  }

  /** False when no server has a timeout counted: then nothing else here needs to be called. */
  boolean anySuspect() {
    return threshold > 0 && suspects.get() > 0;
  }

  /**
   * Before an operation ({@code what}) on {@code server}: returns when it may go (perhaps as the
   * probe); throws when the server is stalled.
   */
  void admit(SocketAddress server, String what) {
    Breaker b = breakers.get(server);
    if (b != null && !b.tryPass(System.nanoTime())) {
      throw new CacheException(
          "memcached at " + name(server) + " is stalled: " + b.describe()
              + "; failing " + what + " at once until it answers a probe "
              + "(stallTimeouts/stallWindow/stallCooldown)");
    }
  }

  /** An operation on {@code server} got an answer (or a failure that is not a timeout). */
  void answered(SocketAddress server) {
    Breaker b = breakers.get(server);
    if (b != null) {
      b.answered();
    }
  }

  /**
   * {@code server}'s connection was lost and made again: its earlier timeouts belonged to the lost
   * connection, so judging starts over (a new connection that stays silent is found again).
   */
  void reconnected(SocketAddress server) {
    answered(server);
  }

  /** An operation on {@code server} timed out. */
  void timedOut(SocketAddress server) {
    if (threshold > 0 && server != null) {
      breakers.computeIfAbsent(server, Breaker::new).timedOut(System.nanoTime());
    }
  }

  /** Servers whose operations currently fail fast. */
  List<SocketAddress> stalled() {
    List<SocketAddress> out = new ArrayList<>();
    for (Breaker b : breakers.values()) {
      if (b.isOpen()) {
        out.add(b.server);
      }
    }
    return out;
  }

  static String name(SocketAddress a) {
    if (a instanceof InetSocketAddress i) {
      return i.getHostString() + ":" + i.getPort();
    }
    return String.valueOf(a);
  }

  /** One server's state; all transitions are synchronized. */
  private final class Breaker {
    final SocketAddress server;
    /** Read without the lock on the paths every operation takes; written under it. */
    private volatile boolean suspect;
    private int timeouts;
    private long firstTimeout;
    private boolean open;
    private long openUntil;
    private long probeUntil;

    Breaker(SocketAddress server) {
      this.server = server;
    }

    synchronized boolean isOpen() {
      return open;
    }

    boolean tryPass(long now) {
      return !suspect || tryPassSuspect(now);
    }

    private synchronized boolean tryPassSuspect(long now) {
      if (!suspect) {
        return true;
      }
      if (!open) {
        if (!stalled(now)) {
          return true;
        }
        openFor(now);
        return false;
      }
      if (now - openUntil < 0 || now - probeUntil < 0) {
        return false; // cooling down, or a probe is out
      }
      probeUntil = now + probeLeaseNanos; // this operation is the probe
      return true;
    }

    void answered() {
      if (suspect) {
        closeOnAnswer();
      }
    }

    private synchronized void closeOnAnswer() {
      if (suspect) {
        suspect = false;
        suspects.decrementAndGet();
      }
      timeouts = 0;
      open = false;
      probeUntil = 0;
    }

    synchronized void timedOut(long now) {
      if (!suspect) {
        suspect = true;
        suspects.incrementAndGet();
        timeouts = 0;
        firstTimeout = now;
      }
      timeouts++;
      if (open || stalled(now)) {
        openFor(now); // a probe timed out, or the stall is now proven
      }
    }

    private boolean stalled(long now) {
      return timeouts >= threshold && now - firstTimeout >= windowNanos;
    }

    private void openFor(long now) {
      open = true;
      openUntil = now + cooldownNanos;
      probeUntil = now;
    }

    synchronized String describe() {
      return timeouts + " operations timed out over "
          + (System.nanoTime() - firstTimeout) / 1_000_000 + " ms without an answer";
    }
  }
}
