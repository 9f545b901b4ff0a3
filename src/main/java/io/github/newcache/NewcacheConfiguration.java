package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
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

  public NewcacheConfiguration() {}

  /** Copies a configuration; from another {@code NewcacheConfiguration} the mangler and codec too. */
  public NewcacheConfiguration(Configuration<K, V> other) {
    super(complete(other));
    if (other instanceof NewcacheConfiguration) {
      NewcacheConfiguration<K, V> n = (NewcacheConfiguration<K, V>) other;
      this.keyMangler = n.keyMangler;
      this.valueCodec = n.valueCodec;
    }
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
