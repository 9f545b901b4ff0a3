package io.github.newcache.internal.management;

import javax.cache.configuration.CompleteConfiguration;
import javax.cache.management.CacheMXBean;

/** The {@link CacheMXBean}: a read-only view of a cache's configuration. */
public final class CacheConfigurationBean implements CacheMXBean {

  private final CompleteConfiguration<?, ?> config;

  public CacheConfigurationBean(CompleteConfiguration<?, ?> config) {
    this.config = config;
  }

  @Override
  public String getKeyType() {
    return config.getKeyType().getName();
  }

  @Override
  public String getValueType() {
    return config.getValueType().getName();
  }

  @Override
  public boolean isReadThrough() {
    return config.isReadThrough();
  }

  @Override
  public boolean isWriteThrough() {
    return config.isWriteThrough();
  }

  @Override
  public boolean isStoreByValue() {
    return config.isStoreByValue();
  }

  @Override
  public boolean isStatisticsEnabled() {
    return config.isStatisticsEnabled();
  }

  @Override
  public boolean isManagementEnabled() {
    return config.isManagementEnabled();
  }
}
