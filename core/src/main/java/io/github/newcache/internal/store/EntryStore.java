package io.github.newcache.internal.store;

import io.github.newcache.NearCacheStatisticsMXBean;
import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.expiry.Expiry;
import io.github.newcache.internal.expiry.TimeSource;
import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.key.KeyFunction;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.near.NearCache;
import io.github.newcache.internal.transport.HandOffFuture;
import io.github.newcache.internal.transport.Item;
import io.github.newcache.internal.transport.MemcachedTransport;
import io.github.newcache.internal.transport.Parts;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.LongConsumer;

/**
 * One cache's entries in memcached: the only code that issues memcached commands for entries.
 *
 * <p>The way from a cache key to a memcached item and back is {@link EntryCodec}'s: key checks and
 * the key function ({@link Slot}), value checks, encoding and the item-size budget ({@link
 * Encoded}), the stored layout ({@link Envelope}), and decoding, where an entry that cannot be
 * decoded reads as absent and is counted. This class adds memcached TTLs ({@link Ttl}, with the
 * stale-while-revalidate window) and sends the commands.
 *
 * <p>Every read-decide-write goes through {@link #compute} ({@link EntryCompute}): read with
 * {@code gets}, ask the caller's remapping function what to do, apply it with {@code add} (nothing
 * was there) or {@code cas} (something was), and start over when another client changed the item
 * in between. A removal is a {@code cas} with an exptime long past, which memcached applies as an
 * atomic delete. So every decision is atomic across every client of the servers. The blind writes
 * ({@link #set}, {@link #setAll}, {@link #add}, {@link #delete}) are the fast paths the cache may
 * take when no decision depends on what is stored.
 *
 * <p>Enumeration ({@link #entries}, {@link #eachLiveSlotBatch}, {@link #clear}) lists the servers' keys and
 * takes only items whose envelope proves they are this cache's ({@link EntryScan}).
 *
 * <p>Near cache ({@link NearCache}, when the cache has one): plain reads ({@link #get}, {@link
 * #getAll}) go through it; reads for a compute never do. Every command that changes an entry
 * tells it what memcached now holds, before the call returns: a write hands it the stored bytes,
 * a removal or a failed command drops the key, a clear drops everything. Those hooks are marked
 * "near:" below.
 */
public final class EntryStore<K, V> {

  /** Bytes a pending non-blocking write's futures, closures and place in its key's line take beside key and value. */
  static final int PENDING_OVERHEAD = 400;

  /** Keys and values to memcached keys and stored bytes, and back. */
  private final EntryCodec<K, V> entryCodec;
  private final MemcachedTransport transport;
  private final long staleMillis;
  private final TimeSource clock;
  private final NearCache near;
  private final EntryScan<K, V> scan;
  private final EntryCompute<K, V> computes;
  /**
   * Whether plain reads ask the transport for each item in two parts, this key's header plus the
   * value's first byte, then the rest ({@link MemcachedTransport#getParts}): for a {@code byte[]}
   * cache with the default codec, whose stored value is a type tag and the caller's bytes, the rest
   * is then the value to return, with no copy out of the item. Not with a near cache (it keeps and
   * reads items whole), a signing transport, or a key function under which keys share items.
   */
  private final boolean valuesInParts;

  /**
   * @param maxItemSize memcached's item size limit ({@code -I})
   * @param transportOverhead bytes the transport adds to every item (a signature)
   * @param staleMillis how long memcached keeps an expired entry for stale-while-revalidate (0: not at all)
   * @param classLoader the manager's loader carrying the cache's deserialization allow-list
   * @param near the cache's near cache, or {@link NearCache#off()}
   * @param recent the manager's recent slots, shared by its caches
   */
  public EntryStore(
      String cacheName,
      Class<K> keyType,
      Class<V> valueType,
      KeyFunction keys,
      ValueCodec codec,
      ClassLoader classLoader,
      MemcachedTransport transport,
      int maxItemSize,
      int transportOverhead,
      long staleMillis,
      TimeSource clock,
      FailureStatistics failures,
      NearCache near,
      RecentSlots recent) {
    this.entryCodec =
        new EntryCodec<>(cacheName, keyType, valueType, keys, codec, classLoader, maxItemSize, transportOverhead, failures,
            near.enabled(), recent);
    this.transport = transport;
    this.staleMillis = staleMillis;
    this.clock = clock;
    this.near = near;
    this.scan = new EntryScan<>(entryCodec, keys, transport, clock, classLoader, failures);
    this.computes = new EntryCompute<>(this, entryCodec, cacheName, transport, near);
    this.valuesInParts = entryCodec.writesInParts() && keys.exact();
  }

