package io.github.newcache.internal.near;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * Revalidates entries that readers keep using before they go stale, many per round trip, so that
 * readers rarely pay a round trip themselves: an entry served when older than δ/2 is queued
 * (once), and the queue goes out as one non-blocking multi-get when it holds {@value #BATCH} keys
 * or its first key has waited δ/4, sent by whichever reader notices. What comes back is held
 * exactly as a read's fetch would be (stamps taken just before sending), so nothing here stretches
 * the staleness bound: an entry is still never served more than δ after it was checked. Entries
 * nobody reads in the second half of their δ are left to go stale (and revalidate on their next
 * read); while nobody reads, nothing is sent.
 */
final class RefreshAhead {

  static final int BATCH = 100;
  /** Multi-gets that may be under way at once; past it a batch is dropped (its keys revalidate on read). */
  static final int MAX_IN_FLIGHT = 8;

  private final NearCache near;
  private final Function<List<String>, CompletableFuture<Map<String, byte[]>>> getAll;
  private final long dueNanos;
  private final long waitNanos;
  private final AtomicInteger inFlight = new AtomicInteger();
  private List<String> keys = new ArrayList<>();
  private List<NearEntry> held = new ArrayList<>();
  /** When the first key of the queue was queued; 0 while the queue is empty. */
  private volatile long queuedSince;

  RefreshAhead(NearCache near, long stalenessNanos, Function<List<String>, CompletableFuture<Map<String, byte[]>>> getAll) {
    this.near = near;
    this.getAll = getAll;
    this.dueNanos = stalenessNanos / 2;
    this.waitNanos = Math.max(1, stalenessNanos / 4);
  }

  /** A reader was served {@code e}, checked {@code age} ago. */
  void hit(String key, NearEntry e, long age, long now) {
    if (age >= dueNanos && e.queue()) {
      queue(key, e, now);
    }
    long since = queuedSince;
    if (since != 0 && now - since >= waitNanos) {
      send(take(), now);
    }
  }

  private void queue(String key, NearEntry e, long now) {
    Batch full = null;
    synchronized (this) {
      if (keys.isEmpty()) {
        queuedSince = now;
      }
      keys.add(key);
      held.add(e);
      if (keys.size() >= BATCH) {
        full = takeLocked();
      }
    }
    send(full, now);
  }

  private record Batch(List<String> keys, List<NearEntry> held) {
    void drop() {
      held.forEach(NearEntry::unqueue);
    }
  }

  private synchronized Batch take() {
    return keys.isEmpty() ? null : takeLocked();
  }

  private Batch takeLocked() {
    Batch b = new Batch(keys, held);
    keys = new ArrayList<>();
    held = new ArrayList<>();
    queuedSince = 0;
    return b;
  }

  // FutureReturnValueIgnored: nobody waits for a revalidation ahead; its callback holds what came
  // back, and a failure only leaves the keys to revalidate on read.
  @SuppressWarnings("FutureReturnValueIgnored")
  private void send(Batch b, long now) {
    if (b == null) {
      return;
    }
    if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      b.drop(); // memcached is behind: these keys are queued again, or revalidate when read after δ
      return;
    }
    long[] stamps = near.stampsOf(b.keys());
    CompletableFuture<Map<String, byte[]>> answer;
    try {
      answer = getAll.apply(b.keys());
    } catch (RuntimeException e) {
      inFlight.decrementAndGet();
      b.drop();
      return;
    }
    answer.whenComplete((raw, e) -> {
      inFlight.decrementAndGet();
      if (e == null) {
        near.refreshed(b.keys(), b.held(), stamps, now, raw);
      } else {
        b.drop();
      }
    });
  }
}
