package io.github.newcache.frameworks.boot;

import static org.assertj.core.api.Assertions.assertThat;

import io.github.newcache.testkit.LocalMemcached;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The catalog application as a real Spring Boot fat jar ({@code spring-boot-maven-plugin
 * repackage}, classifier {@code exec}), run with {@code java -jar}: Boot's launcher registers its
 * URL handlers, resolves {@code spring.cache.jcache.config=classpath:newcache.properties} to
 * {@code jar:nested:/…/!BOOT-INF/classes/!/newcache.properties} and gives that URI to the provider.
 * The jar's file names {@code 127.0.0.1:11211}; {@code --newcache.servers} points it at this
 * test's memcached through a {@code JCachePropertiesCustomizer}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FatJarIT {

  private LocalMemcached memcached;

  @BeforeAll
  void start() {
    memcached = LocalMemcached.start();
  }

  @AfterAll
  void stop() {
    memcached.close();
  }

  private static Path execJar() throws IOException {
    try (DirectoryStream<Path> jars = Files.newDirectoryStream(Paths.get("target"), "*-exec.jar")) {
      for (Path jar : jars) {
        return jar;
      }
    }
    throw new IllegalStateException("no target/*-exec.jar: run through mvn verify (package repackages it)");
  }

  @Test
  void theFatJarOpensItsNestedPropertiesFileAndCachesInMemcached() throws Exception {
    Path jar = execJar();
    Path log = Files.createTempFile("fatjar", ".log");
    Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
    Process process = new ProcessBuilder(List.of(java.toString(), "-XX:TieredStopAtLevel=1", "-jar", jar.toString(),
            "--selfcheck", "--newcache.servers=" + memcached.address(),
            "--spring.main.web-application-type=none"))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    boolean exited = process.waitFor(90, TimeUnit.SECONDS);
    if (!exited) {
      process.destroyForcibly();
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    Files.deleteIfExists(log);
    System.out.println(output.lines().filter(l -> l.startsWith("SELFCHECK")).reduce("", (a, b) -> a + b + "\n"));
    assertThat(exited).as("fat jar exited within 90 s; output:%n%s", output).isTrue();
    assertThat(process.exitValue()).as("exit code; output:%n%s", output).isZero();
    assertThat(output)
        .contains("SELFCHECK managerUri=jar:nested:" + jar.toAbsolutePath().toUri().getRawPath()
            + "/!BOOT-INF/classes/!/newcache.properties")
        .contains("SELFCHECK provider=io.github.newcache.NewcacheCachingProvider")
        .contains("SELFCHECK done failures=0");

    // What the fat jar cached is in memcached, under the file's flavor, for any other client.
    CacheManager manager = Caching.getCachingProvider("io.github.newcache.NewcacheCachingProvider")
        .getCacheManager(URI.create("memcached://" + memcached.address() + "/?flavor=catalog&deserializationAllow=io.github.newcache.frameworks.boot.*"),
            getClass().getClassLoader());
    try {
      Cache<Object, Object> books = manager.createCache("books", new MutableConfiguration<>());
      assertThat(books.get(1L)).isEqualTo(new Book(1, "Book 1", 1));
    } finally {
      manager.close();
    }
  }
}
