package io.github.newcache.internal.expiry;

import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.EternalExpiryPolicy;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.expiry.ModifiedExpiryPolicy;
import javax.cache.expiry.TouchedExpiryPolicy;

/**
 * All expiry arithmetic of one cache: asks the {@link ExpiryPolicy} and turns its answer into an
 * absolute time in milliseconds. A policy that throws, or answers {@code null}, is handled here:
 * creation falls back to eternal, update and access to "unchanged".
 *
 * <p>The built-in policies are recognised by class so that the cache can skip work they make
 * pointless: an eternal or created policy never changes expiry on access, so a plain {@code get}
 * needs no CAS token and no write-back.
 */
public final class ExpiryCalculator {


  private final ExpiryPolicy policy;
  private final boolean accessNeverChanges;
  private final boolean updateNeedsNoOldEntry;

  public ExpiryCalculator(ExpiryPolicy policy) {
    this.policy = policy;
    Class<?> type = policy.getClass();
    this.accessNeverChanges =
        type == EternalExpiryPolicy.class
            || type == CreatedExpiryPolicy.class
            || type == ModifiedExpiryPolicy.class;
    this.updateNeedsNoOldEntry =
        type == EternalExpiryPolicy.class
            || type == ModifiedExpiryPolicy.class
            || type == TouchedExpiryPolicy.class;
  }

  /** True when reads never rewrite the expiry, so a get needs no CAS token. */
  public boolean accessNeverChanges() {
    return accessNeverChanges;
  }

  /**
   * True when a write's expiry is the same whether or not the key already has an entry (so a put
   * needs no read first), and the answer is {@link #forCreation}.
   */
  public boolean writeIgnoresOldEntry() {
    return updateNeedsNoOldEntry;
  }

  /** True for the eternal policy: nothing ever expires, so stored items are always live. */
  public boolean isEternal() {
    return policy.getClass() == EternalExpiryPolicy.class;
  }

  public boolean isAccessed() {
    return policy.getClass() == AccessedExpiryPolicy.class;
  }

  /** Absolute expiry for a new entry; {@code <= now} means "expired at once, do not store". */
  public long forCreation(long now) {
    Duration d;
    try {
      d = policy.getExpiryForCreation();
    } catch (RuntimeException e) {
      return Expiry.ETERNAL;
    }
    return d == null ? Expiry.ETERNAL : at(d, now);
  }

  /** Absolute expiry for a write: {@link #forUpdate} over a present entry, else {@link #forCreation}. */
  public long forWrite(boolean present, long now) {
    return present ? forUpdate(now) : forCreation(now);
  }

  /** Absolute expiry after an update, or {@link Expiry#UNCHANGED}. */
  public long forUpdate(long now) {
    Duration d;
    try {
      d = policy.getExpiryForUpdate();
    } catch (RuntimeException e) {
      return Expiry.UNCHANGED;
    }
    return d == null ? Expiry.UNCHANGED : at(d, now);
  }

  /** Absolute expiry after a read, or {@link Expiry#UNCHANGED}. */
  public long forAccess(long now) {
    Duration d;
    try {
      d = policy.getExpiryForAccess();
    } catch (RuntimeException e) {
      return Expiry.UNCHANGED;
    }
    return d == null ? Expiry.UNCHANGED : at(d, now);
  }

  public ExpiryPolicy policy() {
    return policy;
  }

  private static long at(Duration d, long now) {
    if (d.isEternal()) {
      return Expiry.ETERNAL;
    }
    if (d.isZero()) {
      return now;
    }
    long millis = d.getTimeUnit().toMillis(d.getDurationAmount());
    long at = now + millis;
    return at < now ? Expiry.ETERNAL : at;
  }
}
