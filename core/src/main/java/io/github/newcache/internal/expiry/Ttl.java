package io.github.newcache.internal.expiry;

/**
 * Converts an absolute expiry into memcached's exptime. memcached reads exptime 0 as "never",
 * a negative value as "already expired" and anything over 30 days as an absolute Unix time, and
 * its clock ticks in whole seconds. So: eternal entries get 0; finite entries get their remaining
 * time rounded up plus one second of slack (the envelope's millisecond expiry is what readers
 * obey; the TTL only lets memcached reclaim the memory); past 30 days the TTL is sent as an
 * absolute Unix time, so a 31-day entry does not expire at once.
 */
public final class Ttl {

  /** memcached's limit for relative exptime values. */
  public static final long THIRTY_DAYS_SECONDS = 30L * 24 * 3600;

  /**
   * The exptime that makes memcached drop an item at once: used for atomic conditional deletes (a
   * {@code cas} with this exptime). It is an absolute Unix time in January 1970, which memcached
   * reads as long past in both protocols. A negative exptime would do in the text protocol only:
   * the binary protocol carries exptime unsigned, so -1 becomes a date in 2106 and the "deleted"
   * item would live on.
   */
  public static final int EXPIRED = (int) THIRTY_DAYS_SECONDS + 1;

  private Ttl() {}

  public static int of(long expiresAt, long now) {
    if (expiresAt == Expiry.ETERNAL) {
      return 0;
    }
    long remaining = expiresAt - now;
    if (remaining <= 0) {
      return EXPIRED;
    }
    long seconds = (remaining + 999) / 1000 + 1;
    if (seconds <= THIRTY_DAYS_SECONDS) {
      return (int) seconds;
    }
    long absolute = now / 1000 + seconds;
    return absolute >= Integer.MAX_VALUE ? 0 : (int) absolute;
  }
}
