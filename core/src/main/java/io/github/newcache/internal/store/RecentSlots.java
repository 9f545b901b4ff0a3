package io.github.newcache.internal.store;

import java.util.concurrent.ThreadLocalRandom;

/**
 * The slots of keys used lately, shared by one manager's caches, so that a key used again skips
 * its encoding, MD5 hash and hex form (with ketama's second MD5, of the memcached key, that was
 * about a twelfth of the client's CPU per async {@code get}). A fixed table of {@value #SIZE}
 * places, one slot each, a key's place chosen by its hash and its cache; a new key takes the place
 * of another now and then ({@link #keep}). Memory stays bounded: at most {@value #SIZE} slots,
 * each of a key of at most {@value #MAX_FORM_BYTES} bytes. A slot's owner is a token of its
 * cache, which holds nothing of the cache; a cache that closes empties its places ({@link #forget}).
 *
 * <p>Caches with a near cache do without it (see {@code EntryCodec}). Only what is sure to give
 * the same memcached key again is kept: slots of the default key function (a custom mangler is not
 * promised to be a pure function of the key), and of {@code String}, {@code Integer} and {@code
 * Long} keys, whose {@code equals} holds exactly when their stable forms are equal (two equal keys
 * of another type may serialize apart).
 *
 * <p>Threads read and replace places without locks: a slot and its parts are immutable, so a
 * thread sees either a whole slot or another (or none), and a miss only costs the hash it saves.
 */
public final class RecentSlots {

  static final int SIZE = 4096;
  /** A miss replaces another key's slot once in this many tries (see {@link #keep}). */
  static final int ADMIT_ONE_IN = 16;
  private static final int SHIFT = Integer.numberOfLeadingZeros(SIZE - 1);
  /** Longer keys are hashed every time: kept, they would make the table's memory the keys' size. */
  static final int MAX_FORM_BYTES = 256;

  /** A slot and the cache it belongs to. */
  private record Recent(Object owner, Slot<?> slot) {}

  private final Recent[] table = new Recent[SIZE];

  /** True for keys whose slots may be kept: see the class comment. */
  static boolean keeps(Object key) {
    return key instanceof String || key instanceof Integer || key instanceof Long;
  }

  /** The slot of {@code key} in {@code owner}'s cache, if kept; null otherwise. */
  @SuppressWarnings("unchecked") // an owner's slots all hold its key type
  <K> Slot<K> find(Object owner, int salt, K key) {
    if (!keeps(key)) {
      return null;
    }
    Recent r = table[place(key, salt)];
    if (r == null || r.owner != owner) {
      return null;
    }
    Object kept = r.slot.key();
    return kept.equals(key) ? (Slot<K>) r.slot : null;
  }

  /**
   * Keeps {@code s}, a slot of {@code owner}'s cache whose key {@link #keeps qualifies}: always in an
   * empty place, and in one another key holds only once in {@value #ADMIT_ONE_IN} tries, so a hot
   * key still gets in soon while a stream of keys used once rarely displaces it. Replacing on every
   * miss cost more than it saved where most keys miss: with 16 threads reading 10,000 keys through
   * a near cache, every write of a new slot into this long-lived table (an allocation, and a
   * reference from an old object to a young one that the collector must track) took the near
   * cache's throughput from 2.7 to 1.1–1.9 million reads a second.
   */
  void keep(Object owner, int salt, Slot<?> s) {
    if (s.form().length > MAX_FORM_BYTES) {
      return;
    }
    int place = place(s.key(), salt);
    if (table[place] == null || ThreadLocalRandom.current().nextInt(ADMIT_ONE_IN) == 0) {
      table[place] = new Recent(owner, s);
    }
  }

  /**
   * Empties the places of {@code owner}'s slots: its cache closed. One pass over the table, when a
   * cache closes; a slot kept meanwhile by a call of the closing cache stays until replaced.
   */
  void forget(Object owner) {
    for (int i = 0; i < SIZE; i++) {
      Recent r = table[i];
      if (r != null && r.owner == owner) {
        table[i] = null;
      }
    }
  }

  static int place(Object key, int salt) {
    return ((key.hashCode() ^ salt) * 0x9E3779B9) >>> SHIFT;
  }
}
