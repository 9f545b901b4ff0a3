package io.github.newcache.internal.store;

import io.github.newcache.codec.DefaultValueCodec;
import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.codec.RejectedValueException;
import io.github.newcache.internal.key.KeyForms;
import io.github.newcache.internal.key.KeyFunction;
import io.github.newcache.internal.management.FailureStatistics;
import io.github.newcache.internal.transport.Parts;
import java.lang.reflect.Array;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One cache's way from its keys and values to memcached keys and stored bytes, and back: key
 * checks and the key function ({@link Slot}, remembered for hot keys in the manager's {@link
 * RecentSlots}), value checks, encoding and the item-size budget ({@link Encoded}), the stored
 * layout ({@link Envelope}), and decoding, where an entry that cannot be this cache's reads as
 * absent and is counted. Part of {@link EntryStore}, which sends the commands; this never talks
 * to memcached.
 */
final class EntryCodec<K, V> {

  /** Room memcached needs beside the stored bytes: the key (up to 250 bytes) and its item header. */
  static final int ITEM_OVERHEAD = 320;
  private static final byte[] NO_BYTES = new byte[0];

  private final String cacheName;
  private final Class<K> keyType;
  private final Class<V> valueType;
  private final KeyFunction keys;
  private final byte[] namespace;
  /**
   * The envelope format this cache writes and reads: signed when its transport signs items; with
   * the codec's id when its codec is not the default one.
   */
  private final byte format;
  /** With a codec other than the default, its id in the envelope ({@link Envelope#codecId}); else 0. */
  private final int codecId;
  /** The codec's {@link ValueCodec#id()}, asked once. */
  private final String codecName;
  private final ValueCodec codec;
  private final ClassLoader classLoader;
  private final int maxStoredBytes;
  private final FailureStatistics failures;
  /** The manager's recent slots; null with a custom key function or a near cache. */
  private final RecentSlots recent;
  /**
   * Names this cache's slots in {@link #recent}: a token of its own, not this codec, so that a slot
   * left there by a cache that closed (one kept by a call still running as it closed) holds
   * nothing of the cache, its value codec or its class loaders.
   */
  private final Object owner = new Object();
  /** Spreads this cache's keys over {@link #recent} apart from other caches' equal keys. */
  private final int salt;
  /**
   * Whether a blind set may write a {@code byte[]} value in two parts, this key's header plus the
   * value's type tag, then the caller's array itself ({@link #encodeForSet}, {@link #item}): for a
   * cache with the default codec, no near cache (it keeps the stored bytes whole) and no signing.
   */
  private final boolean writesInParts;
  /** With {@link #writesInParts}: the bytes the codec puts before a {@code byte[]} value's own. */
  private final int tagLength;

  /**
   * @param maxItemSize memcached's item size limit ({@code -I})
   * @param transportOverhead bytes the transport adds to every item (a signature)
   * @param classLoader the manager's loader carrying the cache's deserialization allow-list
   * @param nearCache whether the cache has a near cache
   * @param recent the manager's recent slots, shared by its caches
   */
  EntryCodec(
      String cacheName,
      Class<K> keyType,
      Class<V> valueType,
      KeyFunction keys,
      ValueCodec codec,
      ClassLoader classLoader,
      int maxItemSize,
      int transportOverhead,
      FailureStatistics failures,
      boolean nearCache,
      RecentSlots recent) {
    this.cacheName = cacheName;
    this.keyType = keyType;
    this.valueType = valueType;
    this.keys = keys;
    this.namespace = keys.space().namespace().getBytes(StandardCharsets.US_ASCII);
    String id = codec.id();
    if (id == null || id.isEmpty()) {
      throw new IllegalArgumentException("cache " + cacheName + ": the value codec " + codec.getClass().getName()
          + " returned " + (id == null ? "null" : "an empty string") + " from id(); it must name the codec's encoding");
    }
    // The default codec's entries keep the format (and bytes) of version 0.1.0, so both share them.
    boolean defaultCodec = id.equals(DefaultValueCodec.class.getName());
    this.format = Envelope.format(transportOverhead > 0, defaultCodec);
    this.codecId = defaultCodec ? 0 : Envelope.codecId(id);
    this.codecName = id;
    this.codec = codec;
    this.classLoader = classLoader;
    this.maxStoredBytes = maxItemSize - ITEM_OVERHEAD - transportOverhead;
    this.failures = failures;
    // A near-cached cache serves its hot keys locally, at a million reads a second and more, where
    // writing new slots into the shared table cost its readers more than the hashing it saves.
    this.recent = keys.exact() && !nearCache ? recent : null;
    this.salt = System.identityHashCode(this);
    this.writesInParts = valueType == byte[].class && codec.getClass() == DefaultValueCodec.class
        && format == Envelope.FORMAT && !nearCache;
    this.tagLength = writesInParts ? codec.encode(NO_BYTES, 0).length : 0;
  }

  // ---------------------------------------------------------------- keys

