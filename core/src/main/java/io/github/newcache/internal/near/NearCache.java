package io.github.newcache.internal.near;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import io.github.newcache.internal.config.NearCacheSettings;
import io.github.newcache.internal.expiry.TimeSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Function;

/**
 * One cache's items held in this JVM (a Caffeine cache keyed by memcached key), so that reads of
 * hot entries skip the round trip. It holds the item's bytes, never a decoded value: the store
 * decodes every hit again, so callers get their own copy (store by value) and the envelope's
 * expiry is checked to the millisecond on every read.
 *
 * <p><b>Across JVMs</b>: an entry is served for at most δ ({@code staleness}) after the command
 * that fetched, wrote or revalidated it was sent; the next read asks memcached with one {@code
 * get} (a multi-get for {@code getAll}) and keeps the held bytes when the bytes are unchanged
 * (never on an equal CAS token alone: a restarted memcached counts tokens from 1 again). So a
 * write, removal or clear by another client is seen here at most δ after it took effect (plus
 * the read's own round trip). No other signal is needed: nothing is trusted longer than δ.
 *
 * <p><b>In this JVM</b> the store tells the near cache about every command it sends, and the
 * near cache never holds bytes older than this JVM's last write of the key. The hazard is a read
 * that fetched the old item just before a local write landed and installs it just after the
 * write updated the near cache. Each key maps to one of {@value #STRIPES} stamps: every local
 * change of a key increments its stamp inside the near cache's atomic {@code compute} for that
 * key, and a read installs what it fetched only when the stamp it took before sending is still
 * current. A write installs its own bytes only when no other change of the stripe came between
 * its ticket and its update, else it drops the entry (two local writers racing leave nothing
 * held, rather than maybe the loser's bytes). A stamp shared by other keys only makes that more
 * cautious.
 *
 * <p>Concurrent readers of one key that must go to memcached share one fetch ({@link Flights}):
 * a hot key costs one round trip per δ, not one per thread.
 *
 * <p><b>Memory</b>: one Caffeine weight bound gives both bounds. Each entry weighs {@code
 * max(1, ⌈bytes × maxEntries / maxBytes⌉)}, with bytes its item plus {@value #ENTRY_OVERHEAD} for
 * the key and bookkeeping, and the total weight is at most {@code maxEntries}: so at most {@code
 * maxEntries} entries and at most {@code maxBytes} bytes, whatever the values' size. An item
 * larger than {@code maxBytes} is never held.
 */
public final class NearCache {

  /** Stamps that keys share: more means fewer needless drops when unrelated keys change at once. */
  static final int STRIPES = 4096;
  /** Bytes counted per entry beside its item: key string, entry, Caffeine's node. */
  static final int ENTRY_OVERHEAD = 200;

  private static final NearCache OFF = new NearCache();

  /** When a local write was sent and the stamp of its key before it: see {@link #ticket}. */
  public record Ticket(String key, int stripe, long stamp, long sentAt) {}

  private static final Ticket NO_TICKET = new Ticket("", 0, 0, 0);

  private final Cache<String, NearEntry> entries;
  private final long stalenessNanos;
  private final long maxEntries;
  private final long maxBytes;
  private final TimeSource clock;
  private final AtomicLongArray stamps;
  private final NearStatistics statistics;
  private final Flights flights = new Flights();
  /** Revalidation ahead of time in multi-gets, or null (see {@link RefreshAhead}). */
  private final RefreshAhead refresh;

  private NearCache() {
    this.entries = null;
    this.stalenessNanos = 0;
    this.maxEntries = 0;
    this.maxBytes = 1;
    this.clock = null;
    this.stamps = null;
    this.statistics = new NearStatistics(() -> 0, () -> {});
    this.refresh = null;
  }

  private NearCache(
      NearCacheSettings settings, TimeSource clock, Function<List<String>, CompletableFuture<Map<String, byte[]>>> getAll) {
    this.stalenessNanos = TimeUnit.MILLISECONDS.toNanos(settings.stalenessMillis());
    this.maxEntries = settings.maxEntries();
    this.maxBytes = settings.maxBytes();
    this.clock = clock;
    this.stamps = new AtomicLongArray(STRIPES);
    NearStatistics[] counters = new NearStatistics[1];
    this.entries =
        Caffeine.newBuilder()
            .maximumWeight(maxEntries)
            .weigher((String key, NearEntry e) -> e.weight())
            .evictionListener((String key, NearEntry e, RemovalCause cause) -> {
              if (cause == RemovalCause.SIZE) {
                counters[0].evictions.increment();
              }
            })
            // Maintenance (draining the read and write buffers, eviction) runs in the calling
            // thread, under Caffeine's try-lock, so one caller does it while the others go on. On
            // its default executor every burst of writes woke a ForkJoinPool thread: with 10%
            // writes over 16 threads that cost 7 µs of CPU per call (18-20 against 11.5-12 here)
            // and a third of the throughput, while a near hit's p99 stayed under 2 µs either way.
            .executor(Runnable::run)
            .build();
    this.statistics = new NearStatistics(entries::estimatedSize, entries::cleanUp);
    counters[0] = statistics;
    this.refresh = getAll == null ? null : new RefreshAhead(this, stalenessNanos, getAll);
  }