  // ---------------------------------------------------------------- keys and values (EntryCodec's)

  /** The slot of {@code key}; throws for a null key or one of the wrong type. */
  public Slot<K> slot(K key) {
    return entryCodec.slot(key);
  }

  /** The slots of {@code keys}, each key once, in order; throws before anything when a key is null. */
  public List<Slot<K>> slots(Collection<? extends K> keys) {
    return entryCodec.slots(keys);
  }

  /** Throws for a null value or one of the wrong type. */
  public void checkValue(V value) {
    entryCodec.checkValue(value);
  }

  /**
   * {@link #encode}, for a value that {@link #set} or {@link #setAll} stores before the caller's call
   * returns: a {@code byte[]} value of a cache that writes in parts is checked but not copied; the
   * set copies it straight into its request. Only for a call with no writer, whose caller cannot
   * change the array before the set reads it.
   */
  public Encoded<V> encodeForSet(Slot<K> s, V value) {
    return entryCodec.encodeForSet(s, value);
  }

  /** {@code value} checked and encoded for {@code s}; throws before anything is stored when it cannot be. */
  public Encoded<V> encode(Slot<K> s, V value) {
    return entryCodec.encode(s, value);
  }

  /** The current time of this cache's clock. */
  public long now() {
    return clock.millis();
  }

  /**
   * True when whatever memcached holds under a slot's key is that key's entry of this cache or
   * nothing of ours: the default key function, where distinct keys never share a memcached key.
   */
  public boolean exactKeys() {
    return entryCodec.exactKeys();
  }

  // ---------------------------------------------------------------- reads

  /**
   * What memcached holds for {@code s}, with one {@code get} (no CAS token); with a near cache, what
   * it holds while younger than its staleness bound.
   */
  public Current<V> get(Slot<K> s) {
    if (valuesInParts && transport.readsInParts()) {
      return current(s, transport.getParts(s.memcachedKey(), entryCodec.partsHead(s)));
    }
    if (!near.enabled()) {
      return current(s, transport.get(s.memcachedKey()), 0);
    }
    byte[] raw = near.read(s.memcachedKey(), transport::get);
    Current<V> cur = current(s, raw, 0);
    if (raw != null && !cur.present()) {
      near.discard(s.memcachedKey(), raw); // near: expired or not ours; the next read asks memcached
    }
    return cur;
  }

  /** What memcached holds for each slot, in order, with one multi-get per server (near: for those not held). */
  public List<Current<V>> getAll(List<Slot<K>> slots) {
    if (valuesInParts && transport.readsInParts()) {
      int[] heads = new int[slots.size()];
      for (int i = 0; i < heads.length; i++) {
        heads[i] = entryCodec.partsHead(slots.get(i));
      }
      Parts[] items = transport.getAllParts(entryCodec.memcachedKeys(slots), heads);
      List<Current<V>> out = new ArrayList<>(slots.size());
      for (int i = 0; i < items.length; i++) {
        out.add(current(slots.get(i), items[i]));
      }
      return out;
    }
    Map<String, byte[]> raw =
        near.enabled() ? near.readAll(entryCodec.memcachedKeys(slots), transport::getAll) : transport.getAll(entryCodec.memcachedKeys(slots));
    List<Current<V>> out = new ArrayList<>(slots.size());
    for (Slot<K> s : slots) {
      Current<V> cur = current(s, raw.get(s.memcachedKey()), 0);
      if (near.enabled() && cur.exists() && !cur.present()) {
        near.discard(s.memcachedKey(), cur.raw()); // near: as in get
      }
      out.add(cur);
    }
    return out;
  }

  /** This cache's near-cache counters (all zero without a near cache). */
  public NearCacheStatisticsMXBean nearStatistics() {
    return near.statistics();
  }

  /** What memcached holds for {@code s}, with its CAS token ({@code gets}), to hand to {@link #compute}. */
  public Current<V> getForUpdate(Slot<K> s) {
    Item item = transport.gets(s.memcachedKey());
    return item == null ? current(s, null, 0) : current(s, item.value(), item.cas());
  }

