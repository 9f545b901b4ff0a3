package io.github.newcache.internal.store;

import io.github.newcache.internal.expiry.Expiry;

/**
 * What an operation wants done with one entry, given what it read ({@link Current}): the answer of
 * a remapping function to {@link EntryStore#compute}. Expiries are absolute epoch milliseconds;
 * {@link Expiry#UNCHANGED} keeps the entry's current expiry, and an expiry at or before the time of
 * the read removes the entry instead of writing it.
 */
public final class Decision<V> {

  /** The kinds of decision. */
  public enum Kind {
    /** Leave memcached as it is. */
    KEEP,
    /** Rewrite only the entry's expiry, best effort: lost to a concurrent change without a retry. */
    TOUCH,
    /** Store a value. */
    WRITE,
    /** Remove the entry. */
    REMOVE
  }

  private static final Decision<?> KEEP = new Decision<>(Kind.KEEP, null, Expiry.UNCHANGED);
  private static final Decision<?> REMOVE = new Decision<>(Kind.REMOVE, null, Expiry.UNCHANGED);

  private final Kind kind;
  private final Encoded<V> value;
  private final long expiresAt;

  private Decision(Kind kind, Encoded<V> value, long expiresAt) {
    this.kind = kind;
    this.value = value;
    this.expiresAt = expiresAt;
  }

  @SuppressWarnings("unchecked")
  public static <V> Decision<V> keep() {
    return (Decision<V>) KEEP;
  }

  @SuppressWarnings("unchecked")
  public static <V> Decision<V> remove() {
    return (Decision<V>) REMOVE;
  }

  public static <V> Decision<V> touch(long expiresAt) {
    return new Decision<>(Kind.TOUCH, null, expiresAt);
  }

  public static <V> Decision<V> write(Encoded<V> value, long expiresAt) {
    return new Decision<>(Kind.WRITE, value, expiresAt);
  }

  public Kind kind() {
    return kind;
  }

  /** The value to write, for {@link Kind#WRITE}. */
  public Encoded<V> value() {
    return value;
  }

  long expiresAt() {
    return expiresAt;
  }
}
