package io.github.newcache.internal.transport;

/** What memcached answered to a compare-and-swap. */
public enum CasOutcome {
  /** The item was replaced. */
  STORED,
  /** Another client changed the item since it was read. */
  CHANGED,
  /** The item is gone (deleted, expired or evicted) since it was read. */
  GONE
}
