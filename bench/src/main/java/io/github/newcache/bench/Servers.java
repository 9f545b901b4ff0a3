package io.github.newcache.bench;

/**
 * The servers of one trial, each started on first use on a free loopback port and all stopped
 * together: memcached for our cache and the raw memcached clients (they share it, each under its
 * own keys or the same bytes under the same keys), Redis for Redisson.
 */
final class Servers implements AutoCloseable {

  private final String[] memcachedArgs;
  private MemcachedServer memcached;
  private MemcachedServer tlsMemcached;
  private LocalRedis redis;

  /** @param memcachedArgs extra memcached arguments (e.g. {@code -I 2m}) */
  Servers(String... memcachedArgs) {
    this.memcachedArgs = memcachedArgs.clone();
  }

  synchronized MemcachedServer memcached() {
    if (memcached == null) {
      memcached = MemcachedServer.start(memcachedArgs);
    }
    return memcached;
  }

  /** A second memcached, speaking only TLS, for the TLS side. */
  synchronized MemcachedServer tlsMemcached() {
    if (tlsMemcached == null) {
      tlsMemcached = MemcachedServer.startTls(memcachedArgs);
    }
    return tlsMemcached;
  }

  synchronized LocalRedis redis() {
    if (redis == null) {
      redis = LocalRedis.start();
    }
    return redis;
  }

  @Override
  public synchronized void close() {
    try {
      if (memcached != null) {
        memcached.close();
      }
      if (tlsMemcached != null) {
        tlsMemcached.close();
      }
    } finally {
      if (redis != null) {
        redis.close();
      }
    }
  }
}
