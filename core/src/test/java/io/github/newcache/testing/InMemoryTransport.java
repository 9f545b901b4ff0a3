package io.github.newcache.testing;

import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.transport.CasOutcome;
import io.github.newcache.internal.transport.Item;
import io.github.newcache.internal.transport.MemcachedTransport;
import io.github.newcache.internal.transport.Parts;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import javax.cache.CacheException;

/**
 * memcached's item semantics in a map, for fast unit tests of the JCache rules: get/gets/add/cas/
 * set/delete, CAS tokens, exptime as memcached reads it (0 never, up to 30 days relative, beyond
 * that an absolute Unix time) against the test's clock, and key listing. Integration tests use
 * real memcached; this only stands in where the rules above the transport are under test.
 */
public final class InMemoryTransport implements MemcachedTransport {

  private record Stored(byte[] value, long cas, long expiresAtMillis) {}

  private final Map<String, Stored> items = new ConcurrentHashMap<>();
  private final AtomicLong casCounter = new AtomicLong();
  private final LongSupplier clock;
  /** Commands served, by name: what a test can count like memcached's own stats. */
  private final Map<String, AtomicLong> commands = new ConcurrentHashMap<>();
  /** Commands to fail, by name, with how many more times. */
  private final Map<String, AtomicLong> failures = new ConcurrentHashMap<>();
  private final Map<String, AtomicLong> skips = new ConcurrentHashMap<>();
  /** Commands to time out, by name, with how many more times. */
  private final Map<String, AtomicLong> timeouts = new ConcurrentHashMap<>();
  /** The second parts of the items written in parts, in order, as handed over. */
  private final List<byte[]> tails = new CopyOnWriteArrayList<>();
  /** Keys handed over by the listing in progress; -1 when none is. */
  private final AtomicLong listedSoFar = new AtomicLong(-1);
  private final AtomicLong listedBeforeFirstDelete = new AtomicLong(-1);
  private final AtomicLong getAllsServed = new AtomicLong();
  private final AtomicLong getAllsBeforeFirstDelete = new AtomicLong(-1);
  /** Non-blocking deletes still on their way ({@link #holdDeletes}), in the order sent. */
  private final Queue<Runnable> heldDeletes = new ConcurrentLinkedQueue<>();
  private volatile boolean holdingDeletes;
  /** What runs just before the next delete or cas of a key, by key ({@link #beforeRemoving}). */
  private final Map<String, Runnable> beforeRemoving = new ConcurrentHashMap<>();
  /** What {@link #close} throws, or null ({@link #failClose}). */
  private volatile RuntimeException closeFailure;

  public InMemoryTransport(LongSupplier clock) {
    this.clock = clock;
  }

  /** How many times {@code command} (get, gets, set, add, cas, delete, …) was served. */
  public long count(String command) {
    AtomicLong n = commands.get(command);
    return n == null ? 0 : n.get();
  }

  /** The arrays handed over as the second parts of items written in parts ({@link #setParts}), in order. */
  public List<byte[]> tailsWritten() {
    return List.copyOf(tails);
  }

  /** How many items are stored and not yet expired by their memcached TTL. */
  public int size() {
    int n = 0;
    for (String key : items.keySet()) {
      if (live(key) != null) {
        n++;
      }
    }
    return n;
  }

  /**
   * How many keys the listing in progress had handed over when the first delete or cas during it
   * was served; -1 when none was served during a listing.
   */
  public long listedBeforeFirstDelete() {
    return listedBeforeFirstDelete.get();
  }

  /** How many multi-gets had been served when the first delete was; -1 when none was. */
  public long getAllsBeforeFirstDelete() {
    return getAllsBeforeFirstDelete.get();
  }

  private void served(String command) {
    AtomicLong skipping = skips.get(command);
    boolean skipped = skipping != null && skipping.getAndUpdate(n -> Math.max(0, n - 1)) > 0;
    AtomicLong failing = failures.get(command);
    if (!skipped && failing != null && failing.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new CacheException("memcached " + command + " failed (a failure the test asked for)");
    }
    AtomicLong timingOut = timeouts.get(command);
    if (timingOut != null && timingOut.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new CacheException("memcached " + command + " timed out (a timeout the test asked for)", new TimeoutException());
    }
    commands.computeIfAbsent(command, c -> new AtomicLong()).incrementAndGet();
  }

  /** Fails the next {@code times} commands named {@code command} ("set", "cas", "delete", ...) with a CacheException. */
  public void failNext(String command, int times) {
    failAfter(command, 0, times);
  }

  /** Serves the next {@code skip} commands named {@code command}, then fails {@code times} of them. */
  public void failAfter(String command, int skip, int times) {
    skips.put(command, new AtomicLong(skip));
    failures.put(command, new AtomicLong(times));
  }

  /**
   * Fails the next {@code times} commands named {@code command} as the transport fails one that
   * got no answer in time (a CacheException caused by a {@link TimeoutException}), applying nothing.
   */
  public void timeOutNext(String command, int times) {
    timeouts.put(command, new AtomicLong(times));
  }

  /** How many of the failures {@link #failNext} asked for are still to come. */
  public long failuresLeft(String command) {
    AtomicLong failing = failures.get(command);
    return failing == null ? 0 : failing.get();
  }

