package io.github.newcache.internal.transport;

/**
 * Where a cache's transport decorators report what they absorbed or refused: counted and logged
 * by the cache's failure statistics. Messages never hold values or secrets.
 */
public interface FailureListener {

  /** A memcached failure was turned into a miss or a skipped write ({@code failures=miss}). */
  void absorbed(String what);

  /** An item's signature was missing or wrong. */
  void unsigned(String what);

  /**
   * A write or removal of {@code key} was skipped ({@code failures=miss}): whatever this JVM holds
   * for the key (its near cache) must go, as memcached's copy does. Called before the write
   * returns, and again once the delete sent in its place is answered.
   */
  default void skipped(String key) {}
}
