package io.github.newcache.frameworks.boot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assumptions.assumeThat;

import io.github.newcache.testkit.LocalMemcached;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.spi.CachingProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.loader.net.protocol.Handlers;

/**
 * The URI Spring Boot hands the provider when the application runs from a fat jar:
 * {@code jar:nested:/…/app.jar/!BOOT-INF/classes/!/newcache.properties}. This builds such a jar
 * and calls the provider with that URI, first with the JDK's own URL handlers, then after
 * registering Boot's launcher handlers as {@code JarLauncher} does. (The real launcher is
 * exercised end to end by {@code FatJarIT}.)
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NestedJarUriTest {

  private static final String PROVIDER = "io.github.newcache.NewcacheCachingProvider";

  private Path dir;

  private LocalMemcached memcached;
  private Path jar;
  private CachingProvider provider;

  @BeforeAll
  void start(@TempDir Path tempDir) throws IOException {
    dir = tempDir;
    memcached = LocalMemcached.start();
    jar = dir.resolve("app.jar");
    String properties = "servers=" + memcached.address() + "\nflavor=nested\n"
        + "cache.greetings.keyType=java.lang.String\ncache.greetings.valueType=java.lang.String\n";
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream zip = new JarOutputStream(out, manifest)) {
      for (String d : new String[] {"BOOT-INF/", "BOOT-INF/classes/"}) {
        zip.putNextEntry(new JarEntry(d));
        zip.closeEntry();
      }
      zip.putNextEntry(new JarEntry("BOOT-INF/classes/newcache.properties"));
      zip.write(properties.getBytes(StandardCharsets.ISO_8859_1));
      zip.closeEntry();
      zip.putNextEntry(new JarEntry("newcache.properties"));
      zip.write(properties.replace("flavor=nested", "flavor=plainjar").getBytes(StandardCharsets.ISO_8859_1));
      zip.closeEntry();
    }
    provider = Caching.getCachingProvider(PROVIDER);
  }

  @AfterAll
  void stop() {
    try {
      provider.close(getClass().getClassLoader());
    } finally {
      memcached.close();
    }
  }

  /** The shape Boot produces: the jar's path, {@code /!BOOT-INF/classes/!/}, the resource. */
  private URI nestedUri() {
    return URI.create("jar:nested:" + jar.toUri().getRawPath() + "/!BOOT-INF/classes/!/newcache.properties");
  }

  @Test
  @Order(1)
  void aPlainJarUriWorksWithTheJdkHandler() {
    URI uri = URI.create("jar:" + jar.toUri() + "!/newcache.properties");
    CacheManager manager = provider.getCacheManager(uri, getClass().getClassLoader());
    try {
      Cache<String, String> cache = manager.getCache("greetings", String.class, String.class);
      cache.put("hello", "world");
      assertThat(cache.get("hello")).isEqualTo("world");
    } finally {
      manager.close();
    }
  }

  /**
   * Outside Boot's launcher nothing handles {@code nested:}: {@code URI.toURL()} fails inside the
   * JDK's jar handler with "unknown protocol: nested", and the provider reports it as an
   * IllegalArgumentException that names the URI. Only Boot's launcher produces such URIs, and it
   * registers the handler before the application starts.
   */
  @Test
  @Order(2)
  void withoutBootsHandlerTheNestedUriIsRefusedWithAnErrorNamingIt() {
    assumeThat(System.getProperty("java.protocol.handler.pkgs", ""))
        .as("Boot's handlers are not registered yet in this JVM")
        .doesNotContain("org.springframework.boot.loader");
    URI uri = nestedUri();
    assertThatThrownBy(() -> provider.getCacheManager(uri, getClass().getClassLoader()))
        .satisfies(e -> System.out.println("[jar:nested without Boot's handler] " + e))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(uri.toString())
        .hasMessageContaining("nested");
  }

  @Test
  @Order(3)
  void withBootsHandlerRegisteredTheNestedUriOpensTheFile() {
    Handlers.register();
    URI uri = nestedUri();
    CacheManager manager = provider.getCacheManager(uri, getClass().getClassLoader());
    try {
      assertThat(manager.getURI()).isEqualTo(uri);
      Cache<String, String> cache = manager.getCache("greetings", String.class, String.class);
      cache.put("hello", "nested");
      assertThat(cache.get("hello")).isEqualTo("nested");
    } finally {
      manager.close();
    }
  }
}
