package io.github.newcache.internal.near;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One item held by a near cache: the bytes memcached returned (or this JVM wrote), and when
 * memcached was last asked about them. Compared by identity: two fetches of
 * the same item are two entries.
 */
final class NearEntry {

  private final byte[] raw;
  private final long checkedAt;
  private final int weight;
  private final AtomicBoolean queued = new AtomicBoolean();

  /**
   * @param raw the item's bytes, exactly as the transport returns them; never changed
   * @param checkedAt {@link io.github.newcache.internal.expiry.TimeSource#nanos()} just before the
   *     command that fetched, wrote or revalidated the item was sent
   * @param weight the entry's share of the near cache's bounds (see {@link NearCache})
   */
  NearEntry(byte[] raw, long checkedAt, int weight) {
    this.raw = raw;
    this.checkedAt = checkedAt;
    this.weight = weight;
  }

  byte[] raw() {
    return raw;
  }

  long checkedAt() {
    return checkedAt;
  }

  int weight() {
    return weight;
  }

  /** True when this call queued it for a revalidation ahead of time ({@link RefreshAhead}), so it is queued once. */
  boolean queue() {
    return !queued.get() && queued.compareAndSet(false, true);
  }

  /** Its revalidation ahead was dropped: it may be queued again. */
  void unqueue() {
    queued.set(false);
  }
}
