package io.github.newcache.bench;

import io.github.newcache.testkit.LocalMemcached;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Properties;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;
import net.spy.memcached.CachedData;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.transcoders.Transcoder;

/**
 * One side of a comparison, started fresh per trial: a private memcached on loopback and either a
 * raw spymemcached client or our JCache {@code Cache<String, byte[]>} over it.
 *
 * <p>The raw client is configured like our transport (same protocol, operation timeout, ketama
 * locator, fail-fast mode) and moves the caller's bytes untouched: a pass-through transcoder with
 * flags 0 and no compression. Both sides log through the same spymemcached logger.
 */
final class Target implements AutoCloseable {

  /** The logger our library installs; the benchmark JVMs get it as a -D flag, this is a fallback. */
  static final String SPY_LOGGER = "io.github.newcache.internal.transport.SpyLogger";

  static {
    if (System.getProperty("net.spy.log.LoggerImpl") == null) {
      System.setProperty("net.spy.log.LoggerImpl", SPY_LOGGER);
    }
  }

  static final int OP_TIMEOUT_MILLIS = 1000;
  static final int MAX_ITEM_SIZE = 1024 * 1024;
  static final Transcoder<byte[]> BYTES = new PassThrough(MAX_ITEM_SIZE);

  /** Which side the benchmark methods use right now; switched between iterations in A/B/B/A mode. */
  boolean raw;

  final LocalMemcached server;
  final MemcachedClient client;
  final CacheManager manager;
  final Cache<String, byte[]> cache;

  private Target(boolean raw, LocalMemcached server, MemcachedClient client, CacheManager manager, Cache<String, byte[]> cache) {
    this.raw = raw;
    this.server = server;
    this.client = client;
    this.manager = manager;
    this.cache = cache;
  }

  /**
   * @param side {@code raw}, {@code newcache}, or {@code abba}: both over the same memcached, the
   *     benchmark switching between them per iteration (see {@link Alternation})
   * @param protocol {@code text} or {@code binary}
   */
  static Target open(String side, String protocol, String... memcachedArgs) {
    boolean binary = switch (protocol) {
      case "text" -> false;
      case "binary" -> true;
      default -> throw new IllegalArgumentException("protocol must be text or binary, not " + protocol);
    };
    LocalMemcached server = LocalMemcached.start(memcachedArgs);
    try {
      switch (side) {
        case "raw":
          return new Target(true, server, rawClient(server, binary), null, null);
        case "newcache":
          {
            CacheManager manager = manager(server, binary);
            return new Target(false, server, null, manager, cache(manager));
          }
        case Alternation.SIDE:
          {
            CacheManager manager = manager(server, binary);
            return new Target(true, server, rawClient(server, binary), manager, cache(manager));
          }
        default:
          throw new IllegalArgumentException("side must be raw or newcache, not " + side);
      }
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  private static CacheManager manager(LocalMemcached server, boolean binary) {
    CachingProvider provider = Caching.getCachingProvider();
    return provider.getCacheManager(URI.create(server.uri(binary)), Target.class.getClassLoader(), new Properties());
  }

  private static Cache<String, byte[]> cache(CacheManager manager) {
    return manager.createCache("bench", new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
  }

  /** True when both sides are open (A/B/B/A mode). */
  boolean both() {
    return client != null && cache != null;
  }

  private static MemcachedClient rawClient(LocalMemcached server, boolean binary) {
    ConnectionFactoryBuilder builder =
        new ConnectionFactoryBuilder()
            .setProtocol(binary ? ConnectionFactoryBuilder.Protocol.BINARY : ConnectionFactoryBuilder.Protocol.TEXT)
            .setOpTimeout(OP_TIMEOUT_MILLIS)
            .setLocatorType(ConnectionFactoryBuilder.Locator.CONSISTENT)
            .setHashAlg(DefaultHashAlgorithm.KETAMA_HASH)
            .setFailureMode(FailureMode.Cancel)
            .setMaxReconnectDelay(2)
            .setDaemon(true);
    MemcachedClient client;
    try {
      client = new MemcachedClient(builder.build(), List.of(new InetSocketAddress(server.host(), server.port())));
    } catch (IOException e) {
      throw new IllegalStateException("cannot connect to " + server.address() + ": " + e, e);
    }
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (client.getAvailableServers().isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return client;
  }

  @Override
  public void close() {
    try {
      if (client != null) {
        client.shutdown(1, java.util.concurrent.TimeUnit.SECONDS);
      }
      if (manager != null) {
        manager.close();
      }
    } finally {
      server.close();
    }
  }

  /** Hands the caller's bytes to spymemcached untouched: flags 0, never compressed. */
  static final class PassThrough implements Transcoder<byte[]> {
    private final int maxSize;

    PassThrough(int maxSize) {
      this.maxSize = maxSize;
    }

    @Override
    public boolean asyncDecode(CachedData d) {
      return false;
    }

    @Override
    public CachedData encode(byte[] o) {
      return new CachedData(0, o, maxSize);
    }

    @Override
    public byte[] decode(CachedData d) {
      return d.getData();
    }

    @Override
    public int getMaxSize() {
      return maxSize;
    }
  }
}
