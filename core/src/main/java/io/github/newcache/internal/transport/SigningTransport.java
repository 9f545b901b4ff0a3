package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.Secret;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.util.function.Consumer;
import javax.cache.CacheException;

/**
 * Authenticates every stored item: appends HMAC-SHA256 over the memcached key and the stored
 * bytes on write, and on read returns only items whose tag verifies, without the tag. An item
 * planted by someone who can reach memcached, altered, moved to another key or written by a
 * client with another secret reads as a miss, is counted, and never reaches a decoder.
 *
 * <p>Stored layout: {@code bytes | tag(32)}, tag = HMAC-SHA256(secret, u16 key length | UTF-8 key
 * | bytes). Binding the key stops an attacker from copying a valid item under another key.
 *
 * <p>The parts forms ({@code getParts}, {@code setParts} and the like) are left to the interface's
 * defaults, which go through {@link #get} and {@link #set}: every item is signed and checked
 * whole, so {@code readsInParts} stays false whatever the transport below can do.
 */
public final class SigningTransport extends ForwardingTransport {

  /** Bytes the tag adds to every item. */
  public static final int TAG_BYTES = 32;
  private static final String ALGORITHM = "HmacSHA256";

  private final MemcachedTransport delegate;
  private final FailureListener failures;
  private final ThreadLocal<Mac> macs;

  public SigningTransport(MemcachedTransport delegate, Secret secret, FailureListener failures) {
    this.delegate = delegate;
    this.failures = failures;
    SecretKeySpec key = new SecretKeySpec(secret.bytes(), ALGORITHM);
    try {
      Mac.getInstance(ALGORITHM).init(key); // fail now, not on the first operation
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JVM cannot compute " + ALGORITHM + ": " + e, e);
    }
    this.macs =
        ThreadLocal.withInitial(
            () -> {
              try {
                Mac mac = Mac.getInstance(ALGORITHM);
                mac.init(key);
                return mac;
              } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
              }
            });
  }

  @Override
  MemcachedTransport delegate() {
    return delegate;
  }

  private byte[] tag(String key, byte[] value, int length) {
    Mac mac = macs.get();
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    mac.update((byte) (k.length >>> 8));
    mac.update((byte) k.length);
    mac.update(k);
    mac.update(value, 0, length);
    return mac.doFinal();
  }

  private byte[] sign(String key, byte[] value) {
    byte[] out = Arrays.copyOf(value, value.length + TAG_BYTES);
    System.arraycopy(tag(key, value, value.length), 0, out, value.length, TAG_BYTES);
    return out;
  }

  /** The item without its tag, or null (counted) when the tag is missing or wrong. */
  private byte[] verify(String key, byte[] stored) {
    if (stored == null) {
      return null;
    }
    int n = stored.length - TAG_BYTES;
    if (n >= 0) {
      byte[] expected = tag(key, stored, n);
      if (MessageDigest.isEqual(expected, Arrays.copyOfRange(stored, n, stored.length))) {
        return Arrays.copyOf(stored, n);
      }
    }
    failures.unsigned("key " + key + " (" + stored.length + " bytes)");
    return null;
  }

  @Override
  public byte[] get(String key) {
    return verify(key, delegate.get(key));
  }

  /**
   * What a CAS read hands up for an item the secret does not sign: no value of ours (nothing
   * parses as an entry), but an item all the same, whose CAS token lets a write replace it and
   * whose presence keeps a lease taken. Read as no item, it made every conditional write try an
   * add that memcached refused, until it gave up.
   */
  private static final byte[] NOT_SIGNED = new byte[0];

  /** {@code item} without its tag, or {@link #NOT_SIGNED} with its CAS token when the tag is missing or wrong. */
  private Item verified(String key, Item item) {
    if (item == null) {
      return null;
    }
    byte[] value = verify(key, item.value());
    return new Item(value == null ? NOT_SIGNED : value, item.cas());
  }

  @Override
  public Item gets(String key) {
    return verified(key, delegate.gets(key));
  }

  @Override
  public Map<String, byte[]> getAll(Collection<String> keys) {
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : delegate.getAll(keys).entrySet()) {
      byte[] value = verify(e.getKey(), e.getValue());
      if (value != null) {
        out.put(e.getKey(), value);
      }
    }
    return out;
  }

  @Override
  public void set(String key, int ttl, byte[] value) {
    delegate.set(key, ttl, sign(key, value));
  }

  @Override
  public void setAll(Map<String, byte[]> values, int ttl) {
    Map<String, byte[]> signed = new LinkedHashMap<>();
    for (Map.Entry<String, byte[]> e : values.entrySet()) {
      signed.put(e.getKey(), sign(e.getKey(), e.getValue()));
    }
    delegate.setAll(signed, ttl);
  }

  @Override
  public boolean add(String key, int ttl, byte[] value) {
    return delegate.add(key, ttl, sign(key, value));
  }

  @Override
  public CasOutcome cas(String key, long cas, int ttl, byte[] value) {
    return delegate.cas(key, cas, ttl, sign(key, value));
  }

  /** Passed on: the interface's default would fail the whole listing at the first server that fails. */
  @Override
  public void eachKeyOfReachable(String prefix, Consumer<String> each, Consumer<CacheException> failed) {
    delegate.eachKeyOfReachable(prefix, each, failed);
  }

  @Override
  public CompletableFuture<byte[]> getAsync(String key) {
    return delegate.getAsync(key).thenApply(stored -> verify(key, stored));
  }

  @Override
  public CompletableFuture<Item> getsAsync(String key) {
    return delegate.getsAsync(key).thenApply(item -> verified(key, item));
  }

  @Override
  public CompletableFuture<Map<String, byte[]>> getAllAsync(Collection<String> keys) {
    return delegate.getAllAsync(keys).thenApply(found -> {
      Map<String, byte[]> out = new LinkedHashMap<>();
      for (Map.Entry<String, byte[]> e : found.entrySet()) {
        byte[] value = verify(e.getKey(), e.getValue());
        if (value != null) {
          out.put(e.getKey(), value);
        }
      }
      return out;
    });
  }

  @Override
  public CompletableFuture<Void> setAsync(String key, int ttl, byte[] value) {
    return delegate.setAsync(key, ttl, sign(key, value));
  }

  @Override
  public CompletableFuture<Boolean> addAsync(String key, int ttl, byte[] value) {
    return delegate.addAsync(key, ttl, sign(key, value));
  }

  @Override
  public CompletableFuture<CasOutcome> casAsync(String key, long cas, int ttl, byte[] value) {
    return delegate.casAsync(key, cas, ttl, sign(key, value));
  }

  /** The shared connection belongs to the manager; a cache's decorator closes nothing. */
  @Override
  public void close() {}
}