  /** No near cache: {@link #enabled} is false and every other method does nothing. */
  public static NearCache off() {
    return OFF;
  }

  /** A near cache as {@code settings} say ({@link #off} when they turn it off), timed by {@code clock}. */
  public static NearCache of(NearCacheSettings settings, TimeSource clock) {
    return of(settings, clock, null);
  }

  /**
   * As {@link #of(NearCacheSettings, TimeSource)}, revalidating entries in use ahead of time with
   * {@code getAll}, a non-blocking multi-get (see {@link RefreshAhead}); null: only on read.
   */
  public static NearCache of(
      NearCacheSettings settings, TimeSource clock, Function<List<String>, CompletableFuture<Map<String, byte[]>>> getAll) {
    return settings.enabled() ? new NearCache(settings, clock, getAll) : OFF;
  }

  public boolean enabled() {
    return entries != null;
  }

  public NearStatistics statistics() {
    return statistics;
  }

  // ---------------------------------------------------------------- reads

  /**
   * The item under {@code key}, or null: the held bytes while they are younger than δ (a near
   * hit), else what {@code get} fetches, which is then held (a miss) or compared with the held
   * bytes (a revalidation). A plain get: the bytes decide, so no CAS token is needed. A reader that
   * waited for another thread's fetch takes its answer or its failure, unless that thread failed on
   * its own interrupt: then it reads again. Before, one interrupted reader failed every reader
   * waiting for its fetch. The same when its fetch answered nothing while its thread is
   * interrupted: under {@code failures=miss} that is how its own interrupt comes back (the policy
   * turned the failure into a miss), so the miss is its alone, and the held entry is kept (older
   * than δ, it is never served without being checked again). Before, the waiters got that false
   * miss and the held entry was dropped.
   */
  public byte[] read(String key, Function<String, byte[]> get) {
    while (true) {
      long now = clock.nanos();
      NearEntry held = entries.getIfPresent(key);
      if (held != null && now - held.checkedAt() < stalenessNanos) {
        hit(key, held, now);
        return held.raw();
      }
      CompletableFuture<byte[]> mine = new CompletableFuture<>();
      CompletableFuture<byte[]> other = flights.join(key, mine);
      if (other != null) {
        statistics.waits.increment();
        try {
          return Flights.await(other);
        } catch (Flights.LeaderInterrupted e) {
          continue; // that reader's own interrupt: read again, fetching if need be
        }
      }
      try {
        int stripe = stripe(key);
        long stamp = stamps.get(stripe);
        byte[] answer = get.apply(key);
        if (Flights.absorbedInterrupt(answer)) {
          // Maybe no answer at all: this thread's interrupt, which failures=miss made a miss. Its
          // miss alone: the held entry stays, and the readers waiting for this fetch fetch again.
          flights.landed(key, mine);
          mine.completeExceptionally(new Flights.LeaderInterrupted(null));
          return null;
        }
        byte[] raw = fetched(key, stripe, stamp, now, held, answer);
        flights.landed(key, mine);
        mine.complete(raw);
        return raw;
      } catch (RuntimeException | Error e) {
        flights.landed(key, mine);
        mine.completeExceptionally(Flights.shared(e));
        throw e;
      }
    }
  }

