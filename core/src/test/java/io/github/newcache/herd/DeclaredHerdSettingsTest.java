package io.github.newcache.herd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.TestManagers;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.cache.CacheManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The herd settings of a cache declared in a properties file. */
@ExtendWith(MemcachedExtension.class)
class DeclaredHerdSettingsTest {

  @Test
  void declaredAttributesReachTheCache(TestManagers managers, @TempDir Path dir) throws Exception {
    Path file = dir.resolve("herd.properties");
    Files.writeString(file, String.join("\n",
        "servers=" + managers.server().address(),
        "flavor=" + managers.flavor(),
        "cache.prices.expiry=created",
        "cache.prices.expiryDuration=1m",
        "cache.prices.leaseTimeout=2500ms",
        "cache.plain.singleFlight=false"));
    CacheManager m = managers.open(file.toUri());
    @SuppressWarnings("unchecked")
    NewcacheConfiguration<Object, Object> prices =
        m.getCache("prices").getConfiguration(NewcacheConfiguration.class);
    assertEquals(2_500, prices.getLeaseTimeoutMillis());
    assertTrue(prices.isSingleFlight(), "single flight is on by default");
    @SuppressWarnings("unchecked")
    NewcacheConfiguration<Object, Object> plain =
        m.getCache("plain").getConfiguration(NewcacheConfiguration.class);
    assertFalse(plain.isSingleFlight());
    assertEquals(0, plain.getStaleWhileRevalidateMillis(), "stale-while-revalidate is off by default");
  }

  @Test
  void aBadLeaseIsRefusedWithItsName(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("bad.properties");
    Files.writeString(file, "servers=127.0.0.1:1\ncache.prices.leaseTimeout=soon\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(file.toUri(), getClass().getClassLoader(), null));
    assertTrue(e.getMessage().contains("cache.prices.leaseTimeout=soon"), e.getMessage());
  }

  @Test
  void aDeclaredStaleWindowIsRefusedBecauseItCouldNeverApply(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("swr.properties");
    Files.writeString(file, "servers=127.0.0.1:1\ncache.prices.staleWhileRevalidate=30s\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(file.toUri(), getClass().getClassLoader(), null));
    assertTrue(e.getMessage().contains("cache.prices.staleWhileRevalidate"), e.getMessage());
    assertTrue(e.getMessage().contains("CacheLoader"), "says why: " + e.getMessage());
  }

  @Test
  void durationsAreBoundedSoNothingOverflows(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("huge.properties");
    Files.writeString(file, "servers=127.0.0.1:1\ncache.p.expiry=created\ncache.p.expiryDuration=999999999999999d\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(file.toUri(), getClass().getClassLoader(), null));
    assertTrue(e.getMessage().contains("at most 36500 days"), e.getMessage());
    assertThrows(IllegalArgumentException.class,
        () -> new NewcacheConfiguration<>().setStaleWhileRevalidateMillis(Long.MAX_VALUE - 1));
    assertThrows(IllegalArgumentException.class,
        () -> new NewcacheConfiguration<>().setLeaseTimeoutMillis(Long.MAX_VALUE));
  }

  @Test
  void aStaleWindowWithoutReadThroughIsRefusedAtCreation(TestManagers managers) {
    NewcacheConfiguration<String, String> c = new NewcacheConfiguration<>();
    c.setStaleWhileRevalidateMillis(30_000);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> managers.open(io.github.newcache.testkit.Protocol.BINARY).createCache("no-loader", c));
    assertTrue(e.getMessage().contains("read-through"), e.getMessage());
  }
}