  Current<V> current(Slot<K> s, byte[] raw, long cas) {
    return new Current<>(raw, cas, entryCodec.parse(raw, s.form()), clock.millis(), entryCodec);
  }

  /** What a read in parts found; an item that is not this key's entry of this format is judged whole, as any other. */
  private Current<V> current(Slot<K> s, Parts item) {
    if (item == null || item.tail() == null) {
      return current(s, item == null ? null : item.head(), 0);
    }
    Envelope env = entryCodec.parseParts(s, item);
    if (env == null) {
      return current(s, item.whole(), 0);
    }
    return new Current<>(item.head(), item.tail(), 0, env, clock.millis(), entryCodec);
  }

  // ---------------------------------------------------------------- the one read-decide-write

  /** Decides what to do with an entry, given what memcached holds for it now. */
  @FunctionalInterface
  public interface Remapping<V> {
    /**
     * Called once per attempt, so possibly more than once: it must decide from {@code current} only
     * (or from what an earlier attempt of the same operation already did).
     */
    Decision<V> decide(Current<V> current);
  }

  /**
   * Reads the entry with {@code gets}, asks {@code remapping} what to do, and applies the decision
   * atomically; when another client changed the item in between, reads again and asks again.
   * Returns what was read and done by the attempt that took effect ({@link EntryCompute}).
   */
  public Applied<V> compute(Slot<K> s, Remapping<V> remapping) {
    return computes.compute(s, null, remapping);
  }

  /**
   * As {@link #compute(Slot, Remapping)}, with the first attempt deciding on {@code first}, read by
   * the caller with {@link #getForUpdate} (null: read it here).
   */
  public Applied<V> compute(Slot<K> s, Current<V> first, Remapping<V> remapping) {
    return computes.compute(s, first, remapping);
  }

  // ---------------------------------------------------------------- the same, without blocking

  /*
   * The non-blocking forms of the reads, the compute loop and the blind writes: each returns at
   * once; the next step runs when memcached answers, in the thread that completes the transport's
   * future (never the IO thread). A remapping function runs there too, so it must not block.
   */

  /** Where callers' stages on the non-blocking forms' futures run ({@link MemcachedTransport#continuations}). */
  public Executor continuations() {
    return transport.continuations();
  }

  /** {@link #get}, without blocking (a near hit completes at once). */
  public CompletableFuture<Current<V>> getAsync(Slot<K> s) {
    if (!near.enabled()) {
      CompletableFuture<Current<V>> out = new CompletableFuture<>();
      getAsync(s, HandOffFuture.completing(out));
      return out;
    }
    return nearGetAsync(s);
  }

  /**
   * {@link #getAsync}, handing the entry or the failure to {@code then} instead of completing a
   * future: a future stage less for a caller that only goes on from it. {@code then} runs where the
   * future would complete: in the thread that read the answer when the value is quick to decode,
   * else on the continuation threads.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's future: then handles failures too
  public void getAsync(Slot<K> s, BiConsumer<? super Current<V>, ? super Throwable> then) {
    if (near.enabled()) {
      nearGetAsync(s).whenComplete(then);
      return;
    }
    transport.getAsync(s.memcachedKey(), Answers.continuing(then, transport, "get", s.memcachedKey(), raw -> {
      Current<V> cur = current(s, raw, 0);
      return new Answers.Parsed<>(cur, cur.quickToDecode());
    }));
  }

  private CompletableFuture<Current<V>> nearGetAsync(Slot<K> s) {
    return near.readAsync(s.memcachedKey(), transport::getAsync).thenApply(raw -> {
      Current<V> cur = current(s, raw, 0);
      if (raw != null && !cur.present()) {
        near.discard(s.memcachedKey(), raw); // near: as in get
      }
      return cur;
    });
  }

  /** {@link #getAll}, without blocking. */
  public CompletableFuture<List<Current<V>>> getAllAsync(List<Slot<K>> slots) {
    CompletableFuture<Map<String, byte[]>> raws =
        near.enabled()
            ? near.readAllAsync(entryCodec.memcachedKeys(slots), transport::getAllAsync)
            : transport.getAllAsync(entryCodec.memcachedKeys(slots));
    CompletableFuture<List<Current<V>>> result = new CompletableFuture<>();
    Answers.complete(raws, result, transport, "get (multi)", slots.size() + " keys", raw -> {
      List<Current<V>> out = new ArrayList<>(slots.size());
      boolean quick = true;
      for (Slot<K> s : slots) {
        Current<V> cur = current(s, raw.get(s.memcachedKey()), 0);
        if (near.enabled() && cur.exists() && !cur.present()) {
          near.discard(s.memcachedKey(), cur.raw()); // near: as in get
        }
        quick &= cur.quickToDecode();
        out.add(cur);
      }
      return new Answers.Parsed<>(out, quick);
    });
    return result;
  }

