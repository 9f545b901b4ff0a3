package io.github.newcache.bench;

import io.github.newcache.NewcacheCachingProvider;
import java.net.URI;
import java.util.Properties;
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

  private OursSide(CacheManager manager) {
    super(manager, manager.createCache(CACHE_NAME, configuration()));
  }

  private static CacheManager manager(MemcachedServer server, boolean binary) {
    return Caching.getCachingProvider(NewcacheCachingProvider.class.getName())
        .getCacheManager(URI.create(server.uri(binary)), OursSide.class.getClassLoader(), new Properties());
  }

  @Override
  public String id() {
    return ID;
  }
}
