package io.github.newcache.internal.near;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * One item held by a near cache: the bytes memcached returned (or this JVM wrote), their CAS token
 * when known, and when memcached was last asked about them.
 *
 * @param raw the item's bytes, exactly as the transport returns them; never changed
 * @param cas the item's CAS token, or 0 when unknown (a blind write, a multi-get)
 * @param checkedAt {@link io.github.newcache.internal.expiry.TimeSource#nanos()} just before the
 *     command that fetched, wrote or revalidated the item was sent
 * @param weight the entry's share of the near cache's bounds (see {@link NearCache})
 * @param flags {@link #USED} once a reader was served it, {@link #QUEUED} while it waits for a
 *     revalidation ahead of time ({@link RefreshAhead})
 */
record NearEntry(byte[] raw, long cas, long checkedAt, int weight, AtomicInteger flags) {

  static final int USED = 1;
  static final int QUEUED = 2;

  NearEntry(byte[] raw, long cas, long checkedAt, int weight) {
    this(raw, cas, checkedAt, weight, new AtomicInteger());
  }

  /** Marks the entry used; only the first reader writes. */
  void used() {
    if ((flags.get() & USED) == 0) {
      flags.getAndUpdate(f -> f | USED);
    }
  }

  /** True when it was used and is now queued by this call (so queued once). */
  boolean queue() {
    int f = flags.get();
    return (f & USED) != 0 && (f & QUEUED) == 0 && flags.compareAndSet(f, f | QUEUED);
  }

  /** Its revalidation ahead was dropped: it may be queued again. */
  void unqueue() {
    flags.getAndUpdate(f -> f & ~QUEUED);
  }
}
