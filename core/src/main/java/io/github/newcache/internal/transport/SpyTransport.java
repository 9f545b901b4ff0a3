package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.TransportSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;
import java.util.function.Supplier;
import javax.cache.CacheException;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.internal.BulkGetCompletionListener;
import net.spy.memcached.internal.GetCompletionListener;
import net.spy.memcached.internal.OperationCompletionListener;
import net.spy.memcached.internal.OperationFuture;

/**
 * The {@link MemcachedTransport} over spymemcached: the only class that holds a spymemcached
 * client.
 *
 * <p>Failures, by default all fast: keys are spread with libmemcached-compatible ketama ({@link
 * SpyConnectionFactory}); a server whose connection is down fails its operations at once ({@code
 * failureMode=cancel}); a server that is connected but silent is found by {@link NodeBreakers} and
 * failed fast too; full queues refuse new operations after {@code opQueueWait}. Every failure is a
 * {@link CacheException} that names the server and the operation.
 */
public final class SpyTransport implements MemcachedTransport {

  static {
    // spymemcached reads this once, on first use; keep a user's own choice.
    if (System.getProperty("net.spy.log.LoggerImpl") == null) {
      System.setProperty("net.spy.log.LoggerImpl", SpyLogger.class.getName());
    }
  }

  /** How long close() lets pending writes drain before it drops the connections. */
  private static final long CLOSE_DRAIN_MILLIS = 250;

  private final MemcachedClient client;
  private final SpyConnectionFactory factory;
  private final BytesTranscoder transcoder;
  private final List<InetSocketAddress> servers;
  private final KeyLister lister;
  private final NodeBreakers breakers;
  private final long timeoutMillis;
  private final int opQueueSize;
  private final long opQueueWaitMillis;
  private final boolean sasl;
  /** Fails non-blocking operations that get no answer within the operation timeout. */
  private final ScheduledThreadPoolExecutor timeouts;

