package io.github.newcache.internal.store;

import io.github.newcache.internal.expiry.TimeSource;
import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.key.KeyForms;
import io.github.newcache.internal.key.KeyFunction;
import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.transport.CasOutcome;
import io.github.newcache.internal.transport.Item;
import io.github.newcache.internal.transport.MemcachedTransport;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.BiPredicate;
import java.util.function.Consumer;
import java.util.function.LongConsumer;
import java.util.function.ObjIntConsumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * One cache's entries found by listing the servers' keys, for the iterator, {@code removeAll()}
 * and {@code clear()}: memcached has no index of keys by prefix, so the keys are listed ({@link
 * MemcachedTransport#keys}), those the key function may own are fetched in multi-gets of {@value
 * #BATCH}, and only items whose envelope proves they are this cache's entry for exactly the
 * memcached key listed are taken. Part of {@link EntryStore}; {@link EntryCodec} decodes envelopes and values.
 */
final class EntryScan<K, V> {

  /** Keys fetched per multi-get while scanning. */
  static final int BATCH = 100;
  /**
   * Rounds of reading and removing by CAS that a removal by memcached key alone makes before it
   * deletes by key ({@link #removeUnchanged}): the item changes under it whenever another client
   * writes it, and also whenever another client only reads it under an access expiry policy (that
   * read moves the expiry with a {@code cas}), so changes in a row are no sign of a write.
   */
  static final int REMOVAL_READS = 8;
  /** What the {@code cas} that removes an item writes: it expires at once ({@link Ttl#EXPIRED}). */
  private static final byte[] TOMBSTONE = {0};

  private final EntryCodec<K, V> entryCodec;
  private final KeyFunction keys;
  private final MemcachedTransport transport;
  private final TimeSource clock;
  private final ClassLoader classLoader;
  private final FailureStatistics failures;

  EntryScan(
      EntryCodec<K, V> entryCodec,
      KeyFunction keys,
      MemcachedTransport transport,
      TimeSource clock,
      ClassLoader classLoader,
      FailureStatistics failures) {
    this.entryCodec = entryCodec;
    this.keys = keys;
    this.transport = transport;
    this.clock = clock;
    this.classLoader = classLoader;
    this.failures = failures;
  }

  /**
   * Every live entry of this cache on the servers, fetched lazily in batches: the servers' keys are
   * listed once, when this is called.
   */
  Iterator<Found<K, V>> entries() {
    List<String> listed = listed();
    return new Iterator<>() {
      private int position;
      private final List<Found<K, V>> batch = new ArrayList<>();
      private int index;

      @Override
      public boolean hasNext() {
        while (index >= batch.size()) {
          if (position >= listed.size()) {
            return false;
          }
          int end = Math.min(listed.size(), position + BATCH);
          batch.clear();
          index = 0;
          batch.addAll(fetch(listed.subList(position, end)));
          position = end;
        }
        return true;
      }

      @Override
      public Found<K, V> next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return batch.get(index++);
      }
    };
  }

  /**
   * The slot of every entry of this cache on the servers, for removal, in batches of at most
   * {@value #BATCH} handed to {@code live} (the live entries, even an empty batch) and {@code
   * expired} (those whose envelope has expired, when there are any) once every server's keys are
   * listed: one batch of slots is held at a time, beside the listed keys. A live slot has its key;
   * an expired one has it when this JVM can decode it, else null (a class this JVM refuses or
   * lacks). Values are not decoded: removing an entry needs only the proof, from its envelope, that
   * it is this cache's. The live entries that cannot be handed over with their key are removed here,
   * by their memcached keys alone, and counted to {@code removedUnread} (each batch's count, before
   * its slots are handed over): an entry whose key this JVM cannot decode, an entry of the cache
   * that another value codec wrote, which this cache reads as a miss, and an entry stored under a
   * key of a lease's shape ({@link #reserved}), which no key reaches now. Each goes only while it is
   * the item that was judged ({@link #removeUnchanged}): the writer and listeners, who would be told
   * of a value this cache cannot read, do not hear of it, so an entry of the cache written over it
   * in the meantime is not taken with it, nor is a lease taken where it was. None is counted as
   * rejected.
   */
  void eachSlotBatch(Consumer<List<Slot<K>>> live, Consumer<List<Slot<K>>> expired, LongConsumer removedUnread) {
    List<String> listed = listed();
    for (int i = 0; i < listed.size(); i += BATCH) {
      List<Slot<K>> liveSlots = new ArrayList<>();
      List<Slot<K>> expiredSlots = new ArrayList<>();
      List<String> unread = new ArrayList<>();
      slots(listed.subList(i, Math.min(listed.size(), i + BATCH)), liveSlots, expiredSlots, unread);
      if (!expiredSlots.isEmpty()) {
        expired.accept(expiredSlots);
      }
      if (!unread.isEmpty()) {
        removeUnchanged(unread, this::takenUnread, removedUnread);
      }
      live.accept(liveSlots);
    }
  }

  /**
   * Adds the slots of this cache's entries among {@code mkeys} to {@code live} or {@code expired},
   * and the memcached keys of its live entries that are removed without their key to {@code unread}.
   */
  private void slots(List<String> mkeys, List<Slot<K>> live, List<Slot<K>> expired, List<String> unread) {
    Map<String, byte[]> raw = transport.getAll(mkeys);
    long now = clock.millis();
    for (String mkey : mkeys) {
      Envelope env = owned(mkey, raw.get(mkey));
      if (env == null) {
        continue;
      }
      byte[] form = env.keyForm();
      if (!entryCodec.ownCodec(env) || reserved(mkey)) {
        unread.add(mkey); // ours, not to read
        continue;
      }
      K key = decodeKey(form, true);
      if (env.isExpired(now)) {
        expired.add(new Slot<>(key, form, mkey)); // removed by a compute on its memcached key
      } else if (key != null) {
        live.add(new Slot<>(key, form, mkey));
      } else {
        unread.add(mkey);
      }
    }
  }

  /**
   * Whether the item {@code raw}, read under {@code mkey}, is a live entry of this cache that a
   * removal takes by its memcached key alone ({@link #eachSlotBatch}). A key this JVM cannot decode
   * is not counted again: it was, when the entry was listed.
   */
  private boolean takenUnread(String mkey, byte[] raw) {
    Envelope env = owned(mkey, raw);
    if (env == null) {
      return false;
    }
    if (!entryCodec.ownCodec(env) || reserved(mkey)) {
      return true;
    }
    return !env.isExpired(clock.millis()) && decodeKey(env.keyForm(), false) == null;
  }

  /**
   * The key stored as {@code form}, or null (counted when {@code count}) when this JVM cannot decode
   * it or it is not of this cache's key type (a cache of the same name, flavor and version
   * elsewhere on the fleet, with other keys): never handed to the caller, a writer or a listener as
   * one of this cache's.
   */
  private K decodeKey(byte[] form, boolean count) {
    Object key;
    try {
      key = KeyForms.decode(form, classLoader);
    } catch (RuntimeException e) {
      if (count) {
        failures.rejected("a stored key: " + e.getMessage());
      }
      return null;
    }
    if (key == null || !entryCodec.takesKey(key)) {
      if (!count) {
        return null;
      }
      failures.rejected("a stored key " + (key == null ? "that decodes to null" : "of type " + key.getClass().getName())
          + " in a cache of another key type: a foreign entry");
      return null;
    }
    @SuppressWarnings("unchecked") // checked just above
    K typed = (K) key;
    return typed;
  }

  /** The memcached keys on the servers that may be this cache's ({@link KeyFunction#mayOwn}). */
  private List<String> listed() {
    return listed(k -> true);
  }

  /** {@link #listed()}, of those the keys {@code also} accepts, held compactly ({@link ListedKeys}). */
  private List<String> listed(Predicate<String> also) {
    ListedKeys listed = new ListedKeys(keys.prefix());
    transport.eachKey(keys.prefix(), mkey -> {
      if (keys.mayOwn(mkey) && also.test(mkey)) {
        listed.add(mkey);
      }
    });
    return listed;
  }

  /** The live entries among {@code mkeys} that are provably this cache's, with keys and values decoded. */
  private List<Found<K, V>> fetch(List<String> mkeys) {
    List<Found<K, V>> found = new ArrayList<>();
    Map<String, byte[]> raw = transport.getAll(mkeys);
    long now = clock.millis();
    for (String mkey : mkeys) {
      Envelope env = owned(mkey, raw.get(mkey));
      if (env == null || env.isExpired(now) || reserved(mkey) || !entryCodec.readable(env)) {
        continue; // another codec's entry of this cache is a counted miss, as to get it is
      }
      K key = decodeKey(env.keyForm(), true);
      V value = key == null ? null : entryCodec.decode(env);
      if (value != null) {
        found.add(new Found<>(new Slot<>(key, env.keyForm(), mkey), value));
      }
    }
    return found;
  }

  /**
   * The envelope of an item listed under {@code mkey} when it proves to be this cache's entry for
   * exactly that memcached key (its namespace matches and its key form, mangled again, gives {@code
   * mkey}), whichever value codec wrote it ({@link EntryCodec#parseAnyCodec}); null otherwise.
   */
  private Envelope owned(String mkey, byte[] raw) {
    Envelope env = entryCodec.parseAnyCodec(raw);
    if (env == null) {
      return null;
    }
    try {
      return keys.gives(env.keyForm(), mkey) ? env : null;
    } catch (RuntimeException e) {
      return null; // a key form the mangler refuses is not one of ours
    }
  }

  /**
   * True when {@code mkey} has a lease's shape ({@link LeaseKeys}) under a custom key function. A
   * version before 0.2.0 stored an entry there when the mangler gave its key that shape (the user
   * key {@code x.lease} under a mangler that keeps the key's text): the entry sits in the place of
   * another key's lease, and every load, write-through write and entry processor of that key waits
   * the whole lease timeout for it while it stays (eternal entries stay for good). The key function
   * now refuses such keys ({@link KeyFunction#mangle}), so no call reaches that entry by its key:
   * the iterator skips it, and {@code removeAll()} and {@code clear()} remove it once its envelope
   * proves it is this cache's entry. A real lease never passes that proof: it holds a 16-byte
   * token, not an envelope.
   */
  private boolean reserved(String mkey) {
    return !keys.exact() && LeaseKeys.matches(mkey);
  }

  /**
   * Deletes every entry of this cache on the servers, in pipelined batches of {@value #BATCH},
   * once every server's keys are listed (never while a listing is read: see {@code KeyLister}).
   * Under the default key function the listed keys are deleted unread: only this cache's keys have
   * its prefix and shape, and reading them would fetch every value (up to {@code maxItemSize} each)
   * and, with a secret, keep the other format's items of this cache during a signing rollout.
   * Another application
   * writing keys of exactly that shape (django-newcache's {@code 2-1-<md5>} with flavor 2 is the
   * shape of an unflavored cache named 1 at version 2) would lose them: the README says to give
   * such caches a flavor. Under a custom key function each listed item is read and removed only
   * while it is the item whose envelope proved it this cache's ({@link #removeUnchanged}). Leases
   * are left alone.
   */
  void clear() {
    // Leases stay: one held by another client keeps its write-through writer call and memcached
    // write together (and its load single); they expire by themselves. The default key function
    // never gives an entry a lease's key, so its lease keys are not even listed; under a custom
    // one they are read, and an entry an earlier version stored there (see reserved) is removed,
    // but not a lease taken there once that entry is gone.
    List<String> listed = listed(k -> !(keys.exact() && LeaseKeys.matches(k)));
    for (int i = 0; i < listed.size(); i += BATCH) {
      List<String> batch = listed.subList(i, Math.min(listed.size(), i + BATCH));
      if (keys.exact()) {
        transport.deleteAll(batch);
      } else {
        removeUnchanged(batch, (mkey, raw) -> owned(mkey, raw) != null, removed -> { });
      }
    }
  }

  /**
   * Removes the items of {@code mkeys} that {@code taken} takes (given each memcached key and the
   * item read there), by their memcached keys alone, and only while each is the item that was
   * judged: each is read with its CAS token ({@code gets}) and expired at once by a {@code cas} with
   * that token ({@link Ttl#EXPIRED}), both pipelined. An unconditional delete would take whatever
   * was written in between: a live lease taken where an entry under a lease's key vanished, or an
   * entry of the cache written over another codec's, without its REMOVED event. An item changed in
   * between is read again and judged again, until it is removed, gone, or no longer taken: a change
   * may be another client's write, or only its read under an access expiry policy, which rewrites
   * the item's expiry, and an entry that existed before the call must go however often other
   * clients read it meanwhile. One still changing after {@value #REMOVAL_READS} rounds (a hot key
   * read under an access expiry policy) is read once more and, while still taken, deleted by key:
   * only a write landing in that last round trip is deleted with it. What was removed is counted to
   * {@code removed} after each round and after those deletes, before any failure among them is
   * thrown.
   */
  private void removeUnchanged(List<String> mkeys, BiPredicate<String, byte[]> taken, LongConsumer removed) {
    List<String> todo = mkeys;
    for (int read = 0; read < REMOVAL_READS && !todo.isEmpty(); read++) {
      Map<String, Item> items = readWithCas(todo);
      List<String> judged = new ArrayList<>(items.size());
      List<CompletableFuture<CasOutcome>> removals = new ArrayList<>(items.size());
      for (Map.Entry<String, Item> e : items.entrySet()) {
        if (taken.test(e.getKey(), e.getValue().value())) {
          long cas = e.getValue().cas();
          judged.add(e.getKey());
          removals.add(sent(() -> transport.casAsync(e.getKey(), cas, Ttl.EXPIRED, TOMBSTONE)));
        }
      }
      List<String> changed = new ArrayList<>();
      int[] stored = {0};
      RuntimeException failed = eachAnswer(removals, (outcome, j) -> {
        switch (outcome) {
          case STORED -> stored[0]++;
          case CHANGED -> changed.add(judged.get(j));
          case GONE -> { } // nothing left to remove
        }
      });
      removed.accept(stored[0]);
      if (failed != null) {
        throw failed;
      }
      todo = changed;
    }
    if (!todo.isEmpty()) {
      List<String> still = new ArrayList<>(todo.size());
      for (Map.Entry<String, Item> e : readWithCas(todo).entrySet()) {
        if (taken.test(e.getKey(), e.getValue().value())) {
          still.add(e.getKey());
        }
      }
      List<CompletableFuture<Boolean>> deletes = new ArrayList<>(still.size());
      for (String mkey : still) {
        deletes.add(sent(() -> transport.deleteAsync(mkey)));
      }
      int[] deleted = {0};
      RuntimeException failed = eachAnswer(deletes, (gone, j) -> {
        if (gone) {
          deleted[0]++;
        }
      });
      removed.accept(deleted[0]);
      if (failed != null) {
        throw failed;
      }
    }
  }

  /** The items of {@code mkeys} that memcached holds, with their CAS tokens, read pipelined ({@code gets}). */
  private Map<String, Item> readWithCas(List<String> mkeys) {
    List<CompletableFuture<Item>> reads = new ArrayList<>(mkeys.size());
    for (String mkey : mkeys) {
      reads.add(sent(() -> transport.getsAsync(mkey)));
    }
    List<Item> items = answers(reads);
    Map<String, Item> out = new LinkedHashMap<>(mkeys.size() * 4 / 3 + 1);
    for (int j = 0; j < items.size(); j++) {
      if (items.get(j) != null) {
        out.put(mkeys.get(j), items.get(j));
      }
    }
    return out;
  }

  /** The future of a non-blocking operation; a refusal to send it becomes its failure. */
  private static <T> CompletableFuture<T> sent(Supplier<CompletableFuture<T>> send) {
    try {
      return send.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The answers of pipelined operations, in order, once every one is answered (each within the
   * transport's operation timeout); when some failed, the first failure, the others suppressed in it.
   */
  private static <T> List<T> answers(List<CompletableFuture<T>> sent) {
    List<T> out = new ArrayList<>(sent.size());
    RuntimeException failed = eachAnswer(sent, (answer, j) -> out.add(answer));
    if (failed != null) {
      throw failed;
    }
    return out;
  }

  /**
   * Hands each answer of {@code sent} to {@code each} with its index, in order, as each is answered
   * (within the transport's operation timeout); returns the first failure, the others suppressed in
   * it, or null.
   */
  private static <T> RuntimeException eachAnswer(List<CompletableFuture<T>> sent, ObjIntConsumer<T> each) {
    RuntimeException failed = null;
    for (int j = 0; j < sent.size(); j++) {
      T answer;
      try {
        answer = sent.get(j).join();
      } catch (CompletionException | CancellationException e) {
        failed = firstOf(failed, e);
        continue;
      }
      each.accept(answer, j);
    }
    return failed;
  }

  /** The failure to throw: {@code first}, or the cause of {@code e} when there was none; the others suppressed in it. */
  private static RuntimeException firstOf(RuntimeException first, RuntimeException e) {
    RuntimeException cause = e.getCause() instanceof RuntimeException r ? r : e;
    if (first == null) {
      return cause;
    }
    if (first != cause) {
      first.addSuppressed(cause);
    }
    return first;
  }
}
