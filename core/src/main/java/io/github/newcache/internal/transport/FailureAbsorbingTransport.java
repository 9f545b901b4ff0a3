package io.github.newcache.internal.transport;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Predicate;
import javax.cache.CacheException;

/**
 * The {@code failures=miss} policy: a memcached failure ({@link CacheException} from the transport
 * below: a timeout, a server down or stalled, a full queue) becomes a miss for a read and a
 * skipped write for a write, as if memcached had evicted the entry at once. Each is counted and
 * logged at a bounded rate. Bad input ({@link IllegalArgumentException} and the like) still
 * surfaces: it is the caller's error, not memcached's.
 *
 * <p>A skipped write reports success ({@code add} true, {@code cas} stored), so conditional
 * operations finish instead of retrying against a server that is not there. A skipped write that
 * would have replaced an item ({@code set}, {@code cas}) deletes it, and a skipped removal tries
 * once more, best effort ({@link #skipped}); a skipped {@code add} had nothing to replace.
 */
public final class FailureAbsorbingTransport extends ForwardingTransport {

  private final MemcachedTransport delegate;
  private final FailureListener failures;
  private final Predicate<String> leases;

  /**
   * Absorbs the failures of {@code delegate}.
   *
   * @param leases tells the herd's lease keys apart: a skipped write of one is never followed by a delete
   */
  public FailureAbsorbingTransport(MemcachedTransport delegate, FailureListener failures, Predicate<String> leases) {
    this.delegate = delegate;
    this.failures = failures;
    this.leases = leases;
  }

  @Override
  MemcachedTransport delegate() {
    return delegate;
  }

  private void absorbed(CacheException e) {
    failures.absorbed(e.getMessage());
  }

  /**
   * A write or removal of {@code keys} that failed and is skipped: counted, dropped from what this
   * JVM holds ({@link FailureListener#skipped}, again once the delete is answered), and the keys'
   * items deleted, best effort and without waiting, not even for room in a full queue ({@link
   * BestEffort}), so that the write is as good as an eviction (and a removal is tried once more).
   * The item it was to replace or remove would otherwise stay readable, older than what the caller
   * was told. A lease of the herd is left as it is: it goes by its own expiry, and deleting it
   * could take another client's.
   */
  private void skipped(CacheException e, Collection<String> keys) {
    skipped(e, keys, true);
  }

  /** {@link #skipped(CacheException, Collection)}; {@code delete} false for an {@code add}, which replaced nothing. */
  @SuppressWarnings("FutureReturnValueIgnored") // best effort: the delete's outcome changes nothing
  private void skipped(CacheException e, Collection<String> keys, boolean delete) {
    absorbed(e);
    for (String key : keys) {
      if (leases.test(key)) {
        continue;
      }
      failures.skipped(key);
      if (!delete) {
        continue;
      }
      try {
        // Told again once the delete is answered: a read that installed the old item in between
        // (another thread's, or another connection's answer) is not kept either.
        BestEffort.send(() -> delegate.deleteAsync(key)).whenComplete((deleted, failed) -> failures.skipped(key));
      } catch (RuntimeException refused) {
        // nothing more to try
      }
    }
  }

  @Override
  public byte[] get(String key) {
    try {
      return delegate.get(key);
    } catch (CacheException e) {
      absorbed(e);
      return null;
    }
  }

  @Override
  public boolean readsInParts() {
    return delegate.readsInParts();
  }

  @Override
  public boolean absorbsFailures() {
    return true;
  }

  @Override
  public Parts getParts(String key, int headLength) {
    try {
      return delegate.getParts(key, headLength);
    } catch (CacheException e) {
      absorbed(e);
      return null;
    }
  }

  @Override
  public Parts[] getAllParts(List<String> keys, int[] headLengths) {
    try {
      return delegate.getAllParts(keys, headLengths);
    } catch (CacheException e) {
      absorbed(e);
      return new Parts[keys.size()];
    }
  }

  @Override
  public Item gets(String key) {
    try {
      return delegate.gets(key);
    } catch (CacheException e) {
      absorbed(e);
      return null;
    }
  }

  @Override
  public Map<String, byte[]> getAll(Collection<String> keys) {
    try {
      return delegate.getAll(keys);
    } catch (CacheException e) {
      absorbed(e);
      return Map.of();
    }
  }