  /**
   * {@link #read} without blocking: a near hit completes at once. A reader joining another's fetch
   * reads again when that fetch failed on its own thread's interrupt, as {@link #read} does.
   */
  // FutureReturnValueIgnored: the futures whenComplete returns are dropped because their callbacks
  // complete mine or out, which is what the caller gets, failures included.
  @SuppressWarnings("FutureReturnValueIgnored")
  public CompletableFuture<byte[]> readAsync(String key, Function<String, CompletableFuture<byte[]>> get) {
    long now = clock.nanos();
    NearEntry held = entries.getIfPresent(key);
    if (held != null && now - held.checkedAt() < stalenessNanos) {
      hit(key, held, now);
      return CompletableFuture.completedFuture(held.raw());
    }
    CompletableFuture<byte[]> mine = new CompletableFuture<>();
    CompletableFuture<byte[]> other = flights.join(key, mine);
    if (other != null) {
      statistics.waits.increment();
      CompletableFuture<byte[]> out = new CompletableFuture<>();
      other.whenComplete((raw, e) -> {
        if (e == null) {
          out.complete(raw);
        } else if (e instanceof Flights.LeaderInterrupted) {
          readAsync(key, get).whenComplete((again, f) -> {
            if (f == null) {
              out.complete(again);
            } else {
              out.completeExceptionally(f);
            }
          });
        } else {
          out.completeExceptionally(e);
        }
      });
      return out;
    }
    int stripe = stripe(key);
    long stamp = stamps.get(stripe);
    CompletableFuture<byte[]> fetch;
    try {
      fetch = get.apply(key);
    } catch (RuntimeException e) {
      flights.landed(key, mine);
      mine.completeExceptionally(e);
      return mine;
    } catch (Error e) {
      flights.landed(key, mine);
      mine.completeExceptionally(e);
      throw e;
    }
    fetch.whenComplete((raw, e) -> {
      flights.landed(key, mine);
      if (e != null) {
        mine.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
        return;
      }
      try {
        mine.complete(fetched(key, stripe, stamp, now, held, raw));
      } catch (RuntimeException | Error x) {
        mine.completeExceptionally(x); // an Error too: every reader joined to this flight waits on mine
      }
    });
    return mine;
  }

  /**
   * The items under {@code keys} (each once) that exist: held ones younger than δ from here, all
   * others with one call of {@code getAll} (a multi-get), then held.
   */
  public Map<String, byte[]> readAll(List<String> keys, Function<List<String>, Map<String, byte[]>> getAll) {
    Batch batch = new Batch(keys);
    return batch.fetch.isEmpty() ? batch.found : batch.fetched(getAll.apply(batch.fetch));
  }

  /** {@link #readAll} without blocking. */
  public CompletableFuture<Map<String, byte[]>> readAllAsync(
      List<String> keys, Function<List<String>, CompletableFuture<Map<String, byte[]>>> getAll) {
    Batch batch = new Batch(keys);
    return batch.fetch.isEmpty()
        ? CompletableFuture.completedFuture(batch.found)
        : getAll.apply(batch.fetch).thenApply(batch::fetched);
  }

  /** One {@link #readAll}: what was found held and fresh, what must be fetched, with stamps taken before sending. */
  private final class Batch {
    final long now = clock.nanos();
    final Map<String, byte[]> found;
    final List<String> fetch = new ArrayList<>();
    final List<NearEntry> held = new ArrayList<>();
    final long[] stamp;

    Batch(List<String> keys) {
      found = new HashMap<>(keys.size() * 4 / 3 + 1);
      for (String key : keys) {
        NearEntry e = entries.getIfPresent(key);
        if (e != null && now - e.checkedAt() < stalenessNanos) {
          hit(key, e, now);
          found.put(key, e.raw());
        } else {
          fetch.add(key);
          held.add(e);
        }
      }
      stamp = new long[fetch.size()];
      for (int i = 0; i < stamp.length; i++) {
        stamp[i] = stamps.get(stripe(fetch.get(i)));
      }
    }

    Map<String, byte[]> fetched(Map<String, byte[]> raw) {
      for (int i = 0; i < stamp.length; i++) {
        String key = fetch.get(i);
        byte[] value = NearCache.this.fetched(key, stripe(key), stamp[i], now, held.get(i), raw.get(key));
        if (value != null) {
          found.put(key, value);
        }
      }
      return found;
    }
  }

  private void hit(String key, NearEntry held, long now) {
    statistics.hits.increment();
    if (refresh != null) {
      refresh.hit(key, held, now - held.checkedAt(), now);
    }
  }

  /** The keys' stamps, taken just before a multi-get for them is sent. */
  long[] stampsOf(List<String> keys) {
    long[] out = new long[keys.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = stamps.get(stripe(keys.get(i)));
    }
    return out;
  }

  /** Holds what a revalidation ahead of time fetched, as a read's fetch would be held. */
  void refreshed(List<String> keys, List<NearEntry> held, long[] stamp, long sentAt, Map<String, byte[]> raw) {
    statistics.ahead.add(stamp.length);
    for (int i = 0; i < stamp.length; i++) {
      String key = keys.get(i);
      fetched(key, stripe(key), stamp[i], sentAt, held.get(i), raw.get(key));
    }
  }

