package io.github.newcache.transport;

import io.github.newcache.config.ManagerSettings;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.cache.CacheException;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import net.spy.memcached.ConnectionFactoryBuilder;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.internal.OperationFuture;

/** The {@link MemcachedTransport} over spymemcached: the only class that holds a spymemcached client. */
public final class SpyTransport implements MemcachedTransport {

  static {
    // spymemcached reads this once, on first use; keep a user's own choice.
    if (System.getProperty("net.spy.log.LoggerImpl") == null) {
      System.setProperty("net.spy.log.LoggerImpl", SpyLogger.class.getName());
    }
  }

  private final MemcachedClient client;
  private final BytesTranscoder transcoder;
  private final List<InetSocketAddress> servers;
  private final KeyLister lister;
  private final long timeoutMillis;

  public SpyTransport(ManagerSettings settings) {
    this.timeoutMillis = settings.opTimeoutMillis();
    this.transcoder = new BytesTranscoder(settings.maxItemSize());
    this.servers = new ArrayList<>();
    for (InetSocketAddress a : settings.servers()) {
      servers.add(new InetSocketAddress(a.getHostString(), a.getPort()));
    }
    this.lister = new KeyLister(settings.listTimeoutMillis());
    ConnectionFactoryBuilder builder =
        new ConnectionFactoryBuilder()
            .setProtocol(
                settings.binary()
                    ? ConnectionFactoryBuilder.Protocol.BINARY
                    : ConnectionFactoryBuilder.Protocol.TEXT)
            .setOpTimeout(settings.opTimeoutMillis())
            .setLocatorType(ConnectionFactoryBuilder.Locator.CONSISTENT)
            .setHashAlg(DefaultHashAlgorithm.KETAMA_HASH)
            .setFailureMode(FailureMode.Cancel)
            .setMaxReconnectDelay(2)
            .setDaemon(true);
    try {
      this.client = new MemcachedClient(builder.build(), servers);
    } catch (IOException e) {
      throw new CacheException("cannot connect to memcached " + servers + ": " + e, e);
    }
    awaitConnections(Math.max(1000, settings.opTimeoutMillis()));
  }

  /**
   * Waits (bounded) until every server is connected. In fail-fast mode spymemcached cancels
   * operations for a server whose connection is not up yet, so without this the first operations
   * after start would fail although the servers are fine. A server that stays down is left to the
   * failure mode once the wait ends.
   */
  private void awaitConnections(long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    while (client.getAvailableServers().size() < servers.size() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public byte[] get(String key) {
    return await(client.asyncGet(key, transcoder), "get", key);
  }

  @Override
  public Item gets(String key) {
    CASValue<byte[]> v = await(client.asyncGets(key, transcoder), "gets", key);
    return v == null ? null : new Item(v.getValue(), v.getCas());
  }

  @Override
  public Map<String, byte[]> getAll(Collection<String> keys) {
    if (keys.isEmpty()) {
      return Map.of();
    }
    return await(client.asyncGetBulk(keys, transcoder), "get (multi)", keys.size() + " keys");
  }

  @Override
  public void set(String key, int ttl, byte[] value) {
    if (!await(client.set(key, ttl, value, transcoder), "set", key)) {
      throw new CacheException("memcached did not store the item under " + key);
    }
  }

  @Override
  public void setAll(Map<String, byte[]> values, Map<String, Integer> ttls) {
    Map<String, Future<Boolean>> futures = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : values.entrySet()) {
      futures.put(e.getKey(), client.set(e.getKey(), ttls.get(e.getKey()), e.getValue(), transcoder));
    }
    for (Map.Entry<String, Future<Boolean>> e : futures.entrySet()) {
      if (!await(e.getValue(), "set", e.getKey())) {
        throw new CacheException("memcached did not store the item under " + e.getKey());
      }
    }
  }

  @Override
  public boolean add(String key, int ttl, byte[] value) {
    return await(client.add(key, ttl, value, transcoder), "add", key);
  }

  @Override
  public CasOutcome cas(String key, long cas, int ttl, byte[] value) {
    CASResponse r = await(client.asyncCAS(key, cas, ttl, value, transcoder), "cas", key);
    switch (r) {
      case OK:
        return CasOutcome.STORED;
      case EXISTS:
        return CasOutcome.CHANGED;
      case NOT_FOUND:
        return CasOutcome.GONE;
      default:
        throw new CacheException("memcached answered " + r + " to cas on " + key);
    }
  }

  @Override
  public boolean delete(String key) {
    return await(client.delete(key), "delete", key);
  }

  @Override
  public void deleteAll(Collection<String> keys) {
    List<OperationFuture<Boolean>> futures = new ArrayList<>(keys.size());
    for (String key : keys) {
      futures.add(client.delete(key));
    }
    for (OperationFuture<Boolean> f : futures) {
      await(f, "delete", f.getKey());
    }
  }

  @Override
  public List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>();
    for (InetSocketAddress server : servers) {
      keys.addAll(lister.keys(server, prefix));
    }
    return keys;
  }

  @Override
  public void close() {
    client.shutdown(Math.min(timeoutMillis, 1000), TimeUnit.MILLISECONDS);
  }

  private <T> T await(Future<T> future, String op, Object key) {
    try {
      return future.get(timeoutMillis, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      future.cancel(false);
      throw new CacheException(
          "memcached " + op + " of " + key + " timed out after " + timeoutMillis + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CacheException("interrupted during memcached " + op + " of " + key, e);
    } catch (ExecutionException e) {
      throw new CacheException("memcached " + op + " of " + key + " failed: " + e.getCause(), e.getCause());
    } catch (RuntimeException e) {
      throw new CacheException("memcached " + op + " of " + key + " failed: " + e, e);
    }
  }
}
