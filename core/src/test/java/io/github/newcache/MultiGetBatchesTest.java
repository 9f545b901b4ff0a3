package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.key.ReadableKeyMangler;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A multi-get goes out as one batch of gets per server (at most 512 keys a batch, so a longer one as
 * several), whose answers name only the keys found: over two real servers, every hit comes back
 * with its own value and no miss comes back, whole ({@code String}) or read in parts ({@code
 * byte[]}), in both protocols; and the keys of a server that is down are placed by the failure mode
 * as single gets are: failed at once ({@code cancel}), or moved to the live server ({@code
 * redistribute}), where before some of them waited for the dead one until the multi-get timed out
 * (spymemcached's ketama failover sequence alone can miss the live server; {@code KetamaRingTest}).
 * All of it for the blocking {@code getAll} and the non-blocking one ({@code async().getAll}), which
 * sends the same batches with no thread waiting.
 */
class MultiGetBatchesTest {

  private final List<LocalMemcached> servers = new ArrayList<>();
  private final List<CacheManager> managers = new ArrayList<>();

  @BeforeEach
  void startTwoServers() {
    servers.add(LocalMemcached.start());
    servers.add(LocalMemcached.start());
  }

  @AfterEach
  void stop() {
    managers.forEach(CacheManager::close);
    servers.forEach(LocalMemcached::close);
  }

  private CacheManager manager(Protocol p, String failureMode) {
    return manager(p, failureMode, servers.get(0).address() + "," + servers.get(1).address());
  }

  private CacheManager manager(Protocol p, String failureMode, String serverList) {
    CacheManager m = Caching.getCachingProvider().getCacheManager(
        URI.create("memcached://" + serverList + "/?binary=" + p.binary()
            + "&failureMode=" + failureMode + "&opTimeout=1000&maxReconnectDelay=1"),
        MultiGetBatchesTest.class.getClassLoader());
    managers.add(m);
    return m;
  }

  /** How a test calls getAll: the blocking call, or the non-blocking one awaited. */
  enum Call {
    BLOCKING,
    ASYNC;

    @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache, typed <String, V>
    <V> Map<String, V> getAll(Cache<String, V> cache, Set<String> keys) {
      if (this == BLOCKING) {
        return cache.getAll(keys);
      }
      try {
        return ((AsyncCache<String, V>) cache.unwrap(NewcacheCache.class).async()).getAll(keys).get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        if (e.getCause() instanceof CacheException failed) {
          throw failed;
        }
        throw new AssertionError(e);
      } catch (InterruptedException | TimeoutException e) {
        throw new AssertionError("no answer within 10 s", e);
      }
    }
  }

  static Stream<Arguments> protocolsAndCalls() {
    return Stream.of(Protocol.values()).flatMap(p -> Stream.of(Call.values()).map(c -> Arguments.of(p, c)));
  }

  @ParameterizedTest
  @MethodSource("protocolsAndCalls")
  void everyHitComesBackWithItsValueAndNoMissOverSeveralBatchesPerServer(Protocol p, Call call) {
    CacheManager m = manager(p, "cancel");
    Cache<String, String> strings = m.createCache("strings", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    Cache<String, byte[]> bytes = m.createCache("bytes", new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
    Random random = new Random(5);
    Set<String> keys = new LinkedHashSet<>();
    for (int i = 0; i < 2_500; i++) {
      String key = "key-" + i;
      keys.add(key);
      if (i % 3 != 0) { // a third are misses, spread over every batch
        strings.put(key, "value of " + key);
        byte[] value = new byte[i % 7 == 0 ? 20_000 : i % 50];
        random.nextBytes(value);
        bytes.put(key, value);
      }
    }
    Map<String, String> gotStrings = call.getAll(strings, keys);
    Map<String, byte[]> gotBytes = call.getAll(bytes, keys);
    Random again = new Random(5);
    int hits = 0;
    for (int i = 0; i < 2_500; i++) {
      String key = "key-" + i;
      if (i % 3 == 0) {
        assertTrue(!gotStrings.containsKey(key) && !gotBytes.containsKey(key), "a miss comes back: " + key);
      } else {
        assertEquals("value of " + key, gotStrings.get(key));
        byte[] value = new byte[i % 7 == 0 ? 20_000 : i % 50];
        again.nextBytes(value);
        assertArrayEquals(value, gotBytes.get(key), key);
        hits++;
      }
    }
    assertEquals(hits, gotStrings.size());
    assertEquals(hits, gotBytes.size());
  }

  /**
   * A text batch is one classic get of its keys: 512 keys of 235 bytes make a request line of about
   * 120 KB, longer than memcached's read buffer, which it reads as a large multi-get; every value
   * comes back.
   */
  @ParameterizedTest
  @EnumSource(Call.class)
  void aBatchOfTheLongestKeysComesBackWhole(Call call) {
    CacheManager m = Caching.getCachingProvider().getCacheManager(URI.create("memcached://" + servers.get(0).address()
        + "/?keyMangler=" + ReadableKeyMangler.class.getName()), MultiGetBatchesTest.class.getClassLoader());
    managers.add(m);
    Cache<String, String> c = m.createCache("long", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    Set<String> keys = new LinkedHashSet<>();
    for (int i = 0; i < 600; i++) {
      String key = String.format("%04d", i) + "k".repeat(221); // "r..1.long." before it: 235 bytes in memcached
      keys.add(key);
      c.put(key, "value " + i);
    }
    Map<String, String> got = call.getAll(c, keys);
    assertEquals(600, got.size());
    int i = 0;
    for (String key : keys) {
      assertEquals("value " + i++, got.get(key), key);
    }
  }

  @ParameterizedTest
  @MethodSource("protocolsAndCalls")
  void aDownServersKeysArePlacedByTheFailureMode(Protocol p, Call call) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      keys.add("key-" + i);
    }
    Cache<String, String> cancel = manager(p, "cancel")
        .createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    Cache<String, String> redistribute = manager(p, "redistribute")
        .createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    keys.forEach(k -> cancel.put(k, "v" + k));
    servers.get(1).kill();
    long deadline = System.nanoTime() + 5_000_000_000L;
    Map<String, String> live = null;
    while (System.nanoTime() < deadline) { // until both clients see the connection go
      try {
        call.getAll(cancel, Set.copyOf(keys));
      } catch (CacheException e) {
        assertTrue(e.getMessage().contains("failureMode cancel"), e.getMessage());
        try {
          live = call.getAll(redistribute, Set.copyOf(keys));
          if (live.size() < keys.size()) {
            break;
          }
        } catch (CacheException stillInFlight) {
          // the redistributing client has not seen the connection go yet
        }
      }
    }
    // the same cache read from the live server alone: exactly what it holds
    Map<String, String> held = manager(p, "cancel", servers.get(0).address())
        .createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class))
        .getAll(Set.copyOf(keys));
    assertTrue(!held.isEmpty() && held.size() < keys.size(), "both servers hold some keys: " + held.size());
    assertEquals(held, live, "the live server's entries, all of them and only them");
    CacheException e = assertThrows(CacheException.class, () -> call.getAll(cancel, Set.copyOf(keys)));
    assertTrue(e.getMessage().contains("failureMode cancel") && e.getMessage().contains(servers.get(1).address()),
        "names the server that is down: " + e.getMessage());
  }

  /**
   * A multi-get over two servers, one frozen: it fails within the operation timeout, naming the
   * frozen server, and the same client reads both again once it answers.
   */
  @ParameterizedTest
  @MethodSource("protocolsAndCalls")
  void aFrozenServerFailsTheMultiGetInTimeNamingThatServer(Protocol p, Call call) {
    Cache<String, String> c = manager(p, "cancel")
        .createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    Set<String> keys = new LinkedHashSet<>();
    for (int i = 0; i < 100; i++) {
      keys.add("key-" + i);
      c.put("key-" + i, "v" + i);
    }
    LocalMemcached frozen = servers.get(1);
    frozen.pause();
    try {
      long t0 = System.nanoTime();
      CacheException e = assertThrows(CacheException.class, () -> call.getAll(c, keys));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      assertTrue(e.getMessage().contains("timed out") && e.getMessage().contains(frozen.address())
          && !e.getMessage().contains(servers.get(0).address()), e.getMessage());
      assertTrue(millis < 1000 + 2000, "failed after " + millis + " ms, within the 1 s timeout plus scheduling");
    } finally {
      frozen.resume();
    }
    assertEquals(100, call.getAll(c, keys).size());
  }
}
