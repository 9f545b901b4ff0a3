package io.github.newcache.internal.store;

import io.github.newcache.internal.expiry.Expiry;
import io.github.newcache.internal.transport.Parts;

/**
 * What memcached held for a slot when the store read it: the raw item (with its CAS token when
 * read for a compute), whether it is this cache's entry for this key, whether that entry is live,
 * and its value, decoded on first use (so a decision that never looks at the old value never pays
 * for decoding it).
 */
public final class Current<V> {

  private final byte[] raw;
  /** The item's bytes after {@link #raw} when it was read in two parts; else null. */
  private final byte[] tail;
  private final long cas;
  private final Envelope envelope;
  private final long now;
  private final EntryCodec<?, V> decoder;
  private V value;
  private boolean decoded;

  Current(byte[] raw, long cas, Envelope envelope, long now, EntryCodec<?, V> decoder) {
    this(raw, null, cas, envelope, now, decoder);
  }

  /** What a read found as {@code raw} followed by {@code tail} (null: all in {@code raw}). */
  Current(byte[] raw, byte[] tail, long cas, Envelope envelope, long now, EntryCodec<?, V> decoder) {
    this.raw = raw;
    this.tail = tail;
    this.cas = cas;
    this.envelope = envelope;
    this.now = now;
    this.decoder = decoder;
  }

  /** True when memcached holds an item under the key, ours or not. */
  boolean exists() {
    return raw != null;
  }

  /** True when the item is this cache's entry for this key and has not expired. */
  public boolean present() {
    return envelope != null && !envelope.isExpired(now);
  }

  /** True when the item is this cache's entry for this key but has expired. */
  public boolean expired() {
    return envelope != null && envelope.isExpired(now);
  }

  /** The entry's absolute expiry, or {@link Expiry#ETERNAL} when there is no entry. */
  public long expiresAt() {
    return envelope == null ? Expiry.ETERNAL : envelope.expiresAt();
  }

  /** True when decoding the value is only copying bytes, quick enough for any thread (see {@link EntryCodec#quickToDecode}). */
  boolean quickToDecode() {
    return envelope == null || decoder.quickToDecode(envelope);
  }

  /**
   * The entry's value (live or expired), or null when there is no entry or its value was refused
   * (counted by {@link EntryCodec#decode}).
   */
  public V value() {
    if (!decoded) {
      value = envelope == null ? null : decoder.decode(envelope);
      decoded = true;
    }
    return value;
  }

  /** The value when the entry is present, else null. */
  public V liveValue() {
    return present() ? value() : null;
  }

  /** True when both reads saw exactly the same item bytes (the same version of the entry). */
  public boolean sameItem(Current<?> other) {
    return raw != null && java.util.Arrays.equals(raw(), other.raw());
  }

  /**
   * True when both reads saw this cache's entry with the same value bytes, whatever its expiry
   * (which a read under an access expiry policy moves).
   */
  public boolean sameValue(Current<?> other) {
    return envelope != null && other.envelope != null && envelope.sameValue(other.envelope);
  }

  /** When this was read, in epoch milliseconds. */
  public long now() {
    return now;
  }

  long cas() {
    return cas;
  }

  /** The item's bytes in one array (a new one when it was read in two parts), or null. */
  byte[] raw() {
    return tail == null ? raw : new Parts(raw, tail).whole();
  }
}
