package io.github.newcache.frameworks.boot;

import java.util.Properties;
import org.springframework.boot.cache.autoconfigure.JCachePropertiesCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * The Spring Boot 4 part of the catalog application, and its only Boot-version-specific code:
 * {@code JCachePropertiesCustomizer} is in {@code org.springframework.boot.cache.autoconfigure}
 * in Boot 4 and in {@code org.springframework.boot.autoconfigure.cache} in Boot 3.
 */
@Configuration(proxyBeanMethods = false)
class NewcacheServersConfiguration {

  /**
   * Lets a deployment point the file's caches at other servers without rebuilding the jar:
   * {@code newcache.servers} (property, argument or {@code NEWCACHE_SERVERS}), when set, overrides
   * {@code servers=} in the properties file, because the provider lets the properties Spring passes
   * override the file.
   */
  @Bean
  JCachePropertiesCustomizer newcacheServersFromEnvironment(Environment environment) {
    return (Properties properties) -> {
      String servers = environment.getProperty("newcache.servers");
      if (servers != null && !servers.isBlank()) {
        properties.setProperty("servers", servers);
      }
    };
  }
}
