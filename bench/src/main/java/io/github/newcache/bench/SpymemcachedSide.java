package io.github.newcache.bench;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import net.spy.memcached.CachedData;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.transcoders.Transcoder;

/**
 * Raw spymemcached 2.12.3, the client our cache is built on: what the cache costs on top of it is
 * the ours/raw ratio.
 *
 * <p>Configured like our transport (same protocol, 1 s operation timeout, ketama locator and hash,
 * {@code FailureMode.Cancel}, 2 s maximum reconnect delay, daemon IO thread) and moving the
 * caller's bytes untouched: a pass-through transcoder with flags 0 and no compression (the default
 * transcoder gzips values over 16 KB). It logs through the same spymemcached logger as ours (the
 * benchmark JVMs get {@code -Dnet.spy.log.LoggerImpl}). Batch operations are what a user of the raw
 * client would write: {@code getBulk}, and pipelined sets or deletes whose every acknowledgement is
 * awaited.
 */
final class SpymemcachedSide implements Side {

  static final String ID = "spymemcached";

  /** The logger our library installs; the benchmark JVMs get it as a -D flag, this is a fallback. */
  static final String SPY_LOGGER = "io.github.newcache.internal.transport.SpyLogger";

  static {
    if (System.getProperty("net.spy.log.LoggerImpl") == null) {
      System.setProperty("net.spy.log.LoggerImpl", SPY_LOGGER);
    }
  }

  static final Transcoder<byte[]> BYTES = new PassThrough(MAX_ITEM_SIZE);
  private static final int MAX_CAS_ATTEMPTS = 1000;

  private final MemcachedClient client;

  SpymemcachedSide(MemcachedServer server, boolean binary) {
    ConnectionFactoryBuilder builder =
        new ConnectionFactoryBuilder()
            .setProtocol(binary ? ConnectionFactoryBuilder.Protocol.BINARY : ConnectionFactoryBuilder.Protocol.TEXT)
            .setOpTimeout(OP_TIMEOUT_MILLIS)
            .setLocatorType(ConnectionFactoryBuilder.Locator.CONSISTENT)
            .setHashAlg(DefaultHashAlgorithm.KETAMA_HASH)
            .setFailureMode(FailureMode.Cancel)
            .setMaxReconnectDelay(2)
            .setDaemon(true);
    try {
      client = new MemcachedClient(builder.build(), List.of(new InetSocketAddress(server.host(), server.port())));
    } catch (IOException e) {
      throw new IllegalStateException("cannot connect to " + server.address() + ": " + e, e);
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (client.getAvailableServers().isEmpty() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
  }

  @Override
  public String id() {
    return ID;
  }

  @Override
  public byte[] get(String key) {
    return client.get(key, BYTES);
  }

  @Override
  public Future<byte[]> getAsync(String key) {
    return client.asyncGet(key, BYTES);
  }

  @Override
  public Future<Map<String, byte[]>> getAllAsync(Set<String> keys) {
    return client.asyncGetBulk(keys, BYTES);
  }

  @Override
  public void put(String key, byte[] value) {
    if (!await(client.set(key, 0, value, BYTES))) {
      throw new IllegalStateException("memcached did not store " + key);
    }
  }

  @Override
  public Map<String, byte[]> getAll(Set<String> keys) {
    return client.getBulk(keys, BYTES);
  }

  /** Pipelined sets, then every acknowledgement. */
  @Override
  public void putAll(Map<String, byte[]> entries) {
    List<Future<Boolean>> futures = new ArrayList<>(entries.size());
    for (Map.Entry<String, byte[]> e : entries.entrySet()) {
      futures.add(client.set(e.getKey(), 0, e.getValue(), BYTES));
    }
    for (Future<Boolean> f : futures) {
      if (!await(f)) {
        throw new IllegalStateException("memcached did not store an item");
      }
    }
  }

  /** Pipelined deletes, then every answer. */
  @Override
  public void removeAll(Set<String> keys) {
    List<Future<Boolean>> futures = new ArrayList<>(keys.size());
    for (String k : keys) {
      futures.add(client.delete(k));
    }
    for (Future<Boolean> f : futures) {
      await(f);
    }
  }

  /** {@code gets}, then {@code cas} (or {@code add} when absent), retried on conflict. */
  @Override
  public long increment(String key) {
    for (int attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      CASValue<byte[]> cur = client.gets(key, BYTES);
      if (cur == null) {
        if (await(client.add(key, 0, Side.counter(1), BYTES))) {
          return 1;
        }
        continue;
      }
      long next = Side.counter(cur.getValue()) + 1;
      if (client.cas(key, cur.getCas(), Side.counter(next), BYTES) == CASResponse.OK) {
        return next;
      }
    }
    throw new IllegalStateException("counter contended " + MAX_CAS_ATTEMPTS + " times");
  }

  private static boolean await(Future<Boolean> f) {
    try {
      return f.get(OP_TIMEOUT_MILLIS, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("memcached operation failed: " + e, e);
    }
  }

  @Override
  public void close() {
    client.shutdown(1, TimeUnit.SECONDS);
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
