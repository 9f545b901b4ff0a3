package io.github.newcache.spring.boot;

import io.github.newcache.spring.NewcacheSpringCacheManager;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Properties;
import javax.cache.Caching;
import org.springframework.beans.BeanUtils;
import org.springframework.beans.factory.BeanFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.cache.CacheManager;
import org.springframework.cache.interceptor.CacheAspectSupport;
import org.springframework.cache.jcache.JCacheCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;
import org.springframework.core.io.ResourceLoader;
import org.springframework.util.ClassUtils;
import org.springframework.util.ReflectionUtils;

/**
 * Spring Boot auto-configuration (Boot 3.5 and 4): Spring's caches on Newcache, with {@code
 * retrieve} for {@code CompletableFuture}, {@code Mono} and {@code Flux} {@code @Cacheable}
 * methods.
 *
 * <p><b>When it applies</b>: caching is enabled ({@code @EnableCaching}), {@code spring.cache.type}
 * is {@code jcache} or not set, {@code newcache.spring.enabled} is not {@code false}, and the
 * application defines no Spring {@link CacheManager} (nor a {@code cacheResolver} bean) of its own.
 * It runs before Boot's own cache auto-configuration, which then finds a cache manager and backs
 * off. {@code newcache.spring.enabled=false} hands caching back to Boot (its JCache support still
 * works with Newcache, without {@code retrieve}).
 *
 * <p><b>What it creates</b>: the {@code javax.cache.CacheManager} (bean {@code jCacheCacheManager},
 * unless the application defines one), opened as Boot opens it, from the resource {@code
 * spring.cache.jcache.config} (Newcache's default URI when unset), with the caches named in
 * {@code spring.cache.cache-names} created unless the file declares them, and Boot's {@code
 * JCachePropertiesCustomizer} and {@code JCacheManagerCustomizer} beans applied as Boot applies
 * them; and the Spring manager
 * (bean {@code cacheManager}, a {@link NewcacheSpringCacheManager}), adjusted by Boot's {@code
 * CacheManagerCustomizer} beans as Boot adjusts its own JCache manager, then by any {@link
 * NewcacheSpringCacheManagerCustomizer} beans. The JCache manager is a bean so that others can
 * share it (Hibernate: {@code hibernate.javax.cache.cache_manager}); it is closed with the context.
 *
 * <p>Only Boot API that is the same in Boot 3.5 and 4 is used: Boot's {@code CacheProperties}
 * moved package between them, so the {@code spring.cache.*} properties are read from the {@link
 * Environment}.
 */
@AutoConfiguration(beforeName = {
    NewcacheCacheAutoConfiguration.BOOT3_CACHE_AUTO_CONFIGURATION,
    NewcacheCacheAutoConfiguration.BOOT4_CACHE_AUTO_CONFIGURATION})
@ConditionalOnClass({CacheManager.class, JCacheCacheManager.class, Caching.class})
@ConditionalOnBean(CacheAspectSupport.class)
@ConditionalOnMissingBean(value = CacheManager.class, name = "cacheResolver")
@ConditionalOnProperty(name = "spring.cache.type", havingValue = "jcache", matchIfMissing = true)
@ConditionalOnProperty(name = NewcacheCacheAutoConfiguration.ENABLED, havingValue = "true", matchIfMissing = true)
public class NewcacheCacheAutoConfiguration {

  /** {@code false} turns this auto-configuration off. */
  public static final String ENABLED = "newcache.spring.enabled";

  static final String BOOT3_CACHE_AUTO_CONFIGURATION =
      "org.springframework.boot.autoconfigure.cache.CacheAutoConfiguration";
  static final String BOOT4_CACHE_AUTO_CONFIGURATION =
      "org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration";

  /** Boot's {@code JCachePropertiesCustomizer}: Boot 4's package, then Boot 3's. */
  static final List<String> PROPERTIES_CUSTOMIZERS = List.of(
      "org.springframework.boot.cache.autoconfigure.JCachePropertiesCustomizer",
      "org.springframework.boot.autoconfigure.cache.JCachePropertiesCustomizer");

  /** Boot's {@code CacheManagerCustomizers} (each named as its element type plus "s"): Boot 4's package, then Boot 3's. */
  static final List<String> CACHE_MANAGER_CUSTOMIZERS = List.of(
      "org.springframework.boot.cache.autoconfigure.CacheManagerCustomizers",
      "org.springframework.boot.autoconfigure.cache.CacheManagerCustomizers");

