package io.github.newcache.internal.expiry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ModifiedExpiryPolicy;
import javax.cache.expiry.TouchedExpiryPolicy;
import org.junit.jupiter.api.Test;

/** memcached exptime arithmetic: pure logic with a fixed clock. */
class TtlTest {

  private static final long NOW = 1_700_000_000_000L;
  private static final long DAY = 86_400_000L;

  @Test
  void eternalIsZero() {
    assertEquals(0, Ttl.of(Expiry.ETERNAL, NOW));
  }

  @Test
  void shortTtlIsRelativeSecondsRoundedUpWithSlack() {
    int ttl = Ttl.of(NOW + 1500, NOW);
    assertTrue(ttl >= 2 && ttl <= 3, "ttl " + ttl);
    assertTrue(Ttl.of(NOW + 1, NOW) >= 1);
    int thirty = Ttl.of(NOW + 30 * DAY - 5000, NOW);
    assertTrue(thirty > 0 && thirty <= Ttl.THIRTY_DAYS_SECONDS, "ttl " + thirty);
  }

  @Test
  void moreThanThirtyDaysBecomesAnAbsoluteUnixTime() {
    int ttl = Ttl.of(NOW + 31 * DAY, NOW);
    assertTrue(ttl > Ttl.THIRTY_DAYS_SECONDS, "ttl " + ttl);
    long expected = (NOW + 31 * DAY) / 1000;
    assertTrue(ttl >= expected && ttl <= expected + 2, "absolute " + ttl + " vs " + expected);
  }

  @Test
  void pastOrNowIsNeverZero() {
    assertEquals(Ttl.EXPIRED, Ttl.of(NOW, NOW));
    assertEquals(Ttl.EXPIRED, Ttl.of(NOW - 1, NOW));
    assertNotEquals(0, Ttl.of(NOW, NOW));
  }

  @Test
  void durationZeroExpiresAtOnceAndIsNeverSentAsZero() {
    for (ExpiryCalculator calc :
        new ExpiryCalculator[] {
          new ExpiryCalculator(new CreatedExpiryPolicy(Duration.ZERO)),
          new ExpiryCalculator(new ModifiedExpiryPolicy(Duration.ZERO)),
          new ExpiryCalculator(new TouchedExpiryPolicy(Duration.ZERO))
        }) {
      long at = calc.forCreation(NOW);
      assertTrue(at <= NOW, "expired at once");
      assertNotEquals(0, Ttl.of(at, NOW), "a zero duration must never become memcached's 'forever'");
    }
    ExpiryCalculator touched = new ExpiryCalculator(new TouchedExpiryPolicy(Duration.ZERO));
    assertNotEquals(0, Ttl.of(touched.forAccess(NOW), NOW));
    assertNotEquals(0, Ttl.of(touched.forUpdate(NOW), NOW));
  }

  @Test
  void calculatorDurations() {
    ExpiryCalculator c = new ExpiryCalculator(new CreatedExpiryPolicy(new Duration(TimeUnit.SECONDS, 10)));
    assertEquals(NOW + 10_000, c.forCreation(NOW));
    assertEquals(Expiry.UNCHANGED, c.forUpdate(NOW));
    assertEquals(Expiry.UNCHANGED, c.forAccess(NOW));
    ExpiryCalculator eternal = new ExpiryCalculator(new javax.cache.expiry.EternalExpiryPolicy());
    assertEquals(Expiry.ETERNAL, eternal.forCreation(NOW));
  }
}
