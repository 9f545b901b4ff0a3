package io.github.newcache.internal.herd;

import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.transport.BestEffort;
import io.github.newcache.internal.transport.MemcachedTransport;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Leases whose {@code add} or release memcached did not answer (a timeout, a server frozen or
 * gone), given back once it answers again. A timed-out {@code add} may still be applied: a frozen
 * server (SIGSTOP, a long GC pause of its host) reads it from the socket when it resumes, and takes
 * the lease for a holder who already gave up; a timed-out release leaves the lease in place. Left
 * to its TTL, such a lease made the key's next load or write-through wait the whole lease timeout
 * after the server was back.
 *
 * <p>So the release ({@code gets}, then a removal by CAS when the lease still holds the token) is
 * tried again on the scheduler, first after {@value #FIRST_RETRY_MILLIS} ms, backing off to every
 * {@value #MAX_RETRY_MILLIS} ms, until memcached answers it, or until the lease's TTL is over (it
 * is gone by itself then), or the manager closes (its scheduler refuses the retry). Each try is
 * one {@code gets} (and a {@code cas} when the lease is still this holder's), sent best effort
 * ({@link BestEffort}): a full queue refuses it at once, and it is tried later. The token makes it
 * safe when the add was never applied: another holder's lease is left alone.
 */
final class LateReleases {

  static final long FIRST_RETRY_MILLIS = 50;
  static final long MAX_RETRY_MILLIS = 1_000;

  private final MemcachedTransport transport;
  private final ScheduledExecutorService scheduler;
  private final int leaseTtlSeconds;

  LateReleases(MemcachedTransport transport, ScheduledExecutorService scheduler, int leaseTtlSeconds) {
    this.transport = transport;
    this.scheduler = scheduler;
    this.leaseTtlSeconds = leaseTtlSeconds;
  }

  /** Releases {@code lease}, if it holds {@code token}, once memcached answers, as the class comment says. */
  void retry(String lease, byte[] token) {
    later(lease, token, System.nanoTime() + TimeUnit.SECONDS.toNanos(leaseTtlSeconds), FIRST_RETRY_MILLIS);
  }

  // FutureReturnValueIgnored: the scheduled try is never cancelled; it ends by itself.
  @SuppressWarnings("FutureReturnValueIgnored")
  private void later(String lease, byte[] token, long until, long delayMillis) {
    if (scheduler == null || System.nanoTime() - until >= 0) {
      return; // no scheduler (tests), or the lease has expired by itself
    }
    try {
      scheduler.schedule(() -> attempt(lease, token, until, delayMillis), delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closed) {
      // the manager closed: the lease expires by itself
    }
  }

  // FutureReturnValueIgnored: whenComplete's future only schedules the next try.
  @SuppressWarnings("FutureReturnValueIgnored")
  private void attempt(String lease, byte[] token, long until, long delayMillis) {
    answered(lease, token).whenComplete((done, e) -> {
      if (!Boolean.TRUE.equals(done)) {
        later(lease, token, until, Math.min(MAX_RETRY_MILLIS, delayMillis * 2));
      }
    });
  }

  /** One try: true once memcached answered it (the lease gone, another holder's, or removed now). */
  private CompletableFuture<Boolean> answered(String lease, byte[] token) {
    try {
      return BestEffort.send(() -> transport.getsAsync(lease))
          .thenCompose(item -> item != null && Arrays.equals(item.value(), token)
              ? BestEffort.send(() -> transport.casAsync(lease, item.cas(), Ttl.EXPIRED, new byte[] {0})).thenApply(o -> true)
              : CompletableFuture.completedFuture(true))
          .exceptionally(failed -> false);
    } catch (RuntimeException refused) {
      return CompletableFuture.completedFuture(false);
    }
  }
}
