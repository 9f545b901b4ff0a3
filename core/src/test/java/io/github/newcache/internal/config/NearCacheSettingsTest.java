package io.github.newcache.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The near cache's settings: per cache in a file (names with dots too), manager-wide, and their errors. */
class NearCacheSettingsTest {

  private static final ClassLoader LOADER = NearCacheSettingsTest.class.getClassLoader();

  @TempDir Path dir;

  private ManagerSettings file(String content) throws IOException {
    Path f = dir.resolve("newcache.properties");
    Files.writeString(f, "servers=127.0.0.1:1\n" + content, StandardCharsets.ISO_8859_1);
    return SettingsParser.parse(f.toUri(), LOADER, null);
  }

  @Test
  void aCacheDeclaresItsNearCache() throws IOException {
    ManagerSettings s = file("""
        cache.users.nearCache.maxEntries=10000
        cache.users.nearCache.staleness=250ms
        cache.users.nearCache.maxBytes=16m
        cache.com.example.Author.nearCache.maxEntries=5
        cache.com.example.Author.expiry=created
        cache.com.example.Author.expiryDuration=1h
        cache.plain.statistics=true
        """);
    assertEquals(new NearCacheSettings(10_000, 16L << 20, 250), s.caches().get("users").nearCache());
    NearCacheSettings author = s.caches().get("com.example.Author").nearCache();
    assertEquals(5, author.maxEntries());
    assertEquals(1000, author.stalenessMillis(), "the default δ");
    assertEquals(64L << 20, author.maxBytes(), "the default byte bound");
    assertEquals("created", s.caches().get("com.example.Author").expiry());
    assertNull(s.caches().get("plain").nearCache(), "not declared: the manager's default applies");
    assertEquals(NearCacheSettings.OFF, s.cacheDefaults().nearCache());
  }

  @Test
  void theManagerGivesEveryCacheOne() throws IOException {
    ManagerSettings s = file("nearCache.maxEntries=500\nnearCache.staleness=2s\n");
    assertEquals(new NearCacheSettings(500, 64L << 20, 2000), s.cacheDefaults().nearCache());
    ManagerSettings fromUri =
        SettingsParser.parse(URI.create("memcached://h:1/?nearCache.maxEntries=7&nearCache.maxBytes=512k"), LOADER, null);
    assertEquals(new NearCacheSettings(7, 512 * 1024, 1000), fromUri.cacheDefaults().nearCache());
    Properties overrides = new Properties();
    overrides.setProperty("nearCache.maxEntries", "0");
    ManagerSettings off =
        SettingsParser.parse(URI.create("memcached://h:1/?nearCache.maxEntries=7"), LOADER, overrides);
    assertEquals(NearCacheSettings.OFF, off.cacheDefaults().nearCache());
  }

  @Test
  void aCacheDeclaringOnlySomeSettingsTakesTheOthersFromTheManager() throws IOException {
    ManagerSettings s = file("nearCache.maxEntries=500\nnearCache.maxBytes=1m\ncache.tight.nearCache.staleness=200ms\n"
        + "cache.small.nearCache.maxEntries=10\n");
    assertEquals(new NearCacheSettings(500, 1L << 20, 200), s.caches().get("tight").nearCache());
    assertEquals(new NearCacheSettings(10, 1L << 20, 1000), s.caches().get("small").nearCache());
  }

  @Test
  void settingsThatWouldNeverApplyOrAreOutOfRangeAreRefused() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> file("cache.users.nearCache.staleness=250ms\n"));
    assertTrue(e.getMessage().contains("cache.users.nearCache.staleness cannot apply")
        && e.getMessage().contains("or nearCache.maxEntries for every cache"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> file("nearCache.maxBytes=1m\n"));
    assertTrue(e.getMessage().contains("nearCache.maxBytes cannot apply"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> file("cache.u.nearCache.maxEntries=10\ncache.u.nearCache.maxBytes=1k\n"));
    assertTrue(e.getMessage().contains("cache.u.nearCache.maxBytes=1k must be a number of bytes from 65536"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> file("cache.u.nearCache.maxEntries=10\ncache.u.nearCache.staleness=0\n"));
    assertTrue(e.getMessage().contains("nearCache.staleness=0 is not a positive duration"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class, () -> file("cache.u.nearCache.size=10\n"));
    assertTrue(e.getMessage().contains("'cache.u.nearCache.size' is not cache.<name>.<attribute>"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(URI.create("memcached://h:1/?nearCache.maxEntries=-1"), LOADER, null));
    assertTrue(e.getMessage().contains("nearCache.maxEntries must be a whole number from 0 to 10000000"), e.getMessage());
  }
}
