package io.github.newcache.bench;

import java.util.Map;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.MutableEntry;

/**
 * A JSR-107 {@code Cache<String, byte[]>} as a side: ours and Redisson's differ only in how the
 * cache is created, so every operation goes through the same JCache calls on both.
 *
 * <p>Both caches get the same JCache configuration, {@code MutableConfiguration<String, byte[]>}
 * with its defaults: eternal, store by value, no listeners, no statistics, no management, no
 * loader or writer.
 */
abstract class JCacheSide implements Side {

  static final String CACHE_NAME = "bench";

  private final CacheManager manager;
  private final Cache<String, byte[]> cache;

  JCacheSide(CacheManager manager, Cache<String, byte[]> cache) {
    this.manager = manager;
    this.cache = cache;
  }

  Cache<String, byte[]> cache() {
    return cache;
  }

  /** The JCache configuration both providers get. */
  static MutableConfiguration<String, byte[]> configuration() {
    return new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class);
  }

  @Override
  public byte[] get(String key) {
    return cache.get(key);
  }

  @Override
  public void put(String key, byte[] value) {
    cache.put(key, value);
  }

  @Override
  public Map<String, byte[]> getAll(Set<String> keys) {
    return cache.getAll(keys);
  }

  @Override
  public void putAll(Map<String, byte[]> entries) {
    cache.putAll(entries);
  }

  @Override
  public void removeAll(Set<String> keys) {
    cache.removeAll(keys);
  }

  @Override
  public long increment(String key) {
    return cache.invoke(key, INCREMENT);
  }

  /** Closes the manager, which closes the cache and the client under it. */
  @Override
  public void close() {
    manager.close();
  }

  private static final EntryProcessor<String, byte[], Long> INCREMENT = new Increment();

  /** Adds one to an 8-byte big-endian counter, starting at 1 when absent. */
  private static final class Increment implements EntryProcessor<String, byte[], Long> {
    @Override
    public Long process(MutableEntry<String, byte[]> entry, Object... arguments) {
      long next = entry.exists() ? Side.counter(entry.getValue()) + 1 : 1;
      entry.setValue(Side.counter(next));
      return next;
    }
  }
}
