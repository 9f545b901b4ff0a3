package io.github.newcache.internal.codec;

import javax.cache.CacheException;

/**
 * A stored entry that was refused before it could be deserialized: a class outside the cache's
 * allow-list, a stream past the size, depth, reference or array limits, or an entry whose
 * signature does not verify. The cache reads it as a miss and counts it; it never reaches user
 * code.
 */
public final class RejectedValueException extends CacheException {

  private static final long serialVersionUID = 1L;

  public RejectedValueException(String message) {
    super(message);
  }
}
