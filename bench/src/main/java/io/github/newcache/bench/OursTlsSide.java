package io.github.newcache.bench;

import io.github.newcache.NewcacheCachingProvider;
import java.net.URI;
import java.util.Properties;
import javax.cache.CacheManager;
import javax.cache.Caching;

/**
 * Our cache over TLS: the same as {@link OursSide} against a memcached that speaks only TLS ({@code
 * -Z}, a CA and server certificate made for the trial), with {@code tls=true} and that CA as the
 * trust store, host name verification on (the certificate names 127.0.0.1). Against {@link
 * OursSide} in the same fork it measures what TLS costs.
 */
final class OursTlsSide extends JCacheSide {

  static final String ID = "ours-tls";

  OursTlsSide(MemcachedServer server, boolean binary) {
    this(manager(server, binary));
  }

  private OursTlsSide(CacheManager manager) {
    super(manager, manager.createCache(CACHE_NAME, configuration()));
  }

  private static CacheManager manager(MemcachedServer server, boolean binary) {
    Properties tls = new Properties();
    tls.putAll(server.tlsClientSettings());
    return Caching.getCachingProvider(NewcacheCachingProvider.class.getName())
        .getCacheManager(URI.create(server.uri(binary)), OursTlsSide.class.getClassLoader(), tls);
  }

  @Override
  public String id() {
    return ID;
  }
}
