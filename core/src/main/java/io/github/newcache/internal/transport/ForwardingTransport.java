package io.github.newcache.internal.transport;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import javax.cache.CacheException;

/**
 * A transport that hands its calls to another, {@link #delegate()}: the base of the decorators
 * (the failure policy, signing, following a changing server list), which override only what they
 * change.
 *
 * <p>Forwarded: every operation, blocking and non-blocking, and what belongs to the transport
 * underneath ({@link #continuations}, {@link #continueRead}, {@link #charge}, {@link #chargeAll}).
 * Left as {@link MemcachedTransport} defines them: the forms it builds from the others ({@link
 * #getParts} and the other parts forms with {@link #readsInParts}, {@link #keys}, {@link
 * #eachKeyOfReachable}, {@link #getAsync(String, BiConsumer)}) and {@link #absorbsFailures}. Those
 * go through the decorator's own operations, so a decorator that changes what is stored or read
 * (signing) is not bypassed through a form it did not think of; one that may pass such a form on
 * overrides it to say so. Nor is {@link #close} forwarded: each decorator says what it owns.
 *
 * <p>Cost: a forwarded call makes one call of {@link #delegate()} more, which the JIT inlines.
 */
abstract class ForwardingTransport implements MemcachedTransport {

  /** Where calls go: a fixed transport, or the one that is current now. */
  abstract MemcachedTransport delegate();

  @Override
  public byte[] get(String key) {
    return delegate().get(key);
  }

  @Override
  public Item gets(String key) {
    return delegate().gets(key);
  }

  @Override
  public Map<String, byte[]> getAll(Collection<String> keys) {
    return delegate().getAll(keys);
  }

  @Override
  public void set(String key, int ttl, byte[] value) {
    delegate().set(key, ttl, value);
  }

  @Override
  public void setAll(Map<String, byte[]> values, int ttl) {
    delegate().setAll(values, ttl);
  }

  @Override
  public boolean add(String key, int ttl, byte[] value) {
    return delegate().add(key, ttl, value);
  }

  @Override
  public CasOutcome cas(String key, long cas, int ttl, byte[] value) {
    return delegate().cas(key, cas, ttl, value);
  }

  @Override
  public boolean delete(String key) {
    return delegate().delete(key);
  }

  @Override
  public int deleteAll(Collection<String> keys) {
    return delegate().deleteAll(keys);
  }

  @Override
  public void eachKey(String prefix, Consumer<String> each) {
    delegate().eachKey(prefix, each);
  }

  @Override
  public Executor continuations() {
    return delegate().continuations();
  }

  @Override
  public void continueRead(String operation, Object what, long sent, Runnable rest, Consumer<? super CacheException> starved) {
    delegate().continueRead(operation, what, sent, rest, starved);
  }

  @Override
  public Runnable charge(String key, long bytes) {
    return delegate().charge(key, bytes);
  }

  @Override
  public Runnable chargeAll(Map<String, Long> bytes) {
    return delegate().chargeAll(bytes);
  }

  @Override
  public CompletableFuture<byte[]> getAsync(String key) {
    return delegate().getAsync(key);
  }

  @Override
  public CompletableFuture<Item> getsAsync(String key) {
    return delegate().getsAsync(key);
  }

  @Override
  public CompletableFuture<Map<String, byte[]>> getAllAsync(Collection<String> keys) {
    return delegate().getAllAsync(keys);
  }

  @Override
  public CompletableFuture<Void> setAsync(String key, int ttl, byte[] value) {
    return delegate().setAsync(key, ttl, value);
  }

  @Override
  public CompletableFuture<Boolean> addAsync(String key, int ttl, byte[] value) {
    return delegate().addAsync(key, ttl, value);
  }

  @Override
  public CompletableFuture<CasOutcome> casAsync(String key, long cas, int ttl, byte[] value) {
    return delegate().casAsync(key, cas, ttl, value);
  }

  @Override
  public CompletableFuture<Boolean> deleteAsync(String key) {
    return delegate().deleteAsync(key);
  }
}
