package io.github.newcache.internal.store;

import io.github.newcache.internal.expiry.Expiry;
import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.near.NearCache;
import io.github.newcache.internal.store.EntryStore.Remapping;
import io.github.newcache.internal.transport.CasOutcome;
import io.github.newcache.internal.transport.MemcachedTransport;
import java.util.concurrent.CompletableFuture;
import javax.cache.CacheException;

/**
 * One cache's read-decide-write, the loop every decision on an entry goes through ({@link
 * EntryStore#compute}): read with {@code gets}, ask the caller's remapping function what to do,
 * apply it with {@code add} (nothing was there) or {@code cas} (something was), and start over when
 * another client changed the item in between. A removal is a {@code cas} with an exptime long past,
 * which memcached applies as an atomic delete. Blocking and not: {@link #computeAsync} runs each
 * attempt when the last one's answer arrives, in the thread that completes the transport's future.
 *
 * <p>Near cache: every attempt that sent a command tells it what memcached now holds (the bytes
 * written, or nothing after a removal, a touch or a failure) before the call returns.
 */
final class EntryCompute<K, V> {

  /** Attempts of one compute before it gives up on a key that other clients keep changing. */
  static final int MAX_ATTEMPTS = 10_000;
  private static final byte[] TOMBSTONE = {0};

  private final EntryStore<K, V> store;
  private final String cacheName;
  private final MemcachedTransport transport;
  private final NearCache near;
  private final EntryCodec<K, V> entryCodec;

  EntryCompute(EntryStore<K, V> store, EntryCodec<K, V> entryCodec, String cacheName, MemcachedTransport transport,
      NearCache near) {
    this.store = store;
    this.cacheName = cacheName;
    this.transport = transport;
    this.near = near;
    this.entryCodec = entryCodec;
  }

