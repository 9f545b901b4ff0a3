package io.github.newcache.internal.transport;

import io.github.newcache.FailurePolicy;
import io.github.newcache.internal.config.SecuritySettings;
import java.util.function.Predicate;

/**
 * Stacks one cache's decorators on the manager's shared transport, outermost first: the failure
 * policy ({@link FailureAbsorbingTransport} for {@code failures=miss}), then entry signing
 * ({@link SigningTransport} when a {@code secret} is set). With neither, the cache talks to the
 * shared transport directly, so the default fast paths stay one memcached command each.
 */
public final class CacheTransports {

  private CacheTransports() {}

  /**
   * One cache's transport over the shared one.
   *
   * @param leases tells the herd's lease keys apart, which a skipped write never deletes ({@link
   *     FailureAbsorbingTransport})
   */
  public static MemcachedTransport forCache(
      MemcachedTransport shared,
      SecuritySettings security,
      FailurePolicy policy,
      FailureListener failures,
      Predicate<String> leases) {
    MemcachedTransport t = shared;
    if (security.secret() != null) {
      t = new SigningTransport(t, security.secret(), failures);
    }
    if (policy == FailurePolicy.MISS) {
      t = new FailureAbsorbingTransport(t, failures, leases);
    }
    return t;
  }

  /** Bytes each stored item carries beside the cache's envelope. */
  public static int overhead(SecuritySettings security) {
    return security.secret() != null ? SigningTransport.TAG_BYTES : 0;
  }
}
