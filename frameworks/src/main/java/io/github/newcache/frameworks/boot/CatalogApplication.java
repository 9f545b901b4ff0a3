package io.github.newcache.frameworks.boot;

import java.util.Properties;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.cache.autoconfigure.JCachePropertiesCustomizer;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * A Spring Boot application that caches through Newcache. It is configured only with
 * {@code spring.cache.*} properties (see {@code application.properties}); the cache manager's
 * settings come from the properties file named by {@code spring.cache.jcache.config}.
 *
 * <p>Run as a fat jar with {@code --selfcheck}, it exercises the caches once, prints one {@code
 * SELFCHECK} line per finding and exits with 0 when every check passed.
 */
@SpringBootApplication
@EnableCaching
public class CatalogApplication {

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

  public static void main(String[] args) {
    boolean selfCheck = java.util.Arrays.asList(args).contains("--selfcheck");
    ConfigurableApplicationContext context = SpringApplication.run(CatalogApplication.class, args);
    if (selfCheck) {
      int failures;
      try (context) {
        failures = SelfCheck.run(context);
      }
      System.exit(failures == 0 ? 0 : 1);
    }
  }
}
