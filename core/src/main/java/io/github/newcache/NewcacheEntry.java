package io.github.newcache;

import javax.cache.Cache;

/** An immutable key and value, as handed out by the iterator. */
final class NewcacheEntry<K, V> implements Cache.Entry<K, V> {

  private final K key;
  private final V value;

  NewcacheEntry(K key, V value) {
    this.key = key;
    this.value = value;
  }

  @Override
  public K getKey() {
    return key;
  }

  @Override
  public V getValue() {
    return value;
  }

  @Override
  public <T> T unwrap(Class<T> clazz) {
    if (clazz.isInstance(this)) {
      return clazz.cast(this);
    }
    throw new IllegalArgumentException("cannot unwrap a cache entry to " + clazz.getName());
  }
}
