package io.github.newcache.internal.herd;

import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.transport.BestEffort;
import io.github.newcache.internal.transport.MemcachedTransport;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Leases that may be held though their holder gave up on them, given back once memcached answers
 * again: one whose {@code add} timed out, and one whose release failed. A timed-out {@code add}
 * may still be applied: a frozen server (SIGSTOP, a long GC pause of its host) reads it from the
 * socket when it resumes, and takes the lease for a holder who already gave up; a release that
 * failed leaves the lease in place. Left to its TTL, such a lease made the key's next load or
 * write-through wait the whole lease timeout after the server was back. An {@code add} refused
 * before it was sent, or cancelled because its server is not connected, took nothing and is not
 * tried again ({@link io.github.newcache.internal.transport.Unanswered}; the caller tells).
 *
 * <p>So the release ({@code gets}, then a removal by CAS when the lease still holds one of the
 * tokens given up on) is tried again on the scheduler, first after {@value #FIRST_RETRY_MILLIS}
 * ms, backing off to every {@value #MAX_RETRY_MILLIS} ms, until memcached answers it, or until the
 * lease's TTL is over (it is gone by itself then), or the manager closes (its scheduler refuses the
 * retry). Each try is one {@code gets} (and a {@code cas} when the lease is still a token's given
 * up on), sent best effort ({@link BestEffort}): a full queue refuses it at once, and it is tried
 * later. The token makes it safe when the add was never applied: another holder's lease is left
 * alone.
 *
 * <p>Bounded: a lease has one chain of tries on the scheduler, whatever number of its tokens wait
 * (each of its adds that timed out, and its failed releases, tried together; a token given twice,
 * its add's and then its release's, is tried once), and at most {@value #MAX_PENDING} tokens of a
 * cache wait at once. Past that, a lease given up on is left to its TTL (the lease timeout), as it
 * was before these retries: a server frozen under a storm of writes lets the first ones go back at
 * once and holds the rest for the lease timeout.
 */
final class LateReleases {

  static final long FIRST_RETRY_MILLIS = 50;
  static final long MAX_RETRY_MILLIS = 1_000;
  /** The most tokens of one cache waiting for their release at once; past it, a lease is left to its TTL. */
  static final int MAX_PENDING = 2_048;

  private final MemcachedTransport transport;
  private final ScheduledExecutorService scheduler;
  private final int leaseTtlSeconds;
  /** The leases with tokens waiting, each tried by one chain; guarded by {@code this}. */
  private final Map<String, Pending> pending = new HashMap<>();
  /** How many tokens wait in all; guarded by {@code this}. */
  private int waiting;

  LateReleases(MemcachedTransport transport, ScheduledExecutorService scheduler, int leaseTtlSeconds) {
    this.transport = transport;
    this.scheduler = scheduler;
    this.leaseTtlSeconds = leaseTtlSeconds;
  }

  /**
   * Releases {@code lease}, if it holds {@code token}, once memcached answers, as the class comment
   * says: joins the lease's chain of tries, or starts it; nothing when the token waits already, or
   * when {@value #MAX_PENDING} do.
   */
  void retry(String lease, byte[] token) {
    if (scheduler == null) {
      return; // no scheduler (tests): the lease expires by itself
    }
    Token t = new Token(token, System.nanoTime() + TimeUnit.SECONDS.toNanos(leaseTtlSeconds));
    Pending chain;
    synchronized (this) {
      chain = pending.get(lease);
      if (chain != null && chain.holds(token)) {
        return;
      }
      if (waiting >= MAX_PENDING) {
        return; // left to its TTL
      }
      waiting++;
      if (chain != null) {
        chain.tokens.add(t); // its chain's next try takes it too
        return;
      }
      chain = new Pending(lease);
      chain.tokens.add(t);
      pending.put(lease, chain);
    }
    later(chain, FIRST_RETRY_MILLIS);
  }

  /** How many tokens wait for their release now. */
  synchronized int waiting() {
    return waiting;
  }

  // FutureReturnValueIgnored: the scheduled try is never cancelled; it ends by itself.
  @SuppressWarnings("FutureReturnValueIgnored")
  private void later(Pending chain, long delayMillis) {
    try {
      scheduler.schedule(() -> attempt(chain, delayMillis), delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      synchronized (this) { // the manager closed: the leases expire by themselves
        drop(chain, new ArrayList<>(chain.tokens));
      }
    }
  }

  // FutureReturnValueIgnored: whenComplete's future only schedules the next try.
  @SuppressWarnings("FutureReturnValueIgnored")
  private void attempt(Pending chain, long delayMillis) {
    List<Token> trying;
    synchronized (this) {
      long now = System.nanoTime();
      List<Token> expired = new ArrayList<>();
      for (Token t : chain.tokens) {
        if (now - t.until >= 0) {
          expired.add(t);
        }
      }
      if (drop(chain, expired)) {
        return;
      }
      trying = new ArrayList<>(chain.tokens);
    }
    answered(chain.lease, trying).whenComplete((done, e) -> {
      synchronized (this) {
        if (Boolean.TRUE.equals(done) && drop(chain, trying)) {
          return;
        }
      }
      // not answered, or tokens given meanwhile, whose adds the answer may have come before
      later(chain, Boolean.TRUE.equals(done) ? FIRST_RETRY_MILLIS : Math.min(MAX_RETRY_MILLIS, delayMillis * 2));
    });
  }

  /** Forgets {@code tokens} of {@code chain}, and the chain once it has none left (then true); holding {@code this}. */
  private boolean drop(Pending chain, List<Token> tokens) {
    for (Token t : tokens) {
      if (chain.tokens.remove(t)) {
        waiting--;
      }
    }
    if (chain.tokens.isEmpty()) {
      pending.remove(chain.lease, chain);
      return true;
    }
    return false;
  }

  /**
   * One try: true once memcached answered it (the lease gone, another holder's, or removed now as
   * one of {@code tokens}).
   */
  private CompletableFuture<Boolean> answered(String lease, List<Token> tokens) {
    try {
      return BestEffort.send(() -> transport.getsAsync(lease))
          .thenCompose(item -> item != null && tokens.stream().anyMatch(t -> Arrays.equals(item.value(), t.value))
              ? BestEffort.send(() -> transport.casAsync(lease, item.cas(), Ttl.EXPIRED, new byte[] {0})).thenApply(o -> true)
              : CompletableFuture.completedFuture(true))
          .exceptionally(failed -> false);
    } catch (RuntimeException refused) {
      return CompletableFuture.completedFuture(false);
    }
  }

  /** One holder's token, and when its lease expires by itself ({@link System#nanoTime}). */
  private static final class Token {
    final byte[] value;
    final long until;

    Token(byte[] value, long until) {
      this.value = value;
      this.until = until;
    }
  }

  /** A lease's tokens waiting for their release, tried together by one chain of tries. */
  private static final class Pending {
    final String lease;
    /** Guarded by the {@link LateReleases} that holds it. */
    final List<Token> tokens = new ArrayList<>(1);

    Pending(String lease) {
      this.lease = lease;
    }

    boolean holds(byte[] token) {
      for (Token t : tokens) {
        if (Arrays.equals(t.value, token)) {
          return true;
        }
      }
      return false;
    }
  }
}