  /**
   * Charges what a non-blocking write of {@code s} holds until it is done to the budget of the
   * key's server ({@link MemcachedTransport#charge}): {@value #PENDING_OVERHEAD} bytes for its
   * futures and closures, its key, and for {@code value} (null for a removal) the value and its
   * encoded copy, counted as twice the encoded bytes. Answers the release: run it once the write is done.
   */
  public Runnable charge(Slot<K> s, Encoded<V> value) {
    return transport.charge(s.memcachedKey(), held(s, value));
  }

  /**
   * {@link #charge} of a conditional write ({@code remove(k, v)}, {@code replace(k, v, w)}), which
   * also holds the value it expects the entry to hold until it is done: that value is counted too,
   * weighed as {@link EntryCodec#weight} says (a string's bytes; a value of another type, the length
   * of its encoding, which costs one). Before, it was held uncounted.
   */
  public Runnable charge(Slot<K> s, Encoded<V> value, V expected) {
    return transport.charge(s.memcachedKey(), held(s, value) + entryCodec.weight(expected));
  }

  /**
   * {@link #charge} of a write of several keys at once (a putAll through a writer, run as one
   * blocking call), {@code values.get(i)} for {@code slots.get(i)}: one charge per server for the
   * sum of its keys ({@link MemcachedTransport#chargeAll}).
   */
  public Runnable chargeAll(List<Slot<K>> slots, List<Encoded<V>> values) {
    Map<String, Long> bytes = new LinkedHashMap<>(slots.size() * 4 / 3 + 1);
    for (int i = 0; i < slots.size(); i++) {
      bytes.merge(slots.get(i).memcachedKey(), held(slots.get(i), values.get(i)), Long::sum);
    }
    return transport.chargeAll(bytes);
  }

  /**
   * {@link #charge} of an {@code invoke} of {@code s}, whose value its processor makes only when it
   * runs: what it holds until then is its {@code arguments}, each weighed as {@link
   * EntryCodec#weight} says (an array's or a string's bytes; a value of the cache's type, its
   * encoded length); what the processor object itself captures cannot be seen, and is not counted.
   */
  public Runnable chargeArguments(Slot<K> s, Object[] arguments) {
    long bytes = held(s, null);
    if (arguments != null) {
      for (Object a : arguments) {
        bytes += entryCodec.weight(a);
      }
    }
    return transport.charge(s.memcachedKey(), bytes);
  }

  /** What a pending write of {@code value} (null: none) to {@code s} holds, as {@link #charge} counts it. */
  private static long held(Slot<?> s, Encoded<?> value) {
    long bytes = (long) PENDING_OVERHEAD + s.memcachedKey().length();
    if (value != null) {
      byte[] raw = value.unencoded();
      bytes += 2L * (raw != null ? raw.length : value.bytes().length);
    }
    return bytes;
  }

  /** {@link #compute(Slot, Remapping)}, without blocking: each attempt starts when the last one's answer arrives. */
  public CompletableFuture<Applied<V>> computeAsync(Slot<K> s, Remapping<V> remapping) {
    return computes.computeAsync(s, remapping, 0);
  }

  /** {@link #set}, without blocking. */
  public CompletableFuture<Void> setAsync(Slot<K> s, Encoded<V> value, long expiresAt) {
    NearCache.Ticket ticket = near.ticket(s.memcachedKey());
    long now = clock.millis();
    if (expiresAt <= now) {
      return transport.deleteAsync(s.memcachedKey())
          .whenComplete((deleted, e) -> near.written(ticket, null)) // near: as in set
          .thenApply(deleted -> null);
    }
    byte[] stored = entryCodec.stored(s, value, expiresAt);
    return transport.setAsync(s.memcachedKey(), ttl(expiresAt, now), stored)
        .whenComplete((done, e) -> near.written(ticket, e == null ? stored : null)); // near: as in set
  }

