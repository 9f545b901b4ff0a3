package io.github.newcache.internal.near;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Revalidates the entries readers use before they go stale, many per round trip, so that readers
 * rarely pay a round trip themselves. Every δ/4, the first reader that notices sweeps the held
 * entries and queues each one that was read since it was last checked and is now older than δ/2;
 * the queue goes out as non-blocking multi-gets of {@value #BATCH} keys. What comes back is held
 * exactly as a read's fetch would be (stamps taken just before sending), so nothing here stretches
 * the staleness bound: an entry is still never served more than δ after it was checked. n entries
 * in use cost about n / {@value #BATCH} multi-gets per δ instead of n round trips; entries nobody
 * reads are left to go stale, and while nobody reads at all, nothing is sent.
 */
final class RefreshAhead {

  static final int BATCH = 100;
  /** Multi-gets that may be under way at once; past it a batch is dropped (its keys revalidate on read). */
  static final int MAX_IN_FLIGHT = 16;

  private final NearCache near;
  private final Function<List<String>, CompletableFuture<Map<String, byte[]>>> getAll;
  private final long dueNanos;
  private final long sweepNanos;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong lastSweep;

  RefreshAhead(NearCache near, long stalenessNanos, long now,
      Function<List<String>, CompletableFuture<Map<String, byte[]>>> getAll) {
    this.near = near;
    this.getAll = getAll;
    this.dueNanos = stalenessNanos / 2;
    this.sweepNanos = Math.max(1, stalenessNanos / 4);
    this.lastSweep = new AtomicLong(now);
  }

  /** A reader was served {@code e}; sweeps when a sweep is due. */
  void hit(NearEntry e, long now) {
    e.used();
    long last = lastSweep.get();
    if (now - last >= sweepNanos && lastSweep.compareAndSet(last, now)) {
      sweep(now);
    }
  }

  /** Queues every used entry past δ/2 and sends the queue in batches. */
  private void sweep(long now) {
    List<String> keys = new ArrayList<>(BATCH);
    List<NearEntry> held = new ArrayList<>(BATCH);
    near.forEach((key, e) -> {
      if (now - e.checkedAt() >= dueNanos && e.queue()) {
        keys.add(key);
        held.add(e);
        if (keys.size() == BATCH) {
          send(new ArrayList<>(keys), new ArrayList<>(held), now);
          keys.clear();
          held.clear();
        }
      }
    });
    if (!keys.isEmpty()) {
      send(keys, held, now);
    }
  }

  private void send(List<String> keys, List<NearEntry> held, long now) {
    Consumer<Throwable> drop = e -> held.forEach(NearEntry::unqueue);
    if (inFlight.incrementAndGet() > MAX_IN_FLIGHT) {
      inFlight.decrementAndGet();
      drop.accept(null); // memcached is behind: queue them at the next sweep, or revalidate on read
      return;
    }
    long[] stamps = near.stampsOf(keys);
    CompletableFuture<Map<String, byte[]>> answer;
    try {
      answer = getAll.apply(keys);
    } catch (RuntimeException e) {
      inFlight.decrementAndGet();
      drop.accept(e);
      return;
    }
    BiConsumer<Map<String, byte[]>, Throwable> done = (raw, e) -> {
      inFlight.decrementAndGet();
      if (e == null) {
        near.refreshed(keys, held, stamps, now, raw);
      } else {
        drop.accept(e);
      }
    };
    answer.whenComplete(done);
  }
}
