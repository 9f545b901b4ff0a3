package io.github.newcache.frameworks.boot;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * A Spring Boot application that caches through Newcache. It is configured only with
 * {@code spring.cache.*} properties (see {@code application.properties}); the cache manager's
 * settings come from the properties file named by {@code spring.cache.jcache.config}.
 *
 * <p>The same source runs under Spring Boot 4 ({@code frameworks/}) and Spring Boot 3
 * ({@code frameworks/boot3/}); the one Boot-version-specific class is {@code
 * NewcacheServersConfiguration} ({@code src/boot4/java} and {@code boot3/src/main/java}), whose
 * {@code JCachePropertiesCustomizer} lives in a different package in each.
 *
 * <p>Run as a fat jar with {@code --selfcheck}, it exercises the caches once, prints one {@code
 * SELFCHECK} line per finding and exits with 0 when every check passed.
 */
@SpringBootApplication
@EnableCaching
public class CatalogApplication {

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