  /** The slot of {@code key}; throws for a null key or one of the wrong type. */
  Slot<K> slot(K key) {
    Objects.requireNonNull(key, "key");
    if (keyType != Object.class && !keyType.isInstance(key)) {
      throw new ClassCastException(
          "cache " + cacheName + " takes keys of type " + keyType.getName() + ", not " + key.getClass().getName());
    }
    Slot<K> s = recent == null ? null : recent.find(owner, salt, key);
    if (s != null) {
      return s;
    }
    byte[] form = KeyForms.encode(key);
    s = new Slot<>(key, form, keys.mangle(form));
    if (recent != null && RecentSlots.keeps(key)) {
      recent.keep(owner, salt, s);
    }
    return s;
  }

  /** The cache closed: its places in the manager's recent slots go to the other caches. */
  void forgetSlots() {
    if (recent != null) {
      recent.forget(owner);
    }
  }

  /** Whether {@code key} is of this cache's key type. */
  boolean takesKey(Object key) {
    return keyType == Object.class || keyType.isInstance(key);
  }

  /** The slots of {@code keys}, each key once, in order; throws before anything when a key is null. */
  List<Slot<K>> slots(Collection<? extends K> keys) {
    for (K k : keys) {
      Objects.requireNonNull(k, "a key in keys");
    }
    List<Slot<K>> slots = new ArrayList<>(keys.size());
    Set<K> seen = keys instanceof Set ? null : new HashSet<>();
    for (K k : keys) {
      if (seen == null || seen.add(k)) {
        slots.add(slot(k));
      }
    }
    return slots;
  }

  /** The slots' memcached keys, each once (distinct keys share one only under a custom mangler). */
  List<String> memcachedKeys(List<Slot<K>> slots) {
    List<String> out = new ArrayList<>(slots.size());
    for (Slot<K> s : slots) {
      out.add(s.memcachedKey());
    }
    return keys.exact() ? out : new ArrayList<>(new LinkedHashSet<>(out));
  }

  /** True under the default key function, where distinct keys never share a memcached key. */
  boolean exactKeys() {
    return keys.exact();
  }

  // ---------------------------------------------------------------- values to bytes

  /** Throws for a null value or one of the wrong type. */
  void checkValue(V value) {
    Objects.requireNonNull(value, "value");
    if (valueType != Object.class && !valueType.isInstance(value)) {
      throw new ClassCastException(
          "cache " + cacheName + " takes values of type " + valueType.getName() + ", not " + value.getClass().getName());
    }
  }

  /** See {@link EntryStore#encodeForSet}. */
  Encoded<V> encodeForSet(Slot<K> s, V value) {
    if (!writesInParts) {
      return encode(s, value);
    }
    checkValue(value);
    int headroom = Envelope.headerLength(format, namespace, s.form());
    checkStoredSize(s, headroom + tagLength + ((byte[]) value).length);
    return new Encoded<>(value, codec, headroom);
  }

  /** {@code value} checked and encoded for {@code s}; throws before anything is stored when it cannot be. */
  Encoded<V> encode(Slot<K> s, V value) {
    checkValue(value);
    byte[] bytes = codec.encode(value, Envelope.headerLength(format, namespace, s.form()));
    checkStoredSize(s, bytes.length);
    return new Encoded<>(value, bytes);
  }

  /**
   * About the bytes {@code o} holds, for an argument a write keeps while it waits (an {@code
   * invoke}'s): an array of primitives or a string, its length in bytes (two a char); a value of
   * this cache's type, the length of its encoding (its serialized form, for most classes: about its
   * size in the heap), which costs an encoding; 0 for anything else, or for a value the codec
   * refuses.
   */
  long weight(Object o) {
    if (o == null) {
      return 0;
    }
    if (o instanceof byte[] b) {
      return b.length;
    }
    if (o instanceof String str) {
      return 2L * str.length();
    }
    Class<?> component = o.getClass().getComponentType();
    if (component != null && component.isPrimitive()) {
      long each = component == long.class || component == double.class ? 8
          : component == int.class || component == float.class ? 4
          : component == char.class || component == short.class ? 2 : 1;
      return each * Array.getLength(o);
    }
    if (valueType.isInstance(o)) {
      try {
        return codec.encode(o).length;
      } catch (RuntimeException refused) {
        return 0; // not a value this cache stores: the processor is told of it, not the codec
      }
    }
    return 0;
  }

  private void checkStoredSize(Slot<K> s, int stored) {
    if (stored > maxStoredBytes) {
      throw new IllegalArgumentException(
          "the value for key " + EntryStore.abbreviate(s.key()) + " in cache " + cacheName + " takes " + stored
              + " bytes stored; memcached's item size limit (maxItemSize) leaves room for "
              + maxStoredBytes + " bytes");
    }
  }

  /** The bytes to store for an encoded {@code value} of {@code s}: its envelope's header filled in. */
  byte[] stored(Slot<K> s, Encoded<V> value, long expiresAt) {
    return Envelope.fill(value.bytes(), format, codecId, namespace, s.form(), expiresAt);
  }

