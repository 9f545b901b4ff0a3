package io.github.newcache.key;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.internal.key.Hashing;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A manager remembers the memcached keys of keys used lately (shared by its caches): what it
 * remembers never sends a key to another cache's, type's or flavor's entry, and a custom key
 * function is asked every time. ({@code ValuesTest} checks that {@code 1}, {@code 1L} and {@code
 * "1"} stay apart: its gets find the slots its puts kept.)
 */
@ExtendWith(MemcachedExtension.class)
class RecentKeysTest {

  /** Counts its calls; otherwise the default key function. */
  public static class CountingKeyMangler implements KeyMangler {
    static final AtomicInteger CALLS = new AtomicInteger();
    private final Md5KeyMangler md5 = new Md5KeyMangler();

    @Override
    public String mangle(KeySpace space, byte[] keyBytes) {
      CALLS.incrementAndGet();
      return md5.mangle(space, keyBytes);
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void twoCachesReusingTheSameKeysManyTimesOverEachReadTheirOwn(Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p, "flavor=staging&version=2");
    MutableConfiguration<String, String> strings = new MutableConfiguration<String, String>().setTypes(String.class, String.class);
    Cache<String, String> games = m.createCache("games", strings);
    Cache<String, String> players = m.createCache("players", strings);
    int keys = 10_000; // more than the manager remembers, so remembered keys are replaced meanwhile
    for (int round = 0; round < 2; round++) {
      for (int i = 0; i < keys; i += 7) {
        games.put("k" + i, "game " + i);
        players.put("k" + i, "player " + i);
      }
    }
    for (int i = 0; i < keys; i += 7) {
      assertEquals("game " + i, games.get("k" + i));
      assertEquals("player " + i, players.get(new String("k" + i)));
    }
    byte[] stored = raw.get("staging-2-games-" + Hashing.md5Hex("k0"));
    assertNotNull(stored, "games' k0 is under its django-newcache key");
    byte[] value = "game 0".getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(value, java.util.Arrays.copyOfRange(stored, stored.length - value.length, stored.length));
  }

  @Test
  void aCustomKeyFunctionIsAskedForEveryCall(TestManagers managers) {
    CacheManager m = managers.open(Protocol.TEXT, "");
    Cache<String, String> c = m.createCache("counted",
        new NewcacheConfiguration<String, String>().setKeyMangler(new CountingKeyMangler()).setTypes(String.class, String.class));
    int before = CountingKeyMangler.CALLS.get();
    c.put("k", "v");
    c.get("k");
    c.get("k");
    assertEquals(3, CountingKeyMangler.CALLS.get() - before);
  }
}
