package io.github.newcache.bench;

import io.github.newcache.AsyncCache;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheCachingProvider;
import java.net.URI;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Future;
import javax.cache.CacheManager;
import javax.cache.Caching;

/**
 * Our cache: {@code NewcacheCachingProvider}, selected by class name (Redisson's provider is on
 * the same class path), with a manager URI {@code memcached://127.0.0.1:port/?binary=…} and the
 * library's defaults for everything else (md5 key mangling, our spymemcached transport and
 * logger, 1 s operation timeout, ketama, fail-fast).
 */
final class OursSide extends JCacheSide {

  static final String ID = "ours";

  OursSide(MemcachedServer server, boolean binary) {
    this(manager(server, binary));
  }

  /** Taken on first use, so that the other operations also run against a core without the async view. */
  private AsyncCache<String, byte[]> async;

  private OursSide(CacheManager manager) {
    super(manager, manager.createCache(CACHE_NAME, configuration()));
  }

  private static CacheManager manager(MemcachedServer server, boolean binary) {
    return Caching.getCachingProvider(NewcacheCachingProvider.class.getName())
        .getCacheManager(URI.create(server.uri(binary)), OursSide.class.getClassLoader(), new Properties());
  }

  @Override
  public Future<byte[]> getAsync(String key) {
    return async().get(key);
  }

  @Override
  public Future<Map<String, byte[]>> getAllAsync(Set<String> keys) {
    return async().getAll(keys);
  }

  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this side's cache, typed <String, byte[]>
  private AsyncCache<String, byte[]> async() {
    if (async == null) {
      async = cache().unwrap(NewcacheCache.class).async();
    }
    return async;
  }

  @Override
  public String id() {
    return ID;
  }
}