  /** Whether a blind set writes {@code byte[]} values in two parts ({@link #item}). */
  boolean writesInParts() {
    return writesInParts;
  }

  /**
   * The item to store for {@code value}: in two parts, this key's header and the value's type tag,
   * then the caller's bytes, when the value is not encoded yet ({@link #encodeForSet}); else its
   * encoded bytes with the header filled in, whole.
   */
  Parts item(Slot<K> s, Encoded<V> value, long expiresAt) {
    byte[] unencoded = value.unencoded();
    if (unencoded == null) {
      return new Parts(stored(s, value, expiresAt), null);
    }
    byte[] head = codec.encode(NO_BYTES, Envelope.headerLength(format, namespace, s.form()));
    return new Parts(Envelope.fill(head, format, codecId, namespace, s.form(), expiresAt), unencoded);
  }

  // ---------------------------------------------------------------- bytes to values

  /** The head length to read {@code s}'s item in parts with: its header and the value's first byte. */
  int partsHead(Slot<K> s) {
    return Envelope.headerLength(format, namespace, s.form()) + 1;
  }

  /**
   * The envelope of {@code raw} when it is this cache's entry (for the key form given, or any key
   * when null) written by this cache's codec; an entry of the other signing (signed, read without
   * the secret) is counted, and so is this cache's entry written by another codec.
   */
  Envelope parse(byte[] raw, byte[] form) {
    Envelope env = Envelope.parse(raw, format, codecId, namespace, form);
    if (env == null && raw != null) {
      if (Envelope.otherFormat(raw, format)) {
        rejectOtherSigning();
      } else if (Envelope.otherCodec(raw, format, codecId, namespace, form)) {
        rejectOtherCodec();
      }
    }
    return env;
  }

  /**
   * The envelope of {@code raw} when it is this cache's entry for any key, whichever value codec
   * wrote it: removing an entry needs only the proof that it is this cache's, and another codec's
   * entry of the cache is removed as its own are, uncounted. Whether its value may be read is
   * {@link #readable}'s to say. An entry of the other signing is counted, as in {@link #parse}.
   */
  Envelope parseAnyCodec(byte[] raw) {
    Envelope env = Envelope.parseAnyCodec(raw, format, namespace);
    if (env == null && Envelope.otherFormat(raw, format)) {
      rejectOtherSigning();
    }
    return env;
  }

  /** True when this cache's codec wrote {@code env} ({@link #parseAnyCodec}), so that it may decode its value. */
  boolean ownCodec(Envelope env) {
    return env.writtenBy(format, codecId);
  }

  /** {@link #ownCodec}, counting an entry of another codec as {@link #parse} does: to read it is a miss. */
  boolean readable(Envelope env) {
    if (ownCodec(env)) {
      return true;
    }
    rejectOtherCodec();
    return false;
  }

  private void rejectOtherSigning() {
    failures.rejected(
        Envelope.signed(format)
            ? "an unsigned entry in the signed format's place"
            : "a signed entry: items written with a secret are read only by clients with that secret");
  }

  private void rejectOtherCodec() {
    failures.rejected(
        "an entry of cache " + cacheName + " written by another value codec than this cache's, whose id() is "
            + codecName + ": clients that share a cache must use codecs of the same id");
  }

  /** The envelope of an item read in parts when it is {@code s}'s entry of this format; else null. */
  Envelope parseParts(Slot<K> s, Parts item) {
    return Envelope.parseParts(item.head(), item.tail(), format, namespace, s.form());
  }

  /**
   * The entry's value, or null (counted) when it cannot be this cache's value: the deserialization
   * filter or the decoding limits refuse it, its class is missing on this JVM, its bytes are
   * malformed (whatever they are: the codec may throw anything), or it decodes to a type this cache
   * was not configured for. A planted or foreign entry reads as absent, never as an exception and
   * never as a value of the wrong type.
   */
  @SuppressWarnings("unchecked")
  V decode(Envelope env) {
    Object value;
    try {
      // Read in parts (the default codec), a byte[] value's bytes are the tail.
      value = env.tail() != null && env.valueTag() == 'B' ? env.tail() : env.value(codec, classLoader);
    } catch (RejectedValueException e) {
      failures.rejected(e.getMessage());
      return null;
    } catch (RuntimeException | StackOverflowError | LinkageError e) {
      failures.rejected("cannot decode a stored value: " + e);
      return null;
    }
    if (value == null || (valueType != Object.class && !valueType.isInstance(value))) {
      failures.rejected(
          "a stored value of type " + (value == null ? "null" : value.getClass().getName())
              + " in cache " + cacheName + " of value type " + valueType.getName() + ": a foreign item");
      return null;
    }
    return (V) value;
  }

  /**
   * True when decoding {@code env}'s value only copies bytes: the default codec's strings, byte
   * arrays and primitives, not its Java serialization ({@code 'O'}) nor any other codec.
   */
  boolean quickToDecode(Envelope env) {
    return codec.getClass() == DefaultValueCodec.class && env.valueTag() != 'O';
  }
}
