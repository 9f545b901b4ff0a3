package io.github.newcache.testing;

import java.util.Collection;
import javax.cache.Cache;
import javax.cache.integration.CacheWriter;

/**
 * A cache writer that takes every write and delete and keeps nothing: what a test needs when a
 * writer's presence matters (write-through, a resource to close) and its work does not. The batch
 * calls empty their collections, which tells the cache every entry was written.
 */
public interface AcceptingWriter<K, V> extends CacheWriter<K, V> {

  @Override
  default void write(Cache.Entry<? extends K, ? extends V> entry) {}

  @Override
  default void writeAll(Collection<Cache.Entry<? extends K, ? extends V>> entries) {
    entries.clear();
  }

  @Override
  default void delete(Object key) {}

  @Override
  default void deleteAll(Collection<?> keys) {
    keys.clear();
  }
}
