package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.config.Settings;
import io.github.newcache.key.KeyMangler;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.configuration.MutableConfiguration;

/**
 * A {@link MutableConfiguration} that can also choose the cache's own key function and value
 * codec, overriding the manager's.
 */
public class NewcacheConfiguration<K, V> extends MutableConfiguration<K, V> {

  private static final long serialVersionUID = 1L;

  private transient KeyMangler keyMangler;
  private transient ValueCodec valueCodec;
  private FailurePolicy failurePolicy = FailurePolicy.EXCEPTION;
  private boolean singleFlight = Settings.SINGLE_FLIGHT.defaultValue();
  private long leaseTimeoutMillis = Settings.LEASE_TIMEOUT.defaultValue();
  private long staleWhileRevalidateMillis = Settings.STALE_WHILE_REVALIDATE.defaultValue();

  public NewcacheConfiguration() {}

  /** Copies a configuration; from another {@code NewcacheConfiguration} the mangler and codec too. */
  public NewcacheConfiguration(Configuration<K, V> other) {
    super(complete(other));
    if (other instanceof NewcacheConfiguration) {
      NewcacheConfiguration<K, V> n = (NewcacheConfiguration<K, V>) other;
      this.keyMangler = n.keyMangler;
      this.valueCodec = n.valueCodec;
      this.failurePolicy = n.failurePolicy;
      this.singleFlight = n.singleFlight;
      this.leaseTimeoutMillis = n.leaseTimeoutMillis;
      this.staleWhileRevalidateMillis = n.staleWhileRevalidateMillis;
    }
  }

  /** Whether loads of a missing key run once across the fleet (default true); see {@link #setSingleFlight}. */
  public boolean isSingleFlight() {
    return singleFlight;
  }

  /**
   * With single flight on (the default), a read-through load of a missing key, and an entry
   * processor on an absent key, run once at a time per key across every JVM sharing the servers:
   * one caller holds a short-lived lease in memcached, the others wait (bounded by the lease
   * timeout) and then read what it stored.
   */
  public NewcacheConfiguration<K, V> setSingleFlight(boolean singleFlight) {
    this.singleFlight = singleFlight;
    return this;
  }

  /** How long a load lease lasts, in milliseconds: the longest anyone waits for another's load. */
  public long getLeaseTimeoutMillis() {
    return leaseTimeoutMillis;
  }

  public NewcacheConfiguration<K, V> setLeaseTimeoutMillis(long leaseTimeoutMillis) {
    long max = Settings.MAX_LEASE_DAYS * 86_400_000L;
    if (leaseTimeoutMillis < 1 || leaseTimeoutMillis > max) {
      throw new IllegalArgumentException(
          "leaseTimeout must be from 1 ms to " + max + " ms (" + Settings.MAX_LEASE_DAYS + " day), not " + leaseTimeoutMillis);
    }
    this.leaseTimeoutMillis = leaseTimeoutMillis;
    return this;
  }

  /** The stale-while-revalidate window in milliseconds; 0 (the default) turns it off. */
  public long getStaleWhileRevalidateMillis() {
    return staleWhileRevalidateMillis;
  }

  /**
   * Opt-in, beyond the JCache spec: for {@code millis} after an entry of a read-through cache
   * expires, {@code get} still answers with the previous value while one caller in the fleet
   * refreshes it through the loader in the background. 0 turns it off.
   */
  public NewcacheConfiguration<K, V> setStaleWhileRevalidateMillis(long millis) {
    long max = Settings.MAX_STALE_DAYS * 86_400_000L;
    if (millis < 0 || millis > max) {
      throw new IllegalArgumentException(
          "staleWhileRevalidate must be from 0 to " + max + " ms (" + Settings.MAX_STALE_DAYS + " days), not " + millis);
    }
    this.staleWhileRevalidateMillis = millis;
    return this;
  }

  /** What the cache does when memcached fails; {@link FailurePolicy#EXCEPTION} by default. */
  public FailurePolicy getFailurePolicy() {
    return failurePolicy;
  }

  /**
   * {@link FailurePolicy#MISS} makes memcached failures misses and skipped writes (counted in
   * {@link NewcacheCache#failureStatistics()} and logged at a bounded rate) instead of {@link
   * javax.cache.CacheException}.
   */
  public NewcacheConfiguration<K, V> setFailurePolicy(FailurePolicy failurePolicy) {
    this.failurePolicy = java.util.Objects.requireNonNull(failurePolicy, "failurePolicy");
    return this;
  }

  private static <K, V> CompleteConfiguration<K, V> complete(Configuration<K, V> other) {
    if (other instanceof CompleteConfiguration) {
      return (CompleteConfiguration<K, V>) other;
    }
    MutableConfiguration<K, V> m = new MutableConfiguration<>();
    m.setTypes(other.getKeyType(), other.getValueType());
    m.setStoreByValue(other.isStoreByValue());
    return m;
  }

  /** The cache's key function, or null to use the manager's. */
  public KeyMangler getKeyMangler() {
    return keyMangler;
  }

  public NewcacheConfiguration<K, V> setKeyMangler(KeyMangler keyMangler) {
    this.keyMangler = keyMangler;
    return this;
  }

  /** The cache's value codec, or null to use the manager's. */
  public ValueCodec getValueCodec() {
    return valueCodec;
  }

  public NewcacheConfiguration<K, V> setValueCodec(ValueCodec valueCodec) {
    this.valueCodec = valueCodec;
    return this;
  }
}