  /** {@link #add}, without blocking. */
  public CompletableFuture<Boolean> addAsync(Slot<K> s, Encoded<V> value, long expiresAt) {
    long now = clock.millis();
    if (expiresAt <= now) {
      return CompletableFuture.completedFuture(false);
    }
    NearCache.Ticket ticket = near.ticket(s.memcachedKey());
    byte[] stored = entryCodec.stored(s, value, expiresAt);
    return transport.addAsync(s.memcachedKey(), ttl(expiresAt, now), stored)
        .whenComplete((added, e) -> near.written(ticket, e == null && added ? stored : null)); // near: as in add
  }

  /**
   * Deletes the item of {@code mkey} without waiting, best effort: after a write-through operation
   * failed on memcached (see {@code WriterLocks}), so that what stays is nothing rather than a value
   * the system of record may no longer hold.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // best effort: the delete's outcome changes nothing here
  public void forget(String mkey) {
    near.invalidate(mkey); // not served from here from now on
    transport.deleteAsync(mkey)
        .whenComplete((deleted, e) -> near.invalidate(mkey)); // nor what a read installed before the delete landed
  }

  /** {@link #delete}, without blocking. */
  public CompletableFuture<Boolean> deleteAsync(Slot<K> s) {
    return transport.deleteAsync(s.memcachedKey())
        .whenComplete((deleted, e) -> near.invalidate(s.memcachedKey())); // near: as in delete
  }

  // ---------------------------------------------------------------- blind writes (fast paths)

  /** Stores {@code value} whatever is there ({@code set}); an expiry at or before now deletes instead. */
  public void set(Slot<K> s, Encoded<V> value, long expiresAt) {
    NearCache.Ticket ticket = near.ticket(s.memcachedKey());
    byte[] held = null;
    try {
      long now = clock.millis();
      if (expiresAt <= now) {
        transport.delete(s.memcachedKey());
      } else if (value.unencoded() != null) {
        transport.setParts(s.memcachedKey(), ttl(expiresAt, now), entryCodec.item(s, value, expiresAt)); // no near cache
      } else {
        byte[] stored = entryCodec.stored(s, value, expiresAt);
        transport.set(s.memcachedKey(), ttl(expiresAt, now), stored);
        held = stored;
      }
    } finally {
      near.written(ticket, held); // near: the bytes stored; null after a delete or a failure
    }
  }

  /**
   * Stores every value with one expiry, pipelined; an expiry at or before now deletes them instead.
   * Returns how many were stored.
   */
  public int setAll(List<Slot<K>> slots, List<Encoded<V>> values, long expiresAt) {
    long now = clock.millis();
    if (expiresAt <= now) {
      deleteAll(slots);
      return 0;
    }
    if (entryCodec.writesInParts()) {
      Map<String, Parts> items = new LinkedHashMap<>(slots.size() * 4 / 3 + 1);
      for (int i = 0; i < slots.size(); i++) {
        items.put(slots.get(i).memcachedKey(), entryCodec.item(slots.get(i), values.get(i), expiresAt));
      }
      transport.setAllParts(items, ttl(expiresAt, now)); // no near cache
      return items.size();
    }
    Map<String, byte[]> items = new LinkedHashMap<>(slots.size() * 4 / 3 + 1);
    List<NearCache.Ticket> tickets = near.enabled() ? new ArrayList<>(slots.size()) : List.of();
    for (int i = 0; i < slots.size(); i++) {
      Slot<K> s = slots.get(i);
      items.put(s.memcachedKey(), entryCodec.stored(s, values.get(i), expiresAt));
      if (near.enabled()) {
        tickets.add(near.ticket(s.memcachedKey()));
      }
    }
    boolean stored = false;
    try {
      transport.setAll(items, ttl(expiresAt, now));
      stored = true;
    } finally {
      for (NearCache.Ticket t : tickets) {
        near.written(t, stored ? items.get(t.key()) : null); // near: as in set
      }
    }
    return items.size();
  }

