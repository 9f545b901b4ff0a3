package io.github.newcache.frameworks.spring;

import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.cache.annotation.EnableCaching;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The application of the Spring module's tests: {@code @EnableCaching}, {@code newcache-spring} on
 * the class path and no {@code spring.cache.type}, so the module's auto-configuration creates the
 * cache managers. Its settings are {@code async-catalog.properties} (instead of the catalog
 * application's {@code application.properties}, which turns the module off to test Boot's own
 * JCache support).
 */
@SpringBootApplication
@EnableCaching
public class AsyncCatalogApplication {

  /** Starts the application with {@code args} (e.g. {@code --spring.cache.jcache.config=file:…}). */
  static ConfigurableApplicationContext start(String... args) {
    return new SpringApplicationBuilder(AsyncCatalogApplication.class)
        .properties("spring.config.name=async-catalog")
        .web(WebApplicationType.NONE)
        .run(args);
  }
}
