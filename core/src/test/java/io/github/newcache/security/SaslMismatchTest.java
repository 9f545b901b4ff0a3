package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import java.net.URI;
import java.util.Properties;
import javax.cache.CacheException;
import javax.cache.Caching;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Credentials for a memcached started without SASL ({@code -S}): the manager fails at start with
 * an error saying the server does not do SASL. Before, it started, and every write waited the
 * whole opTimeout and then reported "did not store the item".
 */
@ExtendWith(MemcachedExtension.class)
class SaslMismatchTest {

  @Test
  void credentialsForAServerWithoutSaslFailTheStartClearly(LocalMemcached server) {
    Properties p = new Properties();
    p.setProperty("username", "app");
    p.setProperty("password", "secret-password");
    long start = System.nanoTime();
    CacheException e = assertThrows(CacheException.class, () -> Caching.getCachingProvider().getCacheManager(
        URI.create("memcached://" + server.address() + "/?binary=true&opTimeout=5000"), getClass().getClassLoader(), p));
    long millis = (System.nanoTime() - start) / 1_000_000;
    System.out.println("credentials for a server without SASL: " + millis + " ms: " + e.getMessage());
    assertTrue(millis < 2000, "reported after " + millis + " ms");
    assertTrue(e.getMessage().contains(server.address()) && e.getMessage().contains("does not do SASL")
        && e.getMessage().contains("-S"), e.getMessage());
    assertFalse(e.getMessage().contains("secret-password"), e.getMessage());
  }
}
