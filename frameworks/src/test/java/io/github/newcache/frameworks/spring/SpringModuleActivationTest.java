package io.github.newcache.frameworks.spring;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.newcache.NewcacheCacheManager;
import io.github.newcache.frameworks.support.NewcacheFiles;
import io.github.newcache.spring.NewcacheSpringCacheManager;
import io.github.newcache.spring.boot.NewcacheCacheAutoConfiguration;
import io.github.newcache.spring.boot.NewcacheSpringCacheManagerCustomizer;
import io.github.newcache.testkit.LocalMemcached;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.expiry.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.cache.CacheManager;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.cache.concurrent.ConcurrentMapCacheManager;
import org.springframework.cache.jcache.JCacheCacheManager;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * When the module's auto-configuration takes over, and when it leaves caching to Spring Boot, under
 * the Boot version of the build. Boot's own cache auto-configuration is in the runner too (its
 * class is {@code org.springframework.boot.cache.autoconfigure.CacheAutoConfiguration} in Boot 4
 * and {@code org.springframework.boot.autoconfigure.cache.CacheAutoConfiguration} in Boot 3), so
 * each case shows which of the two configured the caches.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SpringModuleActivationTest {

  private LocalMemcached memcached;
  private Path config;
  private Path declaring;
  private Path deadServers;
  private ApplicationContextRunner runner;

  @BeforeAll
  void start(@TempDir Path dir) throws Exception {
    memcached = LocalMemcached.start();
    config = NewcacheFiles.write(dir, "activation.properties", memcached, "flavor=activation");
    declaring = NewcacheFiles.write(dir, "declaring.properties", memcached, "flavor=activation",
        "cache.books.expiry=created", "cache.books.expiryDuration=10m");
    deadServers = dir.resolve("dead.properties");
    java.nio.file.Files.writeString(deadServers, "servers=127.0.0.1:1\nflavor=activation\nopTimeout=500\n");
    runner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NewcacheCacheAutoConfiguration.class, bootCacheAutoConfiguration()))
        .withUserConfiguration(CachingOn.class)
        .withPropertyValues("spring.cache.jcache.config=file:" + config, "spring.cache.cache-names=books");
  }

  @AfterAll
  void stop() {
    memcached.close();
  }

  private static Class<?> bootCacheAutoConfiguration() throws ClassNotFoundException {
    return bootCacheClass("CacheAutoConfiguration");
  }

  /** A class of Boot's cache auto-configuration, by simple name: Boot 4's package, then Boot 3's. */
  private static Class<?> bootCacheClass(String simpleName) throws ClassNotFoundException {
    ClassLoader loader = SpringModuleActivationTest.class.getClassLoader();
    try {
      return Class.forName("org.springframework.boot.cache.autoconfigure." + simpleName, false, loader);
    } catch (ClassNotFoundException boot3) {
      return Class.forName("org.springframework.boot.autoconfigure.cache." + simpleName, false, loader);
    }
  }

  /**
   * The runner with a bean of Boot's own {@code CacheManagerCustomizer} (a proxy: its interface's
   * package depends on the Boot version) that turns null values off.
   */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private ApplicationContextRunner withBootCustomizer() throws ClassNotFoundException {
    Class type = bootCacheClass("CacheManagerCustomizer");
    Object customizer = Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type}, (proxy, method, args) ->
        switch (method.getName()) {
          case "customize" -> {
            ((JCacheCacheManager) args[0]).setAllowNullValues(false);
            yield null;
          }
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> "Boot CacheManagerCustomizer turning null values off";
        });
    return runner.withBean("noNullValuesAsBoot", type, () -> customizer);
  }

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class CachingOn {}

  @Configuration(proxyBeanMethods = false)
  @EnableCaching
  static class OwnCacheManager {
    @Bean
    CacheManager myCacheManager() {
      return new ConcurrentMapCacheManager("books");
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class NoNullValues {
    @Bean
    NewcacheSpringCacheManagerCustomizer noNullValues() {
      return manager -> manager.setAllowNullValues(false);
    }
  }

  @Configuration(proxyBeanMethods = false)
  static class StatisticsOn {
    @Bean
    javax.cache.configuration.Configuration<Object, Object> cacheConfiguration() {
      return new MutableConfiguration<>().setStatisticsEnabled(true);
    }
  }

  @Test
  void withoutSpringCacheTypeTheModuleTakesOver() {
    runner.run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).getBean(CacheManager.class).isInstanceOf(NewcacheSpringCacheManager.class);
      assertThat(context).getBean(javax.cache.CacheManager.class).isInstanceOf(NewcacheCacheManager.class);
      assertThat(context.getBean(javax.cache.CacheManager.class).getURI()).isEqualTo(config.toUri());
      assertThat(context.getBean(CacheManager.class).getCacheNames()).containsExactly("books");
    });
  }

  @Test
  void theJCacheManagerClosesWithTheContext() {
    javax.cache.CacheManager[] manager = new javax.cache.CacheManager[1];
    runner.run(context -> {
      manager[0] = context.getBean(javax.cache.CacheManager.class);
      assertThat(manager[0].isClosed()).isFalse();
    });
    assertThat(manager[0].isClosed()).isTrue();
  }

  /** The application's {@code javax.cache} configuration bean is used for the caches it names, as in Boot. */
  @Test
  void cacheNamesAreCreatedWithTheApplicationsJCacheConfiguration() {
    runner.withUserConfiguration(StatisticsOn.class).run(context -> {
      Cache<Object, Object> books = context.getBean(javax.cache.CacheManager.class).getCache("books");
      @SuppressWarnings("unchecked")
      CompleteConfiguration<Object, Object> c = books.getConfiguration(CompleteConfiguration.class);
      assertThat(c.isStatisticsEnabled()).isTrue();
    });
  }

  @Test
  void withSpringCacheTypeJcacheTheModuleTakesOver() {
    runner.withPropertyValues("spring.cache.type=jcache").run(context ->
        assertThat(context).getBean(CacheManager.class).isInstanceOf(NewcacheSpringCacheManager.class));
  }

  @Test
  void newcacheSpringEnabledFalseLeavesJCacheToSpringBoot() {
    runner.withPropertyValues("spring.cache.type=jcache", "newcache.spring.enabled=false").run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context).getBean(CacheManager.class).isExactlyInstanceOf(JCacheCacheManager.class);
      assertThat(context).getBean(javax.cache.CacheManager.class).isInstanceOf(NewcacheCacheManager.class);
    });
  }

  @Test
  void anotherSpringCacheTypeLeavesCachingToSpringBoot() {
    runner.withPropertyValues("spring.cache.type=simple").run(context -> {
      assertThat(context).getBean(CacheManager.class).isExactlyInstanceOf(ConcurrentMapCacheManager.class);
      assertThat(context).doesNotHaveBean(javax.cache.CacheManager.class);
    });
  }

  @Test
  void theApplicationsOwnCacheManagerWins() {
    runner.withUserConfiguration(OwnCacheManager.class).run(context -> {
      assertThat(context).hasSingleBean(CacheManager.class);
      assertThat(context).getBean(CacheManager.class).isExactlyInstanceOf(ConcurrentMapCacheManager.class);
      assertThat(context).doesNotHaveBean(javax.cache.CacheManager.class);
    });
  }

  @Test
  void withoutEnableCachingNothingIsConfigured() {
    new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(NewcacheCacheAutoConfiguration.class))
        .withPropertyValues("spring.cache.jcache.config=file:" + config)
        .run(context -> {
          assertThat(context).doesNotHaveBean(CacheManager.class);
          assertThat(context).doesNotHaveBean(javax.cache.CacheManager.class);
        });
  }

  /**
   * A name in {@code spring.cache.cache-names} that the properties file declares is used as
   * declared (here with its expiry); Boot's own JCache support fails at startup instead.
   */
  @Test
  void aCacheDeclaredInTheFileAndInCacheNamesKeepsTheFilesSettings() {
    runner.withPropertyValues("spring.cache.jcache.config=file:" + declaring, "spring.cache.cache-names=books,searches")
        .run(context -> {
          assertThat(context).hasNotFailed();
          javax.cache.CacheManager jcache = context.getBean(javax.cache.CacheManager.class);
          assertThat(jcache.getCacheNames()).containsExactlyInAnyOrder("books", "searches");
          Cache<Object, Object> books = jcache.getCache("books");
          @SuppressWarnings("unchecked")
          CompleteConfiguration<Object, Object> c = books.getConfiguration(CompleteConfiguration.class);
          assertThat(c.getExpiryPolicyFactory().create().getExpiryForCreation())
              .isEqualTo(new Duration(TimeUnit.MINUTES, 10));
        });
  }

  @Test
  void aConfigResourceThatDoesNotExistFailsStartupNamingIt() {
    runner.withPropertyValues("spring.cache.jcache.config=classpath:no-such-newcache.properties").run(context ->
        assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("spring.cache.jcache.config=classpath:no-such-newcache.properties")
            .hasMessageContaining("names no existing resource"));
  }

  @Test
  void anotherJCacheProviderNamedFailsStartupSayingWhatToDo() {
    runner.withPropertyValues("spring.cache.jcache.provider=org.example.OtherProvider").run(context ->
        assertThat(context).hasFailed().getFailure().rootCause()
            .hasMessageContaining("org.example.OtherProvider")
            .hasMessageContaining("newcache.spring.enabled=false"));
  }

  @Test
  void customizersAdjustTheManager() {
    runner.withUserConfiguration(NoNullValues.class).run(context ->
        assertThat(context.getBean(NewcacheSpringCacheManager.class).isAllowNullValues()).isFalse());
  }

  /**
   * Boot's {@code CacheManagerCustomizer} beans adjust the module's manager as they adjust Boot's
   * JCache manager. Boot's cache auto-configuration, which applies them, backs off when the module
   * takes over: before, they were silently dropped.
   */
  @Test
  void bootsCacheManagerCustomizersAdjustTheManagerAsUnderBoot() throws Exception {
    withBootCustomizer().run(context -> {
      assertThat(context).getBean(CacheManager.class).isInstanceOf(NewcacheSpringCacheManager.class);
      assertThat(context.getBean(JCacheCacheManager.class).isAllowNullValues()).isFalse();
    });
    withBootCustomizer().withPropertyValues("newcache.spring.enabled=false").run(context -> {
      assertThat(context).getBean(CacheManager.class).isExactlyInstanceOf(JCacheCacheManager.class);
      assertThat(context.getBean(JCacheCacheManager.class).isAllowNullValues()).isFalse();
    });
  }

  /**
   * Boot's JCachePropertiesCustomizer beans reach the provider, as under Boot's own JCache support:
   * the README's per-environment servers override the file's. Before, this auto-configuration
   * ignored them and the manager connected to the file's servers.
   */
  @Test
  void bootsJCachePropertiesCustomizersSetTheServers() throws ClassNotFoundException {
    Class<?> servers = Class.forName("io.github.newcache.frameworks.boot.NewcacheServersConfiguration");
    runner.withUserConfiguration(servers)
        .withPropertyValues("spring.cache.jcache.config=file:" + deadServers, "newcache.servers=" + memcached.address())
        .run(context -> {
          assertThat(context).hasNotFailed();
          javax.cache.CacheManager jcache = context.getBean(javax.cache.CacheManager.class);
          assertThat(jcache.getProperties().getProperty("servers")).isEqualTo(memcached.address());
          Cache<Object, Object> books = jcache.getCache("books");
          books.put("k", "v");
          assertThat(books.get("k")).isEqualTo("v");
        });
  }

  /** Boot's JCacheManagerCustomizer beans are applied to the manager, once the cache names exist. */
  @Test
  @SuppressWarnings("unchecked") // the bean's type is Boot's interface, found by name
  void bootsJCacheManagerCustomizersAdjustTheManager() throws ClassNotFoundException {
    ClassLoader loader = getClass().getClassLoader();
    Class<Object> type;
    try {
      type = (Class<Object>) Class.forName("org.springframework.boot.cache.autoconfigure.JCacheManagerCustomizer", false, loader);
    } catch (ClassNotFoundException boot3) {
      type = (Class<Object>) Class.forName("org.springframework.boot.autoconfigure.cache.JCacheManagerCustomizer", false, loader);
    }
    Object customizer = java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {type}, (proxy, method, args) ->
        switch (method.getName()) {
          case "customize" -> {
            javax.cache.CacheManager m = (javax.cache.CacheManager) args[0];
            assertThat(m.getCache("books")).as("the cache names exist first").isNotNull();
            m.createCache("extra", new MutableConfiguration<>());
            yield null;
          }
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> "extra cache customizer";
        });
    runner.withBean("extraCache", type, () -> customizer).run(context -> {
      assertThat(context).hasNotFailed();
      assertThat(context.getBean(javax.cache.CacheManager.class).getCache("extra")).isNotNull();
    });
  }
}
