package io.github.newcache.internal.expiry;

/**
 * The two special values of an absolute expiry (epoch milliseconds), and the one rule that
 * combines a new expiry with an entry's current one.
 */
public final class Expiry {

  /** An entry that never expires. */
  public static final long ETERNAL = Long.MAX_VALUE;

  /** "Keep the entry's current expiry": what the policy answers with {@code null} on update or access. */
  public static final long UNCHANGED = Long.MIN_VALUE;

  private Expiry() {}

  /** {@code at}, or {@code current} when {@code at} is {@link #UNCHANGED}. */
  public static long resolve(long at, long current) {
    return at == UNCHANGED ? current : at;
  }
}
