package io.github.newcache.internal.store;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.transport.Parts;
import java.util.Arrays;

/**
 * What one memcached item holds: the entry's absolute expiry, proof of whose entry it is, and the
 * encoded value. The only place that knows the stored layout:
 *
 * <pre>
 * offset  size  field
 * 0       1     magic 0xC7
 * 1       1     format: 1 unsigned, 2 signed (the item ends with an HMAC tag, see SigningTransport)
 * 2       8     expiry: absolute epoch milliseconds, big-endian; Long.MAX_VALUE = eternal ({@link
 *                 io.github.newcache.internal.expiry.Expiry#ETERNAL})
 * 10      2     n = namespace length
 * 12      n     namespace (ASCII): which cache the entry belongs to
 * 12+n    4     k = key form length
 * 16+n    k     key form ({@link io.github.newcache.internal.key.KeyForms}): which key it belongs to
 * 16+n+k  rest  value, as encoded by the cache's {@link ValueCodec}
 * </pre>
 *
 * memcached's own TTL is only an upper bound used to reclaim memory; the expiry field is the truth,
 * to the millisecond. A reader that finds another namespace or key form (a hash collision, or a
 * key function that maps several keys together) treats the item as absent. So does a reader that
 * finds the other format: a client without a {@code secret} never reads a signed item (whose tag
 * it would take for part of the value), and a client with one never reads an unsigned item.
 */
public final class Envelope {

  public static final byte MAGIC = (byte) 0xC7;
  /** The format of an unsigned entry. */
  public static final byte FORMAT = 1;
  /** The format of an entry whose item ends with a signature. */
  public static final byte SIGNED_FORMAT = 2;

  private final byte[] raw;
  /** The item's bytes after {@link #raw} when it was read in two parts ({@link #parseParts}); else null. */
  private final byte[] tail;
  private final long expiresAt;
  private final int keyOffset;
  private final int keyLength;
  private final int valueOffset;

  private Envelope(byte[] raw, byte[] tail, long expiresAt, int keyOffset, int keyLength, int valueOffset) {
    this.raw = raw;
    this.tail = tail;
    this.expiresAt = expiresAt;
    this.keyOffset = keyOffset;
    this.keyLength = keyLength;
    this.valueOffset = valueOffset;
  }

  /** The stored bytes for one entry. */
  public static byte[] encode(byte[] namespace, byte[] keyForm, long expiresAt, byte[] value) {
    byte[] out = new byte[headerLength(namespace, keyForm) + value.length];
    System.arraycopy(value, 0, out, headerLength(namespace, keyForm), value.length);
    return fill(out, namespace, keyForm, expiresAt);
  }

  /** Bytes before the value: what {@link ValueCodec#encode(Object, int)} leaves room for. */
  public static int headerLength(byte[] namespace, byte[] keyForm) {
    return 16 + namespace.length + keyForm.length;
  }

  /**
   * Writes the header into the first {@link #headerLength} bytes of {@code out}, whose rest already
   * holds the encoded value; returns {@code out}.
   */
  public static byte[] fill(byte[] out, byte[] namespace, byte[] keyForm, long expiresAt) {
    return fill(out, FORMAT, namespace, keyForm, expiresAt);
  }

  /** {@link #fill(byte[], byte[], byte[], long)} in the given format. */
  public static byte[] fill(byte[] out, byte format, byte[] namespace, byte[] keyForm, long expiresAt) {
    int n = namespace.length;
    int k = keyForm.length;
    out[0] = MAGIC;
    out[1] = format;
    putLong(out, 2, expiresAt);
    out[10] = (byte) (n >>> 8);
    out[11] = (byte) n;
    System.arraycopy(namespace, 0, out, 12, n);
    putInt(out, 12 + n, k);
    System.arraycopy(keyForm, 0, out, 16 + n, k);
    return out;
  }

  /** The same entry with another expiry, without decoding or re-encoding the value. */
  public static byte[] withExpiry(byte[] raw, long expiresAt) {
    byte[] copy = raw.clone();
    putLong(copy, 2, expiresAt);
    return copy;
  }

  /**
   * Parses {@code raw}; returns null when it is not an envelope of this format or belongs to
   * another namespace or key ({@code keyForm} null accepts any key of the namespace).
   */
  public static Envelope parse(byte[] raw, byte[] namespace, byte[] keyForm) {
    return parse(raw, FORMAT, namespace, keyForm);
  }

