package io.github.newcache.internal.store;

import io.github.newcache.internal.expiry.TimeSource;
import io.github.newcache.internal.key.KeyForms;
import io.github.newcache.internal.key.KeyFunction;
import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.transport.MemcachedTransport;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.Consumer;
import java.util.function.Predicate;

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
   * listed: one batch of slots is held at a time, beside the listed keys. A slot has its key when
   * this JVM can decode it, else null (a class this JVM refuses or lacks). Values are not decoded:
   * removing an entry needs only the proof, from its envelope, that it is this cache's. So an entry
   * of the cache that another value codec wrote, which this cache reads as a miss, is removed too,
   * live or expired, as {@code clear()} removes it, by its memcached key alone (its slot has no key:
   * the writer and listeners, who would be told of a value this cache cannot read, do not hear of
   * it), and is not counted as rejected. So is an entry stored under a key of a lease's shape
   * ({@link #reserved}), which no key reaches now.
   */
  void eachSlotBatch(Consumer<List<Slot<K>>> live, Consumer<List<Slot<K>>> expired) {
    List<String> listed = listed();
    for (int i = 0; i < listed.size(); i += BATCH) {
      List<Slot<K>> liveSlots = new ArrayList<>();
      List<Slot<K>> expiredSlots = new ArrayList<>();
      slots(listed.subList(i, Math.min(listed.size(), i + BATCH)), liveSlots, expiredSlots);
      if (!expiredSlots.isEmpty()) {
        expired.accept(expiredSlots);
      }
      live.accept(liveSlots);
    }
  }

  /** Adds the slots of this cache's entries among {@code mkeys} to {@code live} or {@code expired}. */
  private void slots(List<String> mkeys, List<Slot<K>> live, List<Slot<K>> expired) {
    Map<String, byte[]> raw = transport.getAll(mkeys);
    long now = clock.millis();
    for (String mkey : mkeys) {
      Envelope env = owned(mkey, raw.get(mkey));
      if (env == null) {
        continue;
      }
      byte[] form = env.keyForm();
      if (entryCodec.ownCodec(env) && !reserved(mkey)) {
        (env.isExpired(now) ? expired : live).add(new Slot<>(decodeKey(form), form, mkey));
      } else {
        live.add(new Slot<>(null, form, mkey)); // ours, not to read: removed by its memcached key
      }
    }
  }

  /**
   * The key stored as {@code form}, or null (counted) when this JVM cannot decode it or it is not
   * of this cache's key type (a cache of the same name, flavor and version elsewhere on the fleet,
   * with other keys): never handed to the caller, a writer or a listener as one of this cache's.
   */
  private K decodeKey(byte[] form) {
    Object key;
    try {
      key = KeyForms.decode(form, classLoader);
    } catch (RuntimeException e) {
      failures.rejected("a stored key: " + e.getMessage());
      return null;
    }
    if (key == null || !entryCodec.takesKey(key)) {
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
      K key = decodeKey(env.keyForm());
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
   * such caches a flavor. Leases are left alone.
   */
  void clear() {
    // Leases stay: one held by another client keeps its write-through writer call and memcached
    // write together (and its load single); they expire by themselves. The default key function
    // never gives an entry a lease's key, so its lease keys are not even listed; under a custom
    // one they are read, and an entry an earlier version stored there (see reserved) is deleted.
    List<String> listed = listed(k -> !(keys.exact() && LeaseKeys.matches(k)));
    for (int i = 0; i < listed.size(); i += BATCH) {
      delete(listed.subList(i, Math.min(listed.size(), i + BATCH)));
    }
  }

  /** Deletes the keys of {@code batch} that are this cache's. */
  private void delete(List<String> batch) {
    if (keys.exact()) {
      transport.deleteAll(batch);
      return;
    }
    Map<String, byte[]> raw = transport.getAll(batch);
    List<String> ours = new ArrayList<>();
    for (String mkey : batch) {
      if (owned(mkey, raw.get(mkey)) != null) {
        ours.add(mkey);
      }
    }
    transport.deleteAll(ours);
  }
}
