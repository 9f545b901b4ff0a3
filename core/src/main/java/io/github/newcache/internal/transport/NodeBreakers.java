package io.github.newcache.internal.transport;

import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.cache.CacheException;

/**
 * Per-server fail-fast for stalled servers. A server that stops answering but keeps its TCP
 * connection (a frozen process, a hung host) is invisible to spymemcached's failure mode: every
 * operation for its keys would wait the whole operation timeout and pile up in its queue. After
 * {@code stallTimeouts} consecutive timeouts on one server, its operations fail at once for {@code
 * stallCooldown}; then one operation goes through as a probe, and its answer closes the breaker
 * (or its timeout opens it for another cool-down).
 *
 * <p>Cost when every server is healthy: one volatile read per operation. Only while some server
 * is suspect does an operation look up its key's server (one ketama hash).
 */
final class NodeBreakers {

  private final Function<String, SocketAddress> locate;
  private final int threshold;
  private final long cooldownNanos;
  private final long timeoutMillis;
  private final Map<SocketAddress, Breaker> breakers = new ConcurrentHashMap<>();
  /** Breakers with a timeout counted or open; zero means the fast path. */
  private final AtomicInteger suspects = new AtomicInteger();

  NodeBreakers(Function<String, SocketAddress> locate, int threshold, long cooldownMillis, long timeoutMillis) {
    this.locate = locate;
    this.threshold = threshold;
    this.cooldownNanos = cooldownMillis * 1_000_000L;
    this.timeoutMillis = timeoutMillis;
  }

  /**
   * Before an operation on {@code key}: null when all servers are healthy; else the key's
   * breaker, to report the outcome to. Throws at once when the key's server is stalled.
   */
  Breaker admit(String key, String op) {
    if (threshold == 0 || suspects.get() == 0) {
      return null;
    }
    Breaker b = breaker(key);
    if (b != null && !b.tryPass()) {
      throw new CacheException(
          "memcached at " + b.server + " is stalled (no answer within " + timeoutMillis
              + " ms); failing " + op + " of " + key + " at once until it answers a probe");
    }
    return b;
  }

  /** The operation got an answer (or a failure that is not a timeout). */
  void answered(Breaker b) {
    if (b != null) {
      b.answered();
    }
  }

  /** The operation on {@code key} timed out. */
  void timedOut(String key, Breaker b) {
    if (threshold == 0) {
      return;
    }
    Breaker breaker = b != null ? b : breaker(key);
    if (breaker != null) {
      breaker.timedOut();
    }
  }

  /** Servers whose operations currently fail fast. */
  java.util.List<SocketAddress> stalled() {
    java.util.List<SocketAddress> out = new java.util.ArrayList<>();
    for (Breaker b : breakers.values()) {
      if (b.isOpen()) {
        out.add(b.server);
      }
    }
    return out;
  }

  private Breaker breaker(String key) {
    SocketAddress server = locate.apply(key);
    return server == null ? null : breakers.computeIfAbsent(server, Breaker::new);
  }

  /** One server's state; transitions are synchronized, the closed check is a volatile read. */
  final class Breaker {
    final SocketAddress server;
    private int timeouts;
    private boolean suspect;
    private volatile long openUntil; // 0 = closed
    private volatile boolean probing;

    Breaker(SocketAddress server) {
      this.server = server;
    }

    boolean isOpen() {
      return openUntil != 0;
    }

    boolean tryPass() {
      long until = openUntil;
      if (until == 0) {
        return true;
      }
      if (System.nanoTime() - until < 0) {
        return false;
      }
      synchronized (this) {
        if (openUntil == 0) {
          return true;
        }
        if (probing || System.nanoTime() - openUntil < 0) {
          return false;
        }
        probing = true; // this operation is the probe
        return true;
      }
    }

    synchronized void answered() {
      timeouts = 0;
      openUntil = 0;
      probing = false;
      if (suspect) {
        suspect = false;
        suspects.decrementAndGet();
      }
    }

    synchronized void timedOut() {
      if (!suspect) {
        suspect = true;
        suspects.incrementAndGet();
      }
      timeouts++;
      if (timeouts >= threshold) {
        long until = System.nanoTime() + cooldownNanos;
        openUntil = until == 0 ? 1 : until;
        probing = false;
      }
    }
  }
}