  public SpyTransport(TransportSettings settings) {
    this.timeoutMillis = settings.opTimeoutMillis();
    this.transcoder = new BytesTranscoder(settings.maxItemSize());
    this.servers = new ArrayList<>();
    for (InetSocketAddress a : settings.servers()) {
      servers.add(address(a.getHostString(), a.getPort()));
    }
    this.lister = new KeyLister(settings.listTimeoutMillis());
    this.opQueueSize = settings.connection().opQueueSize();
    this.opQueueWaitMillis = settings.connection().opQueueWaitMillis();
    this.sasl = settings.username() != null;
    if (sasl) {
      for (InetSocketAddress server : servers) {
        SaslCheck.verify(server, settings.username(), settings.password());
      }
    }
    this.factory = new SpyConnectionFactory(settings);
    this.timeouts = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "newcache-timeouts");
      t.setDaemon(true);
      return t;
    });
    this.timeouts.setRemoveOnCancelPolicy(true);
    this.breakers =
        new NodeBreakers(
            this::serverOf,
            settings.connection().stallTimeouts(),
            settings.connection().stallCooldownMillis(),
            timeoutMillis);
    try {
      this.client = new MemcachedClient(factory, servers);
    } catch (IOException e) {
      throw new CacheException("cannot connect to memcached " + servers + ": " + e, e);
    }
    awaitConnections(Math.max(1000, settings.opTimeoutMillis()));
  }

  /**
   * A resolved address that keeps the host as configured. ketama places servers by {@code
   * host:port} as written (libmemcached's rule); an address resolved from an IP literal would
   * otherwise answer a reverse DNS lookup ({@code localhost}) and move every key.
   */
  private static InetSocketAddress address(String host, int port) {
    try {
      InetAddress resolved = InetAddress.getByName(host);
      return new InetSocketAddress(InetAddress.getByAddress(host, resolved.getAddress()), port);
    } catch (UnknownHostException e) {
      return new InetSocketAddress(host, port); // unresolved: reported when connecting
    }
  }

  /**
   * Waits (bounded) until every server is connected. In fail-fast mode spymemcached cancels
   * operations for a server whose connection is not up yet, so without this the first operations
   * after start would fail although the servers are fine. A server that stays down is left to the
   * failure mode once the wait ends.
   */
  private void awaitConnections(long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    while (!allReady() && System.nanoTime() < deadline) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Every server connected and, with SASL, authenticated (ops sent before that are refused). */
  private boolean allReady() {
    NodeLocator locator = factory.locator();
    if (locator == null) {
      return false;
    }
    for (MemcachedNode node : locator.getAll()) {
      if (!node.isActive() || (sasl && !node.isAuthenticated())) {
        return false;
      }
    }
    return true;
  }

  /** The server that holds {@code key}, or null before the client is connected. */
  SocketAddress serverOf(String key) {
    NodeLocator locator = factory.locator();
    if (locator == null) {
      return null;
    }
    MemcachedNode node = locator.getPrimary(key);
    return node == null ? null : node.getSocketAddress();
  }

  /** The address of the server that holds {@code key}, as {@code host:port}. */
  public String serverFor(String key) {
    SocketAddress a = serverOf(key);
    if (a instanceof InetSocketAddress i) {
      return i.getHostString() + ":" + i.getPort();
    }
    return String.valueOf(a);
  }

  /** Servers that are currently failed fast as stalled, as {@code host:port}. */
  public List<String> stalledServers() {
    List<String> out = new ArrayList<>();
    for (SocketAddress a : breakers.stalled()) {
      InetSocketAddress i = (InetSocketAddress) a;
      out.add(i.getHostString() + ":" + i.getPort());
    }
    return out;
  }

  @Override
  public byte[] get(String key) {
    return call("get", key, () -> client.asyncGet(key, transcoder));
  }

  @Override
  public Item gets(String key) {
    CASValue<byte[]> v = call("gets", key, () -> client.asyncGets(key, transcoder));
    return v == null ? null : new Item(v.getValue(), v.getCas());
  }

  @Override
  public Map<String, byte[]> getAll(Collection<String> keys) {
    if (keys.isEmpty()) {
      return Map.of();
    }
    for (String key : keys) {
      breakers.admit(key, "get (multi)");
    }
    Future<Map<String, byte[]>> f = enqueue("get (multi)", keys.iterator().next(),
        () -> client.asyncGetBulk(keys, transcoder));
    return await(f, "get (multi)", keys.iterator().next(), keys.size() + " keys", null);
  }

  @Override
  public void set(String key, int ttl, byte[] value) {
    if (!call("set", key, () -> client.set(key, ttl, value, transcoder))) {
      throw new CacheException("memcached did not store the item under " + key);
    }
  }

  @Override
  public void setAll(Map<String, byte[]> values, int ttl) {
    int n = values.size();
    List<String> keys = new ArrayList<>(n);
    List<Future<Boolean>> futures = new ArrayList<>(n);
    List<NodeBreakers.Breaker> admitted = new ArrayList<>(n);
    for (Map.Entry<String, byte[]> e : values.entrySet()) {
      String key = e.getKey();
      byte[] value = e.getValue();
      keys.add(key);
      admitted.add(breakers.admit(key, "set"));
      futures.add(enqueue("set", key, () -> client.set(key, ttl, value, transcoder)));
    }
    for (int i = 0; i < n; i++) {
      if (!await(futures.get(i), "set", keys.get(i), keys.get(i), admitted.get(i))) {
        throw new CacheException("memcached did not store the item under " + keys.get(i));
      }
    }
  }

  @Override
  public boolean add(String key, int ttl, byte[] value) {
    return call("add", key, () -> client.add(key, ttl, value, transcoder));
  }

  @Override
  public CasOutcome cas(String key, long cas, int ttl, byte[] value) {
    return casOutcome(key, call("cas", key, () -> client.asyncCAS(key, cas, ttl, value, transcoder)));
  }

  private static CasOutcome casOutcome(String key, CASResponse r) {
    return switch (r) {
      case OK -> CasOutcome.STORED;
      case EXISTS -> CasOutcome.CHANGED;
      case NOT_FOUND -> CasOutcome.GONE;
      default -> throw new CacheException("memcached answered " + r + " to cas on " + key);
    };
  }

  @Override
  public boolean delete(String key) {
    return call("delete", key, () -> client.delete(key));
  }

  @Override
  public int deleteAll(Collection<String> keys) {
    int n = keys.size();
    List<String> issued = new ArrayList<>(n);
    List<Future<Boolean>> futures = new ArrayList<>(n);
    List<NodeBreakers.Breaker> admitted = new ArrayList<>(n);
    for (String key : keys) {
      issued.add(key);
      admitted.add(breakers.admit(key, "delete"));
      futures.add(enqueue("delete", key, () -> client.delete(key)));
    }
    int deleted = 0;
    for (int i = 0; i < n; i++) {
      if (await(futures.get(i), "delete", issued.get(i), issued.get(i), admitted.get(i))) {
        deleted++;
      }
    }
    return deleted;
  }

  @Override
  public List<String> keys(String prefix) {
    if (sasl) {
      throw new CacheException(
          "cannot list keys (iterator, clear, removeAll): that needs memcached's text protocol "
              + "(lru_crawler metadump), which memcached refuses when it runs with SASL "
              + "(username/password)");
    }
    List<String> keys = new ArrayList<>();
    for (InetSocketAddress server : servers) {
      keys.addAll(lister.keys(server, prefix));
    }
    return keys;
  }

  // ---------------------------------------------------------------- non-blocking

  // Error Prone's FutureReturnValueIgnored is suppressed on the operations below: the value they
  // drop is what spymemcached's addListener returns, the operation's own future again (for
  // chaining), which listen() already holds and settles.

  @SuppressWarnings("FutureReturnValueIgnored") // addListener returns the same future
  @Override
  public CompletableFuture<byte[]> getAsync(String key) {
    return listen("get", key, () -> client.asyncGet(key, transcoder),
        (f, done) -> f.addListener((GetCompletionListener) x -> done.run()));
  }

  @SuppressWarnings("FutureReturnValueIgnored") // addListener returns the same future
  @Override
  public CompletableFuture<Item> getsAsync(String key) {
    return this.<CASValue<byte[]>, OperationFuture<CASValue<byte[]>>>listen(
            "gets", key, () -> client.asyncGets(key, transcoder),
            (f, done) -> f.addListener((OperationCompletionListener) x -> done.run()))
        .thenApply(v -> v == null ? null : new Item(v.getValue(), v.getCas()));
  }

  @SuppressWarnings("FutureReturnValueIgnored") // addListener returns the same future
  @Override
  public CompletableFuture<Map<String, byte[]>> getAllAsync(Collection<String> keys) {
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(Map.of());
    }
    String first = keys.iterator().next();
    return listen("get (multi)", first, () -> client.asyncGetBulk(keys, transcoder),
        (f, done) -> f.addListener((BulkGetCompletionListener) x -> done.run()));
  }

  @SuppressWarnings("FutureReturnValueIgnored") // addListener returns the same future
  @Override
  public CompletableFuture<Void> setAsync(String key, int ttl, byte[] value) {
    return this.<Boolean, OperationFuture<Boolean>>listen("set", key, () -> client.set(key, ttl, value, transcoder),
            (f, done) -> f.addListener((OperationCompletionListener) x -> done.run()))
        .thenApply(stored -> {
          if (!stored) {
            throw new CacheException("memcached did not store the item under " + key);
          }
          return null;
        });
  }

  @SuppressWarnings("FutureReturnValueIgnored") // addListener returns the same future
  @Override
  public CompletableFuture<Boolean> addAsync(String key, int ttl, byte[] value) {
    return listen("add", key, () -> client.add(key, ttl, value, transcoder),
        (f, done) -> f.addListener((OperationCompletionListener) x -> done.run()));
  }

  @SuppressWarnings("FutureReturnValueIgnored") // addListener returns the same future
  @Override
  public CompletableFuture<CasOutcome> casAsync(String key, long cas, int ttl, byte[] value) {
    return this.<CASResponse, OperationFuture<CASResponse>>listen(
            "cas", key, () -> client.asyncCAS(key, cas, ttl, value, transcoder),
            (f, done) -> f.addListener((OperationCompletionListener) x -> done.run()))
        .thenApply(r -> casOutcome(key, r));
  }

  @SuppressWarnings("FutureReturnValueIgnored") // addListener returns the same future
  @Override
  public CompletableFuture<Boolean> deleteAsync(String key) {
    return listen("delete", key, () -> client.delete(key),
        (f, done) -> f.addListener((OperationCompletionListener) x -> done.run()));
  }

  /**
   * One operation without blocking: stall check and enqueue as the blocking form does, then a
   * future completed by spymemcached's completion listener (on the client's callback threads, never
   * the IO thread) or, when no answer comes within the operation timeout, failed by the timeout
   * scheduler, which also cancels the operation and tells the stall breaker. Whichever comes first
   * settles it.
   */
  private <T, F extends Future<T>> CompletableFuture<T> listen(
      String op, String key, Supplier<F> issue, BiConsumer<F, Runnable> onDone) {
    NodeBreakers.Breaker b;
    F f;
    try {
      b = breakers.admit(key, op);
      f = enqueue(op, key, issue);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<T> result = new CompletableFuture<>();
    AtomicBoolean settled = new AtomicBoolean();
    ScheduledFuture<?> timeout =
        timeouts.schedule(
            () -> {
              if (settled.compareAndSet(false, true)) {
                f.cancel(false);
                if (!op.equals("get (multi)")) {
                  breakers.timedOut(key, b);
                }
                result.completeExceptionally(
                    new CacheException(
                        "memcached " + op + " of " + key + " on " + serverFor(key) + " timed out after "
                            + timeoutMillis + " ms"));
              }
            },
            timeoutMillis,
            TimeUnit.MILLISECONDS);
    onDone.accept(
        f,
        () -> {
          if (settled.compareAndSet(false, true)) {
            timeout.cancel(false);
            try {
              result.complete(await(f, op, key, key, b)); // done: await does not wait
            } catch (RuntimeException e) {
              result.completeExceptionally(e);
            }
          }
        });
    return result;
  }

  @Override
  public void close() {
    try {
      client.shutdown(Math.min(timeoutMillis, CLOSE_DRAIN_MILLIS), TimeUnit.MILLISECONDS);
    } catch (IllegalStateException e) {
      // A full queue refused the drain marker; spymemcached still closed every connection.
    } finally {
      timeouts.shutdownNow();
      factory.callbacks().shutdownNow();
    }
  }

  /** One single-key operation: stall check, enqueue, bounded wait. */
  private <T> T call(String op, String key, Supplier<Future<T>> issue) {
    NodeBreakers.Breaker b = breakers.admit(key, op);
    return await(enqueue(op, key, issue), op, key, key, b);
  }

  /**
   * Issues an operation. spymemcached encodes and enqueues inside the call, so a full queue
   * ({@link IllegalStateException}) and an oversized item ({@link IllegalArgumentException}) come
   * from here, not from the future.
   */
  private <F extends Future<?>> F enqueue(String op, String key, Supplier<F> issue) {
    try {
      return issue.get();
    } catch (IllegalStateException e) {
      throw new CacheException(
          "memcached " + op + " of " + key + " refused: the queue for server " + serverFor(key)
              + " is full (" + opQueueSize + " operations, waited " + opQueueWaitMillis
              + " ms; opQueueSize/opQueueWait) or the client is shut down: " + e.getMessage(), e);
    }
  }

  private <T> T await(Future<T> future, String op, String key, Object what, NodeBreakers.Breaker b) {
    try {
      T value = future.get(timeoutMillis, TimeUnit.MILLISECONDS);
      breakers.answered(b);
      return value;
    } catch (TimeoutException e) {
      future.cancel(false);
      if (!op.equals("get (multi)")) {
        breakers.timedOut(key, b);
      }
      throw new CacheException(
          "memcached " + op + " of " + what + " on " + serverFor(key) + " timed out after "
              + timeoutMillis + " ms", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CacheException("interrupted during memcached " + op + " of " + what, e);
    } catch (ExecutionException e) {
      breakers.answered(b);
      if (e.getCause() instanceof CancellationException) {
        throw new CacheException(
            "memcached " + op + " of " + what + " failed at once: server " + serverFor(key)
                + " is not connected (failureMode cancel)", e.getCause());
      }
      throw new CacheException("memcached " + op + " of " + what + " failed: " + e.getCause(), e.getCause());
    } catch (CancellationException e) {
      breakers.answered(b);
      throw new CacheException(
          "memcached " + op + " of " + what + " failed at once: server " + serverFor(key)
              + " is not connected (failureMode cancel)", e);
    } catch (RuntimeException e) {
      throw new CacheException("memcached " + op + " of " + what + " failed: " + e, e);
    }
  }
}