  /** Boot's {@code JCacheManagerCustomizer}: Boot 4's package, then Boot 3's. */
  static final List<String> MANAGER_CUSTOMIZERS = List.of(
      "org.springframework.boot.cache.autoconfigure.JCacheManagerCustomizer",
      "org.springframework.boot.autoconfigure.cache.JCacheManagerCustomizer");

  /**
   * The JCache manager, opened from {@code spring.cache.jcache.config} as Boot would, with Boot's
   * own customizer beans applied as Boot applies them: every {@code JCachePropertiesCustomizer} to
   * the properties handed to the provider (which override the file: the README's per-environment
   * {@code servers}), and every {@code JCacheManagerCustomizer} to the manager once the caches of
   * {@code spring.cache.cache-names} exist. Boot's cache auto-configuration backs off when this one
   * applies, so without this they were silently ignored. Their interfaces moved package between
   * Boot 3 and 4, so they are found by name.
   */
  @Bean
  @ConditionalOnMissingBean
  javax.cache.CacheManager jCacheCacheManager(
      Environment environment,
      ResourceLoader resourceLoader,
      ObjectProvider<javax.cache.configuration.Configuration<?, ?>> cacheConfiguration,
      BeanFactory beans)
      throws IOException {
    ClassLoader loader = resourceLoader.getClassLoader();
    Properties properties = new Properties();
    customize(beans, loader, PROPERTIES_CUSTOMIZERS, Properties.class, properties);
    javax.cache.CacheManager manager =
        new JCacheManagerFactory(environment, resourceLoader).create(cacheConfiguration::getIfAvailable, properties);
    try {
      customize(beans, loader, MANAGER_CUSTOMIZERS, javax.cache.CacheManager.class, manager);
    } catch (RuntimeException e) {
      manager.close();
      throw e;
    }
    return manager;
  }

  /** Calls {@code customize(argument)} on every bean of the first type of {@code names} present, in order. */
  private static void customize(
      BeanFactory beans, ClassLoader loader, List<String> names, Class<?> argumentType, Object argument) {
    for (String name : names) {
      if (ClassUtils.isPresent(name, loader)) {
        Class<?> type = ClassUtils.resolveClassName(name, loader);
        Method customize = ReflectionUtils.findMethod(type, "customize", argumentType);
        if (customize != null) {
          beans.getBeanProvider(type).orderedStream()
              .forEach(c -> ReflectionUtils.invokeMethod(customize, c, argument));
        }
        return;
      }
    }
  }

  /**
   * Spring's cache manager over it, whose caches implement {@code retrieve}: Boot's {@code
   * CacheManagerCustomizer} beans are applied as Boot applies them to its own JCache manager (a
   * {@code NewcacheSpringCacheManager} is a {@code JCacheCacheManager}), then every {@link
   * NewcacheSpringCacheManagerCustomizer}.
   */
  @Bean
  NewcacheSpringCacheManager cacheManager(
      javax.cache.CacheManager jCacheCacheManager,
      ObjectProvider<NewcacheSpringCacheManagerCustomizer> customizers,
      BeanFactory beans,
      ResourceLoader resourceLoader) {
    NewcacheSpringCacheManager manager = new NewcacheSpringCacheManager(jCacheCacheManager);
    customizeAsBoot(beans, resourceLoader.getClassLoader(), manager);
    customizers.orderedStream().forEach(c -> c.customize(manager));
    return manager;
  }

  /**
   * Applies Boot's {@code CacheManagerCustomizer} beans through Boot's own {@code
   * CacheManagerCustomizers}, which skips a customizer typed for another kind of manager. Boot's
   * cache auto-configuration, which would apply them, backs off when this one applies; their
   * classes moved package between Boot 3 and 4, so they are found by name.
   */
  private static void customizeAsBoot(BeanFactory beans, ClassLoader loader, CacheManager manager) {
    for (String name : CACHE_MANAGER_CUSTOMIZERS) {
      if (ClassUtils.isPresent(name, loader)) {
        Class<?> all = ClassUtils.resolveClassName(name, loader);
        Class<?> one = ClassUtils.resolveClassName(name.substring(0, name.length() - 1), loader);
        List<?> found = beans.getBeanProvider(one).orderedStream().toList();
        Constructor<?> create = ClassUtils.getConstructorIfAvailable(all, List.class);
        Method customize = ReflectionUtils.findMethod(all, "customize", CacheManager.class);
        if (create != null && customize != null) {
          ReflectionUtils.invokeMethod(customize, BeanUtils.instantiateClass(create, found), manager);
        }
        return;
      }
    }
  }
}