  @Override
  public void set(String key, int ttl, byte[] value) {
    try {
      delegate.set(key, ttl, value);
    } catch (CacheException e) {
      skipped(e, List.of(key));
    }
  }

  @Override
  public void setParts(String key, int ttl, Parts value) {
    try {
      delegate.setParts(key, ttl, value);
    } catch (CacheException e) {
      skipped(e, List.of(key));
    }
  }

  @Override
  public void setAllParts(Map<String, Parts> values, int ttl) {
    try {
      delegate.setAllParts(values, ttl);
    } catch (CacheException e) {
      skipped(e, values.keySet());
    }
  }

  @Override
  public void setAll(Map<String, byte[]> values, int ttl) {
    try {
      delegate.setAll(values, ttl);
    } catch (CacheException e) {
      skipped(e, values.keySet());
    }
  }

  @Override
  public boolean add(String key, int ttl, byte[] value) {
    try {
      return delegate.add(key, ttl, value);
    } catch (CacheException e) {
      skipped(e, List.of(key), false);
      return true;
    }
  }

  @Override
  public CasOutcome cas(String key, long cas, int ttl, byte[] value) {
    try {
      return delegate.cas(key, cas, ttl, value);
    } catch (CacheException e) {
      skipped(e, List.of(key));
      return CasOutcome.STORED;
    }
  }

  @Override
  public boolean delete(String key) {
    try {
      return delegate.delete(key);
    } catch (CacheException e) {
      skipped(e, List.of(key));
      return false;
    }
  }

  @Override
  public int deleteAll(Collection<String> keys) {
    try {
      return delegate.deleteAll(keys);
    } catch (CacheException e) {
      skipped(e, keys);
      return 0;
    }
  }

  @Override
  public void eachKey(String prefix, Consumer<String> each) {
    // The servers that answer are listed: one that fails leaves out only its own keys.
    delegate.eachKeyOfReachable(prefix, each, this::absorbed);
  }

  /** A failed future whose cause is a CacheException becomes {@code fallback}, counted. */
  private <T> CompletableFuture<T> absorbing(CompletableFuture<T> f, T fallback) {
    return absorbing(f, fallback, List.of());
  }

  /** {@link #absorbing(CompletableFuture, Object)} of a write of {@code written}, {@link #skipped} when it fails. */
  private <T> CompletableFuture<T> absorbing(CompletableFuture<T> f, T fallback, List<String> written) {
    return absorbing(f, fallback, written, true);
  }

  private <T> CompletableFuture<T> absorbing(CompletableFuture<T> f, T fallback, List<String> written, boolean delete) {
    return f.exceptionally(
        e -> {
          Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
          if (cause instanceof CacheException failure) {
            skipped(failure, written, delete);
            return fallback;
          }
          throw e instanceof RuntimeException unchecked ? unchecked : new java.util.concurrent.CompletionException(cause);
        });
  }

  @Override
  public CompletableFuture<byte[]> getAsync(String key) {
    return absorbing(delegate.getAsync(key), null);
  }

  @Override
  public CompletableFuture<Item> getsAsync(String key) {
    return absorbing(delegate.getsAsync(key), null);
  }

  @Override
  public CompletableFuture<Map<String, byte[]>> getAllAsync(Collection<String> keys) {
    return absorbing(delegate.getAllAsync(keys), Map.of());
  }

  @Override
  public CompletableFuture<Void> setAsync(String key, int ttl, byte[] value) {
    return absorbing(delegate.setAsync(key, ttl, value), null, List.of(key));
  }

  @Override
  public CompletableFuture<Boolean> addAsync(String key, int ttl, byte[] value) {
    return absorbing(delegate.addAsync(key, ttl, value), true, List.of(key), false);
  }

  @Override
  public CompletableFuture<CasOutcome> casAsync(String key, long cas, int ttl, byte[] value) {
    return absorbing(delegate.casAsync(key, cas, ttl, value), CasOutcome.STORED, List.of(key));
  }

  @Override
  public CompletableFuture<Boolean> deleteAsync(String key) {
    return absorbing(delegate.deleteAsync(key), false, List.of(key));
  }

  /** The shared connection belongs to the manager; a cache's decorator closes nothing. */
  @Override
  public void close() {}
}
