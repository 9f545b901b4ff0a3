package io.github.newcache.internal.store;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.key.Hashing;
import io.github.newcache.internal.transport.Parts;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * What one memcached item holds: the entry's absolute expiry, proof of whose entry it is, which
 * codec wrote it, and the encoded value. The only place that knows the stored layout:
 *
 * <pre>
 * offset  size  field
 * 0       1     magic 0xC7
 * 1       1     format: 1 unsigned, 2 signed (the item ends with an HMAC tag, see SigningTransport),
 *                 both written by the default codec; 3 unsigned, 4 signed, written by another codec
 * 2       8     expiry: absolute epoch milliseconds, big-endian; Long.MAX_VALUE = eternal ({@link
 *                 io.github.newcache.internal.expiry.Expiry#ETERNAL})
 * 10      2     n = namespace length
 * 12      n     namespace (ASCII): which cache the entry belongs to
 * 12+n    4     k = key form length
 * 16+n    k     key form ({@link io.github.newcache.internal.key.KeyForms}): which key it belongs to
 * 16+n+k  4     formats 3 and 4 only: the codec's id, the first 4 bytes of the MD5 of the UTF-8 of
 *                 {@link ValueCodec#id()} ({@link #codecId})
 * h       rest  value, as encoded by the cache's {@link ValueCodec}; h = 16+n+k, or 20+n+k in
 *                 formats 3 and 4
 * </pre>
 *
 * memcached's own TTL is only an upper bound used to reclaim memory; the expiry field is the truth,
 * to the millisecond. A reader that finds another namespace or key form (a hash collision, or a
 * key function that maps several keys together) treats the item as absent. So does a reader that
 * finds the other signing: a client without a {@code secret} never reads a signed item (whose tag
 * it would take for part of the value), and a client with one never reads an unsigned item. And
 * so does a reader whose codec did not write the entry: the default codec's entries are formats 1
 * and 2, exactly as version 0.1.0 wrote them, so those versions share them; any other codec's carry
 * its id, and only a codec of the same id reads them.
 */
public final class Envelope {

  public static final byte MAGIC = (byte) 0xC7;
  /** The format of an unsigned entry. */
  public static final byte FORMAT = 1;
  /** The format of an entry whose item ends with a signature. */
  public static final byte SIGNED_FORMAT = 2;
  /** {@link #FORMAT} for a codec other than the default: the header ends with the codec's id. */
  public static final byte CODEC_FORMAT = 3;
  /** {@link #SIGNED_FORMAT} for a codec other than the default: the header ends with the codec's id. */
  public static final byte SIGNED_CODEC_FORMAT = 4;
  /** The size of the codec id in formats 3 and 4. */
  private static final int CODEC_ID_BYTES = 4;

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

  /** The format of the entries a cache writes and reads, signed or not, with the default codec or not. */
  static byte format(boolean signed, boolean defaultCodec) {
    if (defaultCodec) {
      return signed ? SIGNED_FORMAT : FORMAT;
    }
    return signed ? SIGNED_CODEC_FORMAT : CODEC_FORMAT;
  }

  /** True for the formats whose items end with a signature. */
  static boolean signed(byte format) {
    return format == SIGNED_FORMAT || format == SIGNED_CODEC_FORMAT;
  }

  /** True for the formats whose header ends with the codec's id. */
  private static boolean hasCodecId(byte format) {
    return format == CODEC_FORMAT || format == SIGNED_CODEC_FORMAT;
  }

  private static boolean known(byte format) {
    return format >= FORMAT && format <= SIGNED_CODEC_FORMAT;
  }

  /**
   * The id formats 3 and 4 store for a codec whose {@link ValueCodec#id()} is {@code id}: the first
   * 4 bytes of the MD5 digest of its UTF-8 bytes, big-endian. It guards against a misconfiguration,
   * not an attacker: two distinct ids share it with a chance of one in 2^32; an item planted on
   * purpose is the signature's business ({@code secret}).
   */
  static int codecId(String id) {
    byte[] digest = Hashing.md5(id.getBytes(StandardCharsets.UTF_8));
    return getInt(digest, 0);
  }

  /** The stored bytes for one entry, in format 1 (unsigned, the default codec). */
  public static byte[] encode(byte[] namespace, byte[] keyForm, long expiresAt, byte[] value) {
    return encode(FORMAT, 0, namespace, keyForm, expiresAt, value);
  }

  /** The stored bytes for one entry in {@code format}, with {@code codecId} where the format has one. */
  static byte[] encode(byte format, int codecId, byte[] namespace, byte[] keyForm, long expiresAt, byte[] value) {
    int header = headerLength(format, namespace, keyForm);
    byte[] out = new byte[header + value.length];
    System.arraycopy(value, 0, out, header, value.length);
    return fill(out, format, codecId, namespace, keyForm, expiresAt);
  }

  /** Bytes before the value in format 1 or 2: what {@link ValueCodec#encode(Object, int)} leaves room for. */
  public static int headerLength(byte[] namespace, byte[] keyForm) {
    return 16 + namespace.length + keyForm.length;
  }

  /** Bytes before the value in {@code format}. */
  static int headerLength(byte format, byte[] namespace, byte[] keyForm) {
    return headerLength(namespace, keyForm) + (hasCodecId(format) ? CODEC_ID_BYTES : 0);
  }

  /**
   * Writes the header of {@code format} into the first {@link #headerLength(byte, byte[], byte[])}
   * bytes of {@code out}, whose rest already holds the encoded value; returns {@code out}. {@code
   * codecId} is written only where the format has one.
   */
  static byte[] fill(byte[] out, byte format, int codecId, byte[] namespace, byte[] keyForm, long expiresAt) {
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
    if (hasCodecId(format)) {
      putInt(out, 16 + n + k, codecId);
    }
    return out;
  }

  /** The same entry with another expiry, without decoding or re-encoding the value. */
  public static byte[] withExpiry(byte[] raw, long expiresAt) {
    byte[] copy = raw.clone();
    putLong(copy, 2, expiresAt);
    return copy;
  }

  /**
   * Parses {@code raw} as an entry of format 1; returns null when it is not an envelope of that
   * format or belongs to another namespace or key ({@code keyForm} null accepts any key of the
   * namespace).
   */
  public static Envelope parse(byte[] raw, byte[] namespace, byte[] keyForm) {
    return parse(raw, FORMAT, 0, namespace, keyForm);
  }

  /**
   * {@link #parse(byte[], byte[], byte[])} for entries of the given format and, in formats 3 and 4,
   * of the codec whose {@link #codecId} is {@code codecId}.
   */
  static Envelope parse(byte[] raw, byte format, int codecId, byte[] namespace, byte[] keyForm) {
    if (raw == null || raw.length < 16 || raw[0] != MAGIC || raw[1] != format) {
      return null;
    }
    Envelope env = parseOwned(raw, namespace, keyForm);
    if (env == null || (hasCodecId(format) && env.storedCodecId() != codecId)) {
      return null;
    }
    return env;
  }

  /**
   * The envelope of {@code raw} when it is an entry of {@code namespace} (any key) signed as {@code
   * format} is, whichever codec wrote it: proof enough that the item is that cache's entry, to
   * remove it, but not that its value is one to decode ({@link #writtenBy}).
   */
  static Envelope parseAnyCodec(byte[] raw, byte format, byte[] namespace) {
    if (raw == null || raw.length < 16 || raw[0] != MAGIC || !known(raw[1]) || signed(raw[1]) != signed(format)) {
      return null;
    }
    return parseOwned(raw, namespace, null);
  }

  /**
   * True when this entry is of {@code format} and, in formats 3 and 4, of the codec whose {@link
   * #codecId} is {@code codecId}: an entry {@link #parse} would take.
   */
  boolean writtenBy(byte format, int codecId) {
    return raw[1] == format && (!hasCodecId(format) || storedCodecId() == codecId);
  }

  /**
   * The envelope of {@code raw}, whatever its format, when it belongs to {@code namespace} and
   * {@code keyForm} (any key when null); null otherwise. The caller has checked the magic byte and
   * that the format is known.
   */
  private static Envelope parseOwned(byte[] raw, byte[] namespace, byte[] keyForm) {
    int n = ((raw[10] & 0xff) << 8) | (raw[11] & 0xff);
    if (n != namespace.length
        || 16 + n > raw.length
        || !Arrays.equals(raw, 12, 12 + n, namespace, 0, n)) {
      return null;
    }
    int k = getInt(raw, 12 + n);
    int keyOffset = 16 + n;
    int idBytes = hasCodecId(raw[1]) ? CODEC_ID_BYTES : 0;
    if (k < 0 || k > raw.length - keyOffset - idBytes) { // not keyOffset + k: that overflows for k near 2^31
      return null;
    }
    if (keyForm != null
        && (k != keyForm.length || !Arrays.equals(raw, keyOffset, keyOffset + k, keyForm, 0, k))) {
      return null;
    }
    return new Envelope(raw, null, getLong(raw, 2), keyOffset, k, keyOffset + k + idBytes);
  }

  /** The codec id stored in an entry of format 3 or 4: the 4 bytes before the value. */
  private int storedCodecId() {
    return getInt(raw, valueOffset - CODEC_ID_BYTES);
  }

  /**
   * Parses an item of format 1 or 2 (the default codec's) read as {@code head} then {@code tail},
   * asked for with {@code head} one byte longer than this key's header: returns null unless {@code head} is exactly the header of this
   * namespace's entry for {@code keyForm} (not null) and the value's first byte, so that {@code
   * tail} is the rest of the value.
   */
  static Envelope parseParts(byte[] head, byte[] tail, byte format, byte[] namespace, byte[] keyForm) {
    Envelope env = parse(head, format, 0, namespace, keyForm);
    if (env == null || keyForm == null || env.valueOffset != head.length - 1) {
      return null;
    }
    return new Envelope(head, tail, env.expiresAt, env.keyOffset, env.keyLength, env.valueOffset);
  }

  /** True when {@code raw} is an envelope signed where {@code format} is not, or the other way round. */
  public static boolean otherFormat(byte[] raw, byte format) {
    return raw != null && raw.length >= 2 && raw[0] == MAGIC && known(raw[1]) && signed(raw[1]) != signed(format);
  }

  /**
   * True when {@code raw} is the entry of {@code namespace} and {@code keyForm} (any key when null)
   * signed as {@code format} is, but written by another codec than the one {@code format} and
   * {@code codecId} describe: the default codec's where another's is expected, or the other way
   * round, or another codec's id.
   */
  static boolean otherCodec(byte[] raw, byte format, int codecId, byte[] namespace, byte[] keyForm) {
    if (raw == null || raw.length < 16 || raw[0] != MAGIC || !known(raw[1]) || signed(raw[1]) != signed(format)) {
      return false;
    }
    Envelope env = parseOwned(raw, namespace, keyForm);
    if (env == null) {
      return false;
    }
    return raw[1] != format || (hasCodecId(format) && env.storedCodecId() != codecId);
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
