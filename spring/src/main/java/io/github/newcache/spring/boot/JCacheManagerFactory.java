package io.github.newcache.spring.boot;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Properties;
import java.util.function.Supplier;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.Configuration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.spi.CachingProvider;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.core.io.Resource;
import org.springframework.core.io.ResourceLoader;

/**
 * Opens the Newcache {@link CacheManager} from Boot's {@code spring.cache.*} properties, the way
 * Boot's JCache support does: {@code spring.cache.jcache.config} is a Spring resource that must
 * exist, and the provider is handed its URI ({@code file:…}, or {@code jar:nested:…} in a fat jar),
 * the application's class loader and properties; then the caches of {@code
 * spring.cache.cache-names} are created with the application's {@code javax.cache} {@link
 * Configuration} bean, or a {@link MutableConfiguration} ({@code Object} types).
 */
final class JCacheManagerFactory {

  static final String PROVIDER = "io.github.newcache.NewcacheCachingProvider";

  static final String CONFIG = "spring.cache.jcache.config";
  static final String CACHE_NAMES = "spring.cache.cache-names";
  static final String JCACHE_PROVIDER = "spring.cache.jcache.provider";

  private final Environment environment;
  private final ResourceLoader resourceLoader;

  JCacheManagerFactory(Environment environment, ResourceLoader resourceLoader) {
    this.environment = environment;
    this.resourceLoader = resourceLoader;
  }

  /**
   * The manager with the caches of {@code spring.cache.cache-names}.
   *
   * @param configuration the application's cache configuration, or null for Boot's default
   * @param properties what Boot's {@code JCachePropertiesCustomizer} beans set, handed to the provider
   */
  CacheManager create(Supplier<Configuration<?, ?>> configuration, Properties properties) throws IOException {
    checkProvider();
    ClassLoader classLoader = resourceLoader.getClassLoader();
    CachingProvider provider = Caching.getCachingProvider(PROVIDER, classLoader);
    CacheManager manager = provider.getCacheManager(configUri(), classLoader, properties);
    try {
      for (String name : cacheNames()) {
        // A cache the properties file declares is used as declared (with its expiry and types);
        // Boot's own JCache support would fail here, as JSR-107 forbids creating it twice.
        if (manager.getCache(name) == null) {
          Configuration<?, ?> c = configuration.get();
          createCache(manager, name, c != null ? c : new MutableConfiguration<>());
        }
      }
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    return manager;
  }

  private static <K, V> void createCache(CacheManager manager, String name, Configuration<K, V> configuration) {
    manager.createCache(name, configuration);
  }

  /** {@code spring.cache.jcache.provider} may only name Newcache's provider, or be unset. */
  private void checkProvider() {
    String named = environment.getProperty(JCACHE_PROVIDER);
    if (named != null && !named.isBlank() && !named.trim().equals(PROVIDER)) {
      throw new IllegalStateException(JCACHE_PROVIDER + " is " + named.trim()
          + ", but newcache-spring creates Newcache's caches (" + PROVIDER + "): remove the property,"
          + " or set " + NewcacheCacheAutoConfiguration.ENABLED + "=false to let Spring Boot use that provider");
    }
  }

  /** The URI of {@code spring.cache.jcache.config}, or null (the provider's default URI). */
  private URI configUri() throws IOException {
    String location = environment.getProperty(CONFIG);
    if (location == null || location.isBlank()) {
      return null;
    }
    Resource resource = resourceLoader.getResource(location.trim());
    if (!resource.exists()) {
      throw new IllegalStateException(CONFIG + "=" + location.trim() + " names no existing resource ("
          + resource.getDescription() + "): give a Newcache properties file, e.g. classpath:newcache.properties");
    }
    return resource.getURI();
  }

  /** {@code spring.cache.cache-names}: a comma-separated list or indexed entries, as Boot binds it. */
  private List<String> cacheNames() {
    return Binder.get(environment)
        .bind(CACHE_NAMES, Bindable.listOf(String.class))
        .orElse(List.of())
        .stream()
        .map(String::trim)
        .filter(n -> !n.isEmpty())
        .toList();
  }
}
