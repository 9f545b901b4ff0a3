package io.github.newcache.spring.boot;

import io.github.newcache.spring.NewcacheSpringCacheManager;

/**
 * Adjusts the Spring cache manager that {@link NewcacheCacheAutoConfiguration} creates, before its
 * caches are loaded: the executor of {@code retrieve}, whether null values are allowed, transaction
 * awareness. Declare one or more as beans; they run in their {@code @Order}.
 *
 * <pre>{@code
 * @Bean
 * NewcacheSpringCacheManagerCustomizer retrieveOnMyExecutor(Executor myExecutor) {
 *   return manager -> manager.setExecutor(myExecutor);
 * }
 * }</pre>
 */
@FunctionalInterface
public interface NewcacheSpringCacheManagerCustomizer {

  /**
   * Adjusts the manager before it loads its caches.
   *
   * @param manager the manager the auto-configuration created
   */
  void customize(NewcacheSpringCacheManager manager);
}
