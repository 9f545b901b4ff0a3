package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.config.FailurePolicy;
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

  public NewcacheConfiguration() {}

  /** Copies a configuration; from another {@code NewcacheConfiguration} the mangler and codec too. */
  public NewcacheConfiguration(Configuration<K, V> other) {
    super(complete(other));
    if (other instanceof NewcacheConfiguration) {
      NewcacheConfiguration<K, V> n = (NewcacheConfiguration<K, V>) other;
      this.keyMangler = n.keyMangler;
      this.valueCodec = n.valueCodec;
      this.failurePolicy = n.failurePolicy;
    }
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
