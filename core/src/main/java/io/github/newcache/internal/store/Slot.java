package io.github.newcache.internal.store;

/**
 * A cache key as the store handles it: the key, its stable binary form (what the key function
 * hashes and what the stored envelope carries to prove whose entry it is) and its memcached key.
 */
public final class Slot<K> {

  private final K key;
  private final byte[] form;
  private final String memcachedKey;

  Slot(K key, byte[] form, String memcachedKey) {
    this.key = key;
    this.form = form;
    this.memcachedKey = memcachedKey;
  }

  public K key() {
    return key;
  }

  byte[] form() {
    return form;
  }

  public String memcachedKey() {
    return memcachedKey;
  }
}