  /** {@link #parse(byte[], byte[], byte[])} for entries of the given format. */
  public static Envelope parse(byte[] raw, byte format, byte[] namespace, byte[] keyForm) {
    if (raw == null || raw.length < 16 || raw[0] != MAGIC || raw[1] != format) {
      return null;
    }
    int n = ((raw[10] & 0xff) << 8) | (raw[11] & 0xff);
    if (n != namespace.length
        || 16 + n > raw.length
        || !Arrays.equals(raw, 12, 12 + n, namespace, 0, n)) {
      return null;
    }
    int k = getInt(raw, 12 + n);
    int keyOffset = 16 + n;
    if (k < 0 || k > raw.length - keyOffset) { // not keyOffset + k: that overflows for k near 2^31
      return null;
    }
    if (keyForm != null
        && (k != keyForm.length || !Arrays.equals(raw, keyOffset, keyOffset + k, keyForm, 0, k))) {
      return null;
    }
    return new Envelope(raw, null, getLong(raw, 2), keyOffset, k, keyOffset + k);
  }

  /**
   * Parses an item read as {@code head} then {@code tail}, asked for with {@code head} one byte
   * longer than this key's header: returns null unless {@code head} is exactly the header of this
   * namespace's entry for {@code keyForm} (not null) and the value's first byte, so that {@code
   * tail} is the rest of the value.
   */
  static Envelope parseParts(byte[] head, byte[] tail, byte format, byte[] namespace, byte[] keyForm) {
    Envelope env = parse(head, format, namespace, keyForm);
    if (env == null || keyForm == null || env.valueOffset != head.length - 1) {
      return null;
    }
    return new Envelope(head, tail, env.expiresAt, env.keyOffset, env.keyLength, env.valueOffset);
  }

  /** True when {@code raw} is an envelope of another format than {@code format}. */
  public static boolean otherFormat(byte[] raw, byte format) {
    return raw != null && raw.length >= 2 && raw[0] == MAGIC && raw[1] != format
        && (raw[1] == FORMAT || raw[1] == SIGNED_FORMAT);
  }

  public long expiresAt() {
    return expiresAt;
  }

  public boolean isExpired(long now) {
    return expiresAt <= now;
  }

  public byte[] raw() {
    return whole();
  }

  public byte[] keyForm() {
    return Arrays.copyOfRange(raw, keyOffset, keyOffset + keyLength);
  }

  /** Decodes the value with {@code codec}. */
  public Object value(ValueCodec codec, ClassLoader loader) {
    byte[] all = whole();
    return codec.decode(all, valueOffset, all.length - valueOffset, loader);
  }

  /**
   * When the item was read in two parts: the value's bytes after its first (the default codec's
   * type tag), an array read from the network for this entry alone; else null.
   */
  byte[] tail() {
    return tail;
  }

  /** The item's bytes in one array (a new one when it was read in two parts). */
  private byte[] whole() {
    return tail == null ? raw : new Parts(raw, tail).whole();
  }

  /** The first byte of the value's encoding (the default codec's type tag), or -1 when it is empty. */
  int valueTag() {
    return valueOffset < raw.length ? raw[valueOffset] : -1;
  }

  /** True when the stored value bytes equal {@code encoded}. */
  public boolean valueEquals(byte[] encoded) {
    byte[] all = whole();
    return Arrays.equals(all, valueOffset, all.length, encoded, 0, encoded.length);
  }

  /** True when both entries hold the same value bytes, whatever their expiry. */
  boolean sameValue(Envelope other) {
    byte[] mine = whole();
    byte[] theirs = other.whole();
    return Arrays.equals(mine, valueOffset, mine.length, theirs, other.valueOffset, theirs.length);
  }

  private static void putLong(byte[] b, int at, long v) {
    for (int i = 7; i >= 0; i--) {
      b[at + i] = (byte) v;
      v >>>= 8;
    }
  }

  private static long getLong(byte[] b, int at) {
    long v = 0;
    for (int i = 0; i < 8; i++) {
      v = (v << 8) | (b[at + i] & 0xff);
    }
    return v;
  }

  private static void putInt(byte[] b, int at, int v) {
    b[at] = (byte) (v >>> 24);
    b[at + 1] = (byte) (v >>> 16);
    b[at + 2] = (byte) (v >>> 8);
    b[at + 3] = (byte) v;
  }

  private static int getInt(byte[] b, int at) {
    return ((b[at] & 0xff) << 24) | ((b[at + 1] & 0xff) << 16) | ((b[at + 2] & 0xff) << 8) | (b[at + 3] & 0xff);
  }
}