  /** Counts and holds what a read fetched, sent at {@code sentAt} with the key's stamp {@code stamp}. */
  private byte[] fetched(String key, int stripe, long stamp, long sentAt, NearEntry held, byte[] raw) {
    if (held == null) {
      statistics.misses.increment();
      if (raw != null) {
        install(key, stripe, stamp, raw, sentAt);
      }
      return raw;
    }
    if (raw == null) {
      statistics.changed.increment();
      entries.asMap().remove(key, held);
      return null;
    }
    // The bytes decide, never the CAS token: memcached's CAS counter starts again at 1 when it
    // restarts, and each server counts on its own, so a new item may carry the held one's token.
    boolean same = Arrays.equals(held.raw(), raw);
    (same ? statistics.unchanged : statistics.changed).increment();
    // Unchanged: keep the held array (the fetched copy becomes garbage at once).
    byte[] kept = same ? held.raw() : raw;
    install(key, stripe, stamp, kept, sentAt);
    return kept;
  }

  /**
   * Holds {@code raw}, fetched with the key's stamp at {@code stamp}, unless a local change of the
   * stripe came after that (the bytes may predate it) or a fresher fetch is held already.
   */
  private void install(String key, int stripe, long stamp, byte[] raw, long sentAt) {
    int weight = weight(key, raw);
    if (weight > maxEntries) {
      return;
    }
    entries.asMap().compute(key, (k, old) -> {
      if (stamps.get(stripe) != stamp || (old != null && old.checkedAt() > sentAt)) {
        return old;
      }
      return new NearEntry(raw, sentAt, weight);
    });
  }

  // ---------------------------------------------------------------- this JVM's changes

  /** Taken before a local write of {@code key} is sent; handed back to {@link #written}. */
  public Ticket ticket(String key) {
    if (entries == null) {
      return NO_TICKET;
    }
    int stripe = stripe(key);
    return new Ticket(key, stripe, stamps.get(stripe), clock.nanos());
  }

  /**
   * After a local write: {@code raw} is what memcached now holds for the key as far as this JVM
   * knows (null: nothing, or unknown, as after a failed or best-effort command). Holds it when no
   * other change of the stripe came since the ticket, else drops the key.
   */
  public void written(Ticket ticket, byte[] raw) {
    if (entries == null) {
      return;
    }
    int weight = raw == null ? 0 : weight(ticket.key(), raw);
    entries.asMap().compute(ticket.key(), (k, old) -> {
      long stamp = stamps.incrementAndGet(ticket.stripe());
      if (raw == null || stamp != ticket.stamp() + 1 || weight > maxEntries) {
        return null;
      }
      return new NearEntry(raw, ticket.sentAt(), weight);
    });
    flights.forget(ticket.key());
  }

  /**
   * After a local read-decide-write that sent nothing, having read {@code raw} (null: no item):
   * drops the key unless it holds exactly those bytes. It holds nothing new: what was read may
   * have come from this near cache.
   */
  public void sentNothing(Ticket ticket, byte[] raw) {
    if (entries == null) {
      return;
    }
    NearEntry held = entries.getIfPresent(ticket.key());
    if (held != null && (raw == null || !Arrays.equals(held.raw(), raw))) {
      invalidate(ticket.key());
    }
  }

  /** After a local command removed the key, or may have changed it in a way not known here. */
  public void invalidate(String key) {
    if (entries == null) {
      return;
    }
    int stripe = stripe(key);
    entries.asMap().compute(key, (k, old) -> {
      stamps.incrementAndGet(stripe);
      return null;
    });
    flights.forget(key);
  }

  /** After a local clear: nothing fetched before it is held afterwards. */
  public void invalidateAll() {
    if (entries == null) {
      return;
    }
    for (int i = 0; i < STRIPES; i++) {
      stamps.incrementAndGet(i);
    }
    entries.invalidateAll();
    flights.forgetAll();
  }

  /** Drops the key's entry if it is still {@code raw} (an entry found expired: reading it again asks memcached). */
  public void discard(String key, byte[] raw) {
    if (entries != null) {
      entries.asMap().computeIfPresent(key, (k, old) -> old.raw() == raw ? null : old);
    }
  }

  // ---------------------------------------------------------------- bounds

  /** The entry's weight: its bytes as a share of maxBytes, in units of maxBytes / maxEntries, at least 1. */
  int weight(String key, byte[] raw) {
    long bytes = raw.length + 2L * key.length() + ENTRY_OVERHEAD;
    long units = (bytes * maxEntries + maxBytes - 1) / maxBytes;
    return (int) Math.max(1, Math.min(Integer.MAX_VALUE, units));
  }

  /** Runs pending maintenance (evictions) now; for tests. */
  void cleanUp() {
    if (entries != null) {
      entries.cleanUp();
    }
  }

  /** The total weight held; for tests. */
  long weightedSize() {
    return entries == null ? 0 : entries.policy().eviction().orElseThrow().weightedSize().orElse(0);
  }

  private static int stripe(String key) {
    int h = key.hashCode();
    return (h ^ (h >>> 16)) & (STRIPES - 1);
  }
}
