package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NewcacheCache;
import io.github.newcache.internal.config.ManagerSettings;
import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * With {@code secret} set, every entry carries an HMAC over its memcached key and bytes; planted,
 * altered, moved or foreign-secret entries are misses, counted and never deserialized. Secrets are
 * refused in URIs and never printed.
 */
@ExtendWith(MemcachedExtension.class)
class SignedEntriesTest {

  private static final String SECRET = "s3cret-0123456789-abcdef";
  private static LocalMemcached server;

  @BeforeAll
  static void server(LocalMemcached started) {
    server = started; // started and stopped with the class by MemcachedExtension
  }

  private static CacheManager manager(String secret, boolean binary) {
    return manager(secret, binary, "");
  }

  /** {@code extra} keeps two managers apart: the same URI and loader give the same manager. */
  private static CacheManager manager(String secret, boolean binary, String extra) {
    Properties p = new Properties();
    p.setProperty("secret", secret);
    return Caching.getCachingProvider()
        .getCacheManager(
            URI.create("memcached://" + server.address() + "/?flavor=signed&binary=" + binary + extra),
            SignedEntriesTest.class.getClassLoader(),
            p);
  }

  private static String mkey(String key) {
    return RawItems.memcachedKey("signed", 1, "s", key);
  }

  @Test
  void signedEntriesRoundTripAndForgeriesAreMisses() {
    for (boolean binary : new boolean[] {false, true}) {
      try (CacheManager m = manager(SECRET, binary)) {
        Cache<String, Object> c = m.createCache("s", new MutableConfiguration<String, Object>());
        FailureView failures = new FailureView(c);
        c.put("k", "v");
        assertEquals("v", c.get("k"));
        assertTrue(c.putIfAbsent("k2", "v2"));
        assertTrue(c.replace("k2", "v2", "v3"));
        assertEquals("v3", c.get("k2"));
        byte[] stored = RawItems.get(server.host(), server.port(), mkey("k"));
        assertEquals(RawItems.envelope("s", "k", new byte[] {'S', 'v'}).length + 32, stored.length);

        // planted: a valid envelope without a tag
        int gadgets = Gadget.READS.get();
        RawItems.set(server.host(), server.port(), mkey("planted"), 0,
            RawItems.envelope("s", "planted", RawItems.serializedValue(new Gadget())));
        assertNull(c.get("planted"));
        // altered: one bit of a signed item flipped
        byte[] altered = stored.clone();
        altered[altered.length - 40] ^= 1;
        RawItems.set(server.host(), server.port(), mkey("k"), 0, altered);
        assertNull(c.get("k"));
        // moved: a valid signed item copied under another key
        RawItems.set(server.host(), server.port(), mkey("moved"), 0, stored);
        assertNull(c.get("moved"));
        assertEquals(gadgets, Gadget.READS.get());
        assertTrue(failures.unsigned() >= 3, "counted: " + failures.unsigned());
        c.clear();
      }
    }
  }

  @Test
  void anotherSecretCannotReadOrForge() {
    try (CacheManager a = manager(SECRET, false);
        CacheManager b = manager("another-secret-0123456789", false, "&opTimeout=999")) {
      Cache<String, String> ca = a.createCache("s", new MutableConfiguration<String, String>());
      Cache<String, String> cb = b.createCache("s", new MutableConfiguration<String, String>());
      ca.put("x", "from a");
      assertNull(cb.get("x"));
      assertFalse(cb.containsKey("x"));
      cb.put("y", "from b");
      assertNull(ca.get("y"));
      assertEquals("from a", ca.get("x"));
      ca.clear();
    }
  }

  @Test
  void secretsAreRefusedInUrisAndNeverPrinted() throws IOException {
    for (String setting : new String[] {"secret", "password"}) {
      URI uri = URI.create("memcached://127.0.0.1:1/?binary=true&" + setting + "=" + SECRET);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SettingsParser.parse(uri, getClass().getClassLoader(), null));
      assertTrue(e.getMessage().contains(setting), e.getMessage());
      assertFalse(e.getMessage().contains(SECRET), "the error repeats the secret: " + e.getMessage());
    }
    Path file = Files.createTempFile("newcache-secret", ".properties");
    try {
      Files.writeString(file, "servers=127.0.0.1:1\nbinary=true\nsecret=" + SECRET
          + "\nusername=app\npassword=" + SECRET + "\n", StandardCharsets.UTF_8);
      ManagerSettings s = SettingsParser.parse(file.toUri(), getClass().getClassLoader(), null);
      assertNotNull(s.security().secret());
      assertFalse(s.toString().contains(SECRET), s.toString());
      assertEquals(SECRET, s.security().secret().reveal());
      Files.writeString(file, "servers=127.0.0.1:1\nsecret=short\n", StandardCharsets.UTF_8);
      IllegalArgumentException e =
          assertThrows(IllegalArgumentException.class, () -> SettingsParser.parse(file.toUri(), getClass().getClassLoader(), null));
      assertFalse(e.getMessage().contains("=short"), e.getMessage());
      assertTrue(e.getMessage().contains("too short"), e.getMessage());
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Reads a cache's failure counters. */
  private static final class FailureView {
    private final Cache<?, ?> cache;

    FailureView(Cache<?, ?> cache) {
      this.cache = cache;
    }

    long unsigned() {
      return cache.unwrap(NewcacheCache.class).failureStatistics().getUnsignedEntries();
    }
  }
}
