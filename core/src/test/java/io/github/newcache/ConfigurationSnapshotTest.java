package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.Serializable;
import java.util.Map;
import javax.cache.Cache;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.integration.CacheLoader;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** getConfiguration returns a read-only snapshot: changing it throws and never reaches the cache. */
@ExtendWith(MemcachedExtension.class)
class ConfigurationSnapshotTest {

  public static final class Echo implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      return "loaded:" + key;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }
  }

  public static final class Quiet implements CacheEntryCreatedListener<String, String>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void theReturnedConfigurationCannotChangeTheCache(Protocol p, TestManagers managers) {
    Cache<String, String> c =
        managers.open(p).createCache("snapshot", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class)
            .setReadThrough(true)
            .setCacheLoaderFactory(FactoryBuilder.factoryOf(Echo.class)));
    @SuppressWarnings("unchecked")
    CompleteConfiguration<String, String> seen = c.getConfiguration(CompleteConfiguration.class);
    MutableConfiguration<String, String> asMutable = c.getConfiguration(MutableConfiguration.class);
    assertThrows(UnsupportedOperationException.class, () -> asMutable.setReadThrough(false));
    assertThrows(UnsupportedOperationException.class, () -> asMutable.setStatisticsEnabled(true));
    assertTrue(seen.isReadThrough());
    assertEquals("loaded:k", c.get("k"), "the cache still reads through");

    MutableCacheEntryListenerConfiguration<String, String> listener =
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(Quiet.class), null, false, true);
    c.registerCacheEntryListener(listener);
    assertFalse(seen.getCacheEntryListenerConfigurations().iterator().hasNext(), "an earlier snapshot stays as it was");
    assertTrue(c.getConfiguration(CompleteConfiguration.class).getCacheEntryListenerConfigurations().iterator().hasNext(),
        "a new snapshot shows the listener");
  }
}
