package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.key.KeyMangler;
import java.util.ArrayList;
import java.util.Collections;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.Factory;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheWriter;

/**
 * A snapshot of a cache's configuration that refuses every change: what {@link
 * NewcacheCache#getConfiguration} returns, since the spec wants the returned configuration to be
 * immutable and a change to it must never reach the running cache.
 */
final class UnmodifiableConfiguration<K, V> extends NewcacheConfiguration<K, V> {

  private static final long serialVersionUID = 1L;

  /** False while the copy constructor fills the snapshot in (it calls some setters). */
  private final boolean sealed;

  UnmodifiableConfiguration(NewcacheConfiguration<K, V> live) {
    super(live);
    this.sealed = true;
  }

  private void refuse(String what) {
    if (sealed) {
      throw new UnsupportedOperationException(
          "the configuration returned by Cache.getConfiguration is a read-only snapshot: " + what
              + " cannot change it; configure the cache when creating it, or use the CacheManager"
              + " (enableStatistics, enableManagement) and Cache (registerCacheEntryListener) methods");
    }
  }

  @Override
  public Iterable<CacheEntryListenerConfiguration<K, V>> getCacheEntryListenerConfigurations() {
    ArrayList<CacheEntryListenerConfiguration<K, V>> copy = new ArrayList<>();
    super.getCacheEntryListenerConfigurations().forEach(copy::add);
    return Collections.unmodifiableList(copy);
  }

  @Override
  public NewcacheConfiguration<K, V> setTypes(Class<K> keyType, Class<V> valueType) {
    refuse("setTypes");
    return (NewcacheConfiguration<K, V>) super.setTypes(keyType, valueType);
  }

  @Override
  public NewcacheConfiguration<K, V> addCacheEntryListenerConfiguration(CacheEntryListenerConfiguration<K, V> c) {
    refuse("addCacheEntryListenerConfiguration");
    return super.addCacheEntryListenerConfiguration(c);
  }

  @Override
  public NewcacheConfiguration<K, V> removeCacheEntryListenerConfiguration(CacheEntryListenerConfiguration<K, V> c) {
    refuse("removeCacheEntryListenerConfiguration");
    return (NewcacheConfiguration<K, V>) super.removeCacheEntryListenerConfiguration(c);
  }

  @Override
  public NewcacheConfiguration<K, V> setCacheLoaderFactory(Factory<? extends CacheLoader<K, V>> factory) {
    refuse("setCacheLoaderFactory");
    return (NewcacheConfiguration<K, V>) super.setCacheLoaderFactory(factory);
  }

  @Override
  public NewcacheConfiguration<K, V> setCacheWriterFactory(
      Factory<? extends CacheWriter<? super K, ? super V>> factory) {
    refuse("setCacheWriterFactory");
    return (NewcacheConfiguration<K, V>) super.setCacheWriterFactory(factory);
  }

  @Override
  public NewcacheConfiguration<K, V> setExpiryPolicyFactory(Factory<? extends ExpiryPolicy> factory) {
    refuse("setExpiryPolicyFactory");
    return (NewcacheConfiguration<K, V>) super.setExpiryPolicyFactory(factory);
  }

  @Override
  public NewcacheConfiguration<K, V> setReadThrough(boolean readThrough) {
    refuse("setReadThrough");
    return (NewcacheConfiguration<K, V>) super.setReadThrough(readThrough);
  }

  @Override
  public NewcacheConfiguration<K, V> setWriteThrough(boolean writeThrough) {
    refuse("setWriteThrough");
    return (NewcacheConfiguration<K, V>) super.setWriteThrough(writeThrough);
  }

  @Override
  public NewcacheConfiguration<K, V> setStoreByValue(boolean storeByValue) {
    refuse("setStoreByValue");
    return (NewcacheConfiguration<K, V>) super.setStoreByValue(storeByValue);
  }

  @Override
  public NewcacheConfiguration<K, V> setStatisticsEnabled(boolean enabled) {
    refuse("setStatisticsEnabled");
    return (NewcacheConfiguration<K, V>) super.setStatisticsEnabled(enabled);
  }

  @Override
  public NewcacheConfiguration<K, V> setManagementEnabled(boolean enabled) {
    refuse("setManagementEnabled");
    return (NewcacheConfiguration<K, V>) super.setManagementEnabled(enabled);
  }

  @Override
  public NewcacheConfiguration<K, V> setSingleFlight(boolean singleFlight) {
    refuse("setSingleFlight");
    return super.setSingleFlight(singleFlight);
  }

  @Override
  public NewcacheConfiguration<K, V> setLeaseTimeoutMillis(long leaseTimeoutMillis) {
    refuse("setLeaseTimeoutMillis");
    return super.setLeaseTimeoutMillis(leaseTimeoutMillis);
  }

  @Override
  public NewcacheConfiguration<K, V> setStaleWhileRevalidateMillis(long millis) {
    refuse("setStaleWhileRevalidateMillis");
    return super.setStaleWhileRevalidateMillis(millis);
  }

  @Override
  public NewcacheConfiguration<K, V> setFailurePolicy(FailurePolicy failurePolicy) {
    refuse("setFailurePolicy");
    return super.setFailurePolicy(failurePolicy);
  }

  @Override
  public NewcacheConfiguration<K, V> setNearCacheMaxEntries(long maxEntries) {
    refuse("setNearCacheMaxEntries");
    return super.setNearCacheMaxEntries(maxEntries);
  }

  @Override
  public NewcacheConfiguration<K, V> setNearCacheMaxBytes(long maxBytes) {
    refuse("setNearCacheMaxBytes");
    return super.setNearCacheMaxBytes(maxBytes);
  }

  @Override
  public NewcacheConfiguration<K, V> setNearCacheStalenessMillis(long millis) {
    refuse("setNearCacheStalenessMillis");
    return super.setNearCacheStalenessMillis(millis);
  }

  @Override
  public NewcacheConfiguration<K, V> setKeyMangler(KeyMangler keyMangler) {
    refuse("setKeyMangler");
    return super.setKeyMangler(keyMangler);
  }

  @Override
  public NewcacheConfiguration<K, V> setValueCodec(ValueCodec valueCodec) {
    refuse("setValueCodec");
    return super.setValueCodec(valueCodec);
  }
}
