package io.github.newcache;

import io.github.newcache.internal.store.Decision;
import io.github.newcache.internal.store.Found;
import java.util.Iterator;
import javax.cache.Cache;

/**
 * The cache's iterator: the store's scan of the servers, with the JCache rules on top. Each entry
 * handed out counts as a hit and gets its access expiry; {@link #remove} removes through the writer
 * like {@link Cache#remove(Object)}.
 */
final class CacheIterator<K, V> implements Iterator<Cache.Entry<K, V>> {

  private final NewcacheCache<K, V> cache;
  private final Iterator<Found<K, V>> found;
  private Found<K, V> last;

  CacheIterator(NewcacheCache<K, V> cache, Iterator<Found<K, V>> found) {
    this.cache = cache;
    this.found = found;
  }

  @Override
  public boolean hasNext() {
    cache.checkOpen();
    return found.hasNext();
  }

  @Override
  public Cache.Entry<K, V> next() {
    cache.checkOpen();
    last = found.next();
    long start = cache.stats.start();
    cache.stats.hits(1);
    cache.stats.getTime(start);
    if (!cache.expiry.accessNeverChanges()) {
      cache.store.compute(
          last.slot(), c -> c.present() ? Decision.touch(cache.expiry.forAccess(c.now())) : Decision.keep());
    }
    return new NewcacheEntry<>(last.slot().key(), last.value());
  }

  @Override
  public void remove() {
    cache.checkOpen();
    if (last == null) {
      throw new IllegalStateException("next() has not been called, or remove() was already called");
    }
    K key = last.slot().key();
    last = null;
    cache.remove(key);
  }
}