  /** Stores {@code value} only when memcached holds nothing under the key ({@code add}); true when stored. */
  public boolean add(Slot<K> s, Encoded<V> value, long expiresAt) {
    long now = clock.millis();
    if (expiresAt <= now) {
      return false;
    }
    NearCache.Ticket ticket = near.ticket(s.memcachedKey());
    byte[] stored = entryCodec.stored(s, value, expiresAt);
    boolean added = false;
    try {
      added = transport.add(s.memcachedKey(), ttl(expiresAt, now), stored);
      return added;
    } finally {
      near.written(ticket, added ? stored : null); // near: the bytes added; else drop what may be stale
    }
  }

  /** Deletes whatever is stored under the key; true when memcached held an item. */
  public boolean delete(Slot<K> s) {
    try {
      return transport.delete(s.memcachedKey());
    } finally {
      near.invalidate(s.memcachedKey()); // near: removed (or maybe, after a failure)
    }
  }

  /** Deletes the slots' items, pipelined; returns how many existed. */
  public int deleteAll(List<Slot<K>> slots) {
    List<String> mkeys = entryCodec.memcachedKeys(slots);
    try {
      return transport.deleteAll(mkeys);
    } finally {
      for (String mkey : mkeys) {
        near.invalidate(mkey); // near: as in delete
      }
    }
  }

  // ---------------------------------------------------------------- scanning ({@link EntryScan})

  /**
   * Every live entry of this cache on the servers, fetched lazily in batches: the servers' keys are
   * listed once, when this is called.
   */
  public Iterator<Found<K, V>> entries() {
    return scan.entries();
  }

  /**
   * The slot of every live entry of this cache on the servers, for removal, in batches handed to
   * {@code each} after the servers' keys are listed: one batch of slots is held at a time. Each slot
   * has its key. The live entries that cannot be handed over with one (a key whose class this JVM
   * refuses or lacks, an entry another value codec wrote, which this cache does not read, or one
   * under a lease's key: see {@link EntryScan}) are removed by their memcached keys alone, each
   * only while it is the item judged, and counted to {@code removedUnread}. With
   * stale-while-revalidate, the expired entries listed, which memcached keeps for the window and a
   * read-through {@code get} would serve stale, are handed one by one to {@code expired}, before
   * their batch's live slots, to be removed ({@link #removeIfExpired}, in the key's turn for
   * events when a listener wants its EXPIRED event); they are absent for JCache, so no writer or
   * statistic hears of them. The near cache is not told of these removals: the caller drops what it
   * holds once it is done ({@link #forgetHeld}).
   */
  public void eachLiveSlotBatch(Consumer<List<Slot<K>>> each, Consumer<Slot<K>> expired, LongConsumer removedUnread) {
    scan.eachSlotBatch(each, staleMillis > 0 ? slots -> slots.forEach(expired) : slots -> {}, removedUnread);
  }

  /**
   * Removes the entry of {@code s} if it is expired when read again, by a {@code cas} on the item
   * as read, so a write made since it was found expired stays; returns what was applied.
   */
  public Applied<V> removeIfExpired(Slot<K> s) {
    return compute(s, c -> c.expired() ? Decision.remove() : Decision.keep());
  }

  /** Drops everything the near cache holds (after a removeAll: see {@link NearCache#invalidateAll}). */
  public void forgetHeld() {
    near.invalidateAll();
  }

  /**
   * The cache closed: drops what the near cache holds and the cache's slots among the manager's
   * recent ones, so that a closed cache still referenced keeps no entries, and the open manager
   * keeps nothing of a closed cache.
   */
  public void close() {
    near.invalidateAll();
    entryCodec.forgetSlots();
  }

  /** Deletes every entry of this cache on the servers, in pipelined batches. */
  public void clear() {
    try {
      scan.clear();
    } finally {
      near.invalidateAll(); // near: nothing held before the clear is served after it
    }
  }

  // ---------------------------------------------------------------- helpers

  /**
   * memcached's TTL for an entry expiring at {@code at}: with stale-while-revalidate, memcached
   * keeps the item for the window after expiry so the previous value can still be served.
   */
  int ttl(long at, long now) {
    return Ttl.of(at == Expiry.ETERNAL || staleMillis == 0 ? at : at + staleMillis, now);
  }

  /** A key as it may appear in a message: at most 80 characters. */
  public static String abbreviate(Object key) {
    String s = String.valueOf(key);
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