  private long expiry(int ttl) {
    long now = clock.getAsLong();
    if (ttl == 0) {
      return Long.MAX_VALUE;
    }
    if (ttl <= Ttl.THIRTY_DAYS_SECONDS) {
      return now + ttl * 1000L;
    }
    return ttl * 1000L; // an absolute Unix time
  }

  private Stored live(String key) {
    Stored s = items.get(key);
    if (s != null && s.expiresAtMillis() <= clock.getAsLong()) {
      items.remove(key, s);
      return null;
    }
    return s;
  }

  private Stored stored(byte[] value, int ttl) {
    return new Stored(value.clone(), casCounter.incrementAndGet(), expiry(ttl));
  }

  @Override
  public byte[] get(String key) {
    served("get");
    Stored s = live(key);
    return s == null ? null : s.value().clone();
  }

  @Override
  public Item gets(String key) {
    served("gets");
    Stored s = live(key);
    return s == null ? null : new Item(s.value().clone(), s.cas());
  }

  @Override
  public Map<String, byte[]> getAll(Collection<String> keys) {
    served("getAll");
    getAllsServed.incrementAndGet();
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (String key : keys) {
      Stored s = live(key);
      if (s != null) {
        out.put(key, s.value().clone());
      }
    }
    return out;
  }

  @Override
  public void set(String key, int ttl, byte[] value) {
    served("set");
    items.put(key, stored(value, ttl));
  }

  @Override
  public void setAll(Map<String, byte[]> values, int ttl) {
    for (Map.Entry<String, byte[]> e : values.entrySet()) {
      set(e.getKey(), ttl, e.getValue());
    }
  }

  @Override
  public void setParts(String key, int ttl, Parts value) {
    if (value.tail() != null) {
      tails.add(value.tail());
    }
    set(key, ttl, value.whole());
  }

  @Override
  public void setAllParts(Map<String, Parts> values, int ttl) {
    values.forEach((key, value) -> setParts(key, ttl, value));
  }

  @Override
  public synchronized boolean add(String key, int ttl, byte[] value) {
    served("add");
    if (live(key) != null) {
      return false;
    }
    items.put(key, stored(value, ttl));
    return true;
  }

  /**
   * Runs {@code change} once, on the calling thread, just before the next delete or cas of {@code
   * key} is served: another client's write landing between a read and the removal that followed it.
   */
  public void beforeRemoving(String key, Runnable change) {
    beforeRemoving.put(key, change);
  }

  /** Runs what {@link #beforeRemoving} set for {@code key}, once. */
  private void interpose(String key) {
    Runnable change = beforeRemoving.remove(key);
    if (change != null) {
      change.run();
    }
  }

  /** Notes a write served while a listing is read ({@link #listedBeforeFirstDelete}). */
  private void writtenDuringListing() {
    long listed = listedSoFar.get();
    if (listed >= 0) {
      listedBeforeFirstDelete.compareAndSet(-1, listed);
    }
  }

  @Override
  public synchronized CasOutcome cas(String key, long cas, int ttl, byte[] value) {
    interpose(key);
    served("cas");
    writtenDuringListing();
    Stored s = live(key);
    if (s == null) {
      return CasOutcome.GONE;
    }
    if (s.cas() != cas) {
      return CasOutcome.CHANGED;
    }
    Stored next = stored(value, ttl);
    if (next.expiresAtMillis() <= clock.getAsLong()) {
      items.remove(key);
    } else {
      items.put(key, next);
    }
    return CasOutcome.STORED;
  }

  /** From now on, non-blocking deletes stay on their way until {@link #landHeldDeletes}. */
  public void holdDeletes() {
    holdingDeletes = true;
  }

  /** Applies the held non-blocking deletes in the order sent, completing their futures; holds no more. */
  public void landHeldDeletes() {
    holdingDeletes = false;
    for (Runnable r = heldDeletes.poll(); r != null; r = heldDeletes.poll()) {
      r.run();
    }
  }

  @Override
  public CompletableFuture<Boolean> deleteAsync(String key) {
    CompletableFuture<Boolean> answer = new CompletableFuture<>();
    Runnable land = () -> {
      try {
        answer.complete(delete(key));
      } catch (RuntimeException e) {
        answer.completeExceptionally(e);
      }
    };
    if (holdingDeletes) {
      heldDeletes.add(land);
    } else {
      land.run();
    }
    return answer;
  }

  @Override
  public boolean delete(String key) {
    interpose(key);
    served("delete");
    writtenDuringListing();
    getAllsBeforeFirstDelete.compareAndSet(-1, getAllsServed.get());
    return live(key) != null && items.remove(key) != null;
  }

  @Override
  public int deleteAll(Collection<String> keys) {
    int n = 0;
    for (String key : keys) {
      if (delete(key)) {
        n++;
      }
    }
    return n;
  }

  @Override
  public void eachKey(String prefix, Consumer<String> each) {
    served("keys");
    listedSoFar.set(0);
    try {
      for (String key : List.copyOf(items.keySet())) {
        if (key.startsWith(prefix) && live(key) != null) {
          listedSoFar.incrementAndGet();
          each.accept(key);
        }
      }
    } finally {
      listedSoFar.set(-1);
    }
  }

  /** Makes {@link #close} throw {@code failure}, as a transport whose shutdown fails would. */
  public void failClose(RuntimeException failure) {
    closeFailure = failure;
  }

  @Override
  public void close() {
    if (closeFailure != null) {
      throw closeFailure;
    }
  }
}