  /**
   * {@link EntryStore#compute(Slot, Current, EntryStore.Remapping)}: the first attempt decides on
   * {@code first} when it is not null, else on what it reads.
   */
  Applied<V> compute(Slot<K> s, Current<V> first, Remapping<V> remapping) {
    Current<V> next = first;
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      Current<V> cur = next != null ? next : store.getForUpdate(s);
      next = null;
      Decision<V> d = remapping.decide(cur);
      long at = Expiry.resolve(d.expiresAt(), cur.expiresAt());
      NearCache.Ticket ticket = near.ticket(s.memcachedKey());
      byte[] held = UNKNOWN;
      try {
        held = apply(s, cur, d, at);
      } finally {
        settleNear(ticket, cur, held);
      }
      if (held != CONFLICT) {
        return new Applied<>(cur, d, at);
      }
    }
    throw contention(s);
  }

  /**
   * Tells the near cache what memcached holds after an attempt: the bytes written, or nothing
   * (removed, touched, failed). When nothing was sent, what was just read is what memcached holds:
   * an entry held with other bytes (the item is gone, or changed by another client) is dropped, not
   * served for up to δ more. When another client changed the item first, it is dropped too.
   */
  private void settleNear(NearCache.Ticket ticket, Current<V> cur, byte[] held) {
    if (held == KEPT) {
      near.sentNothing(ticket, cur.raw());
    } else if (held == CONFLICT) {
      near.written(ticket, null);
    } else {
      near.written(ticket, held);
    }
  }

  private CacheException contention(Slot<K> s) {
    return new CacheException(
        "gave up on key " + EntryStore.abbreviate(s.key()) + " in cache " + cacheName + " after " + MAX_ATTEMPTS
            + " attempts: other clients kept changing it");
  }

  /** What {@link #apply} answers when it left memcached as it was. */
  private static final byte[] KEPT = new byte[0];
  /** What {@link #apply} answers when another client changed the item first. */
  private static final byte[] CONFLICT = new byte[0];
  /** Neither: the command failed, so what memcached holds is not known. */
  private static final byte[] UNKNOWN = null;

  /**
   * Applies {@code d} over what {@code cur} read. Answers the bytes memcached now holds for the key
   * after a write, null after a removal or a touch (whose outcome is not checked), {@link #KEPT}
   * when nothing was sent, or {@link #CONFLICT} when another client changed the item first.
   */
  private byte[] apply(Slot<K> s, Current<V> cur, Decision<V> d, long at) {
    String mkey = s.memcachedKey();
    long now = cur.now();
    return switch (d.kind()) {
      case KEEP -> KEPT;
      case TOUCH -> {
        if (at != cur.expiresAt() && cur.exists()) {
          byte[] touched = at <= now ? TOMBSTONE : Envelope.withExpiry(cur.raw(), at);
          transport.cas(mkey, cur.cas(), at <= now ? Ttl.EXPIRED : store.ttl(at, now), touched);
          yield null;
        }
        yield KEPT;
      }
      case REMOVE -> erase(mkey, cur);
      case WRITE -> {
        if (at <= now) {
          yield erase(mkey, cur);
        }
        byte[] stored = entryCodec.stored(s, d.value(), at);
        if (!cur.exists()) {
          yield transport.add(mkey, store.ttl(at, now), stored) ? stored : CONFLICT;
        }
        yield transport.cas(mkey, cur.cas(), store.ttl(at, now), stored) == CasOutcome.STORED ? stored : CONFLICT;
      }
    };
  }

  /** Removes what {@code cur} read: null when removed, {@link #KEPT} when nothing was there, else {@link #CONFLICT}. */
  private byte[] erase(String mkey, Current<V> cur) {
    if (!cur.exists()) {
      return KEPT;
    }
    return transport.cas(mkey, cur.cas(), Ttl.EXPIRED, TOMBSTONE) == CasOutcome.STORED ? null : CONFLICT;
  }

  /**
   * {@link #compute}, without blocking, from attempt {@code attempt} on: each attempt starts when
   * the last one's answer arrives.
   */
  CompletableFuture<Applied<V>> computeAsync(Slot<K> s, Remapping<V> remapping, int attempt) {
    if (attempt >= MAX_ATTEMPTS) {
      return CompletableFuture.failedFuture(contention(s));
    }
    return transport.getsAsync(s.memcachedKey())
        .thenCompose(item -> {
          Current<V> cur = item == null ? store.current(s, null, 0) : store.current(s, item.value(), item.cas());
          Decision<V> d = remapping.decide(cur);
          long at = Expiry.resolve(d.expiresAt(), cur.expiresAt());
          NearCache.Ticket ticket = near.ticket(s.memcachedKey());
          return applyAsync(s, cur, d, at)
              .whenComplete((held, e) -> settleNear(ticket, cur, e != null ? UNKNOWN : held))
              .thenCompose(held -> held != CONFLICT
                  ? CompletableFuture.completedFuture(new Applied<>(cur, d, at))
                  : computeAsync(s, remapping, attempt + 1));
        });
  }

  /** {@link #apply}, without blocking; answers as it does. */
  private CompletableFuture<byte[]> applyAsync(Slot<K> s, Current<V> cur, Decision<V> d, long at) {
    String mkey = s.memcachedKey();
    long now = cur.now();
    return switch (d.kind()) {
      case KEEP -> KEPT_NOW;
      case TOUCH -> {
        if (at != cur.expiresAt() && cur.exists()) {
          byte[] touched = at <= now ? TOMBSTONE : Envelope.withExpiry(cur.raw(), at);
          yield transport.casAsync(mkey, cur.cas(), at <= now ? Ttl.EXPIRED : store.ttl(at, now), touched)
              .handle((outcome, e) -> (byte[]) null); // best effort, like the blocking form
        }
        yield KEPT_NOW;
      }
      case REMOVE -> eraseAsync(mkey, cur);
      case WRITE -> {
        if (at <= now) {
          yield eraseAsync(mkey, cur);
        }
        byte[] stored = entryCodec.stored(s, d.value(), at);
        if (!cur.exists()) {
          yield transport.addAsync(mkey, store.ttl(at, now), stored).thenApply(added -> added ? stored : CONFLICT);
        }
        yield transport.casAsync(mkey, cur.cas(), store.ttl(at, now), stored)
            .thenApply(o -> o == CasOutcome.STORED ? stored : CONFLICT);
      }
    };
  }

  private CompletableFuture<byte[]> eraseAsync(String mkey, Current<V> cur) {
    return !cur.exists()
        ? KEPT_NOW
        : transport.casAsync(mkey, cur.cas(), Ttl.EXPIRED, TOMBSTONE).thenApply(o -> o == CasOutcome.STORED ? null : CONFLICT);
  }

  private static final CompletableFuture<byte[]> KEPT_NOW = CompletableFuture.completedFuture(KEPT);
}
