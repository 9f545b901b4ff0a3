package io.github.newcache.bench;

import io.github.newcache.NearCacheStatisticsMXBean;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheCachingProvider;
import io.github.newcache.NewcacheConfiguration;
import java.net.URI;
import java.util.Locale;
import java.util.Properties;
import javax.cache.CacheManager;
import javax.cache.Caching;

/**
 * Our cache with a near cache: the same provider and URI as {@link OursSide} (its own manager and
 * connection), the same {@code Cache<String, byte[]>} configuration plus
 * {@code setNearCacheMaxEntries(}{@value #MAX_ENTRIES}{@code )} and the default staleness bound
 * (1 s) and byte bound (64 MiB). Its cache has its own name, so its entries are its own.
 */
final class OursNearSide extends JCacheSide {

  static final String ID = "near";
  static final long MAX_ENTRIES = 20_000;

  OursNearSide(MemcachedServer server, boolean binary) {
    this(manager(server, binary));
  }

  private OursNearSide(CacheManager manager) {
    super(manager, manager.createCache(CACHE_NAME + "-near",
        new NewcacheConfiguration<>(configuration()).setNearCacheMaxEntries(MAX_ENTRIES)));
  }

  private static CacheManager manager(MemcachedServer server, boolean binary) {
    // A query of its own, so the provider hands it a manager of its own, not OursSide's.
    return Caching.getCachingProvider(NewcacheCachingProvider.class.getName())
        .getCacheManager(URI.create(server.uri(binary) + "&opTimeout=1000"), OursNearSide.class.getClassLoader(), new Properties());
  }

  @Override
  public String id() {
    return ID;
  }

  /** Prints what the near cache did over the whole trial (warmup included) into the fork's output. */
  @Override
  public void close() {
    NearCacheStatisticsMXBean s = cache().unwrap(NewcacheCache.class).nearCacheStatistics();
    System.out.printf(Locale.ROOT, "%nnear cache over the trial: %,d hits, %,d misses, %,d revalidations (%,d unchanged, %,d ahead), "
            + "%,d reads shared another's fetch, %,d evictions%n",
        s.getNearHits(), s.getNearMisses(), s.getRevalidationsUnchanged() + s.getRevalidationsChanged(),
        s.getRevalidationsUnchanged(), s.getRevalidationsAhead(), s.getSharedFetches(), s.getNearEvictions());
    super.close();
  }
}
