package io.github.newcache.bench;

import io.netty.channel.epoll.Epoll;
import javax.cache.CacheManager;
import javax.cache.Caching;
import org.redisson.client.codec.ByteArrayCodec;
import org.redisson.client.codec.Codec;
import org.redisson.client.codec.StringCodec;
import org.redisson.codec.CompositeCodec;
import org.redisson.config.Config;
import org.redisson.config.TransportMode;
import org.redisson.jcache.configuration.RedissonConfiguration;

/**
 * Redisson's JCache on a private Redis: the JSR-107 cache a user would most likely pick instead of
 * ours when a Redis is at hand.
 *
 * <p>Configuration, and why:
 *
 * <ul>
 *   <li>Provider {@code org.redisson.jcache.JCachingProvider} selected by class name (ours is on
 *       the same class path), cache created with {@code RedissonConfiguration.fromConfig(config,
 *       jcacheConfig)}, as Redisson's JCache documentation shows; the cache then owns its Redisson
 *       client and shuts it down when closed.
 *   <li>Codec: string map keys, byte-array map values ({@link #CODEC}). Redisson's default codec
 *       (Kryo5) would serialize the value; plain {@code ByteArrayCodec} also encodes the map keys
 *       and fails on {@code String} keys ({@code ClassCastException} in {@code encodeMapKey}).
 *       This moves the same value bytes as the memcached sides.
 *   <li>Transport {@code EPOLL} when Netty's native epoll loads (Linux), as Redisson's
 *       configuration guide opens with ({@code config.setTransportMode(TransportMode.EPOLL)});
 *       NIO otherwise. {@link #transport()} tells which one ran.
 *   <li>Single server {@code redis://127.0.0.1:PORT}; everything else Redisson's defaults, which
 *       its documentation presents as the production values: 32 Netty threads (the FAQ's advice
 *       for timeouts is "32, 64, 128, 256"), a pool of 64 connections with 24 kept open, RESP2,
 *       Lua script cache on, TCP_NODELAY on, 3 s timeout with 4 retries. No near cache: Redisson's
 *       JCache near cache is a PRO feature, and ours has none either.
 * </ul>
 */
final class RedissonSide extends JCacheSide {

  static final String ID = "redisson";

  /** String map keys (the cache keys), byte-array map values and plain values. */
  static final Codec CODEC = new CompositeCodec(StringCodec.INSTANCE, ByteArrayCodec.INSTANCE, ByteArrayCodec.INSTANCE);

  private static final String PROVIDER = "org.redisson.jcache.JCachingProvider";

  RedissonSide(LocalRedis redis) {
    this(Caching.getCachingProvider(PROVIDER).getCacheManager(), config(redis));
  }

  private RedissonSide(CacheManager manager, Config config) {
    super(manager, manager.createCache(CACHE_NAME, RedissonConfiguration.fromConfig(config, configuration())));
  }

  static Config config(LocalRedis redis) {
    Config config = new Config();
    config.setCodec(CODEC);
    config.setTransportMode(transport());
    config.useSingleServer().setAddress(redis.uri());
    return config;
  }

  /** EPOLL where Netty's native transport is available, else NIO. */
  static TransportMode transport() {
    return Epoll.isAvailable() ? TransportMode.EPOLL : TransportMode.NIO;
  }

  @Override
  public String id() {
    return ID;
  }
}
