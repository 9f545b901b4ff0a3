package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NewcacheCache;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.Properties;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * During a signing rollout some clients have the secret and some do not: each kind reads the
 * other's items as foreign (a counted miss), never as a wrong value.
 */
@ExtendWith(MemcachedExtension.class)
class SignedFormatTest {

  private static Cache<String, String> cache(TestManagers managers, Protocol p, String secret, String extra) {
    Properties props = new Properties();
    if (secret != null) {
      props.setProperty("secret", secret);
    }
    CacheManager m = managers.open(managers.uri(p, extra), SignedFormatTest.class.getClassLoader(), props);
    return m.createCache("rollout", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aClientWithoutTheSecretNeverReadsASignedEntry(Protocol p, TestManagers managers) {
    Cache<String, String> signed = cache(managers, p, "rollout-secret-0123456789", "opTimeout=3001");
    Cache<String, String> plain = cache(managers, p, null, "opTimeout=3002");
    signed.put("k", "hello");
    assertEquals("hello", signed.get("k"));
    assertNull(plain.get("k"), "the signed item is foreign to a client without the secret");
    assertTrue(plain.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries() >= 1, "and counted");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aClientWithTheSecretNeverReadsAnUnsignedEntry(Protocol p, TestManagers managers) {
    Cache<String, String> signed = cache(managers, p, "rollout-secret-0123456789", "opTimeout=3003");
    Cache<String, String> plain = cache(managers, p, null, "opTimeout=3004");
    plain.put("k", "hello");
    assertEquals("hello", plain.get("k"));
    assertNull(signed.get("k"), "the unsigned item is foreign to a client with the secret");
    assertTrue(signed.unwrap(NewcacheCache.class).failureStatistics().getUnsignedEntries() >= 1, "and counted");
  }
}
