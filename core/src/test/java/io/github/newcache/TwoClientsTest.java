package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.key.Hashing;
import io.github.newcache.testing.KeyByKeyLoader;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Two managers with their own memcached connections, as two JVMs of a fleet would have: each sees
 * the other's writes, and the operations that enumerate the servers (iterator, clear, removeAll)
 * see entries the other one wrote.
 */
@ExtendWith(MemcachedExtension.class)
class TwoClientsTest {

  private static Cache<String, String> cache(CacheManager m) {
    return m.createCache(
        "shared", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
  }

  /** Two managers of the same settings: one URI with a trailing {@code /}, one without. */
  private static CacheManager[] two(Protocol p, TestManagers managers) {
    String q = "?binary=" + p.binary() + "&flavor=" + managers.flavor();
    CacheManager a = managers.open(URI.create("memcached://" + managers.server().address() + "/" + q));
    CacheManager b = managers.open(URI.create("memcached://" + managers.server().address() + q));
    assertNotSame(a, b, "two URIs give two managers");
    return new CacheManager[] {a, b};
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void eachSeesTheOthersWrites(Protocol p, TestManagers managers) {
    CacheManager[] m = two(p, managers);
    Cache<String, String> a = cache(m[0]);
    Cache<String, String> b = cache(m[1]);
    a.put("k", "from a");
    assertEquals("from a", b.get("k"));
    assertFalse(b.putIfAbsent("k", "from b"));
    assertTrue(b.replace("k", "from a", "from b"));
    assertEquals("from b", a.get("k"));
    assertEquals("from b", a.getAndPut("k", "again a"));
    assertTrue(b.remove("k", "again a"));
    assertNull(a.get("k"));
    b.putAll(Map.of("x", "1", "y", "2"));
    assertEquals(Map.of("x", "1", "y", "2"), a.getAll(Set.of("x", "y", "z")));
  }

  /** A loader during whose load another client stores the key. */
  public static final class RacedLoader extends KeyByKeyLoader {
    private static final long serialVersionUID = 1L;
    static volatile Cache<String, String> other;

    @Override
    public String load(String key) {
      other.put(key, "theirs");
      return "mine";
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aReadThroughGetAnswersWhatAnotherClientStoredWhileItLoaded(Protocol p, TestManagers managers) throws Exception {
    CacheManager[] m = two(p, managers);
    Cache<String, String> a = m[0].createCache("shared", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setReadThrough(true)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(RacedLoader.class)));
    RacedLoader.other = cache(m[1]);
    assertEquals("theirs", a.get("k"), "the cache keeps the other client's value; the answer is that value");
    assertEquals("theirs", a.get("k"));
    assertEquals("theirs", a.unwrap(NewcacheCache.class).async().get("j").get(10, TimeUnit.SECONDS));
    assertEquals(Map.of("x", "theirs", "y", "theirs"), a.getAll(Set.of("x", "y")));
  }

  /** A loader that answers "loaded". */
  public static final class Loaded extends KeyByKeyLoader {
    private static final long serialVersionUID = 1L;

    @Override
    public String load(String key) {
      return "loaded";
    }
  }

  /**
   * An entry this cache cannot decode (another client stored a value of another type under the
   * same name) is a miss that the loader fills: get answers the loaded value, never null, and
   * getAll holds no null.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aReadThroughGetOfAnEntryItCannotDecodeAnswersTheLoadedValue(Protocol p, TestManagers managers) {
    CacheManager[] m = two(p, managers);
    Cache<Object, Object> other = m[1].createCache("shared", new MutableConfiguration<>());
    other.put("k", 42);
    other.put("j", 43);
    Cache<String, String> a = m[0].createCache("shared", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setReadThrough(true)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(Loaded.class)));
    assertEquals("loaded", a.get("k"));
    assertEquals(Map.of("j", "loaded"), a.getAll(Set.of("j")));
  }

  /**
   * clear() leaves the leases other clients hold: a lease keeps a write-through operation's writer
   * call and memcached write together across the fleet (and one load per key), and deleting it
   * let a third client in between them. Leases expire by themselves.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void clearLeavesTheLeasesOtherClientsHold(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = cache(two(p, managers)[0]);
    c.put("k", "v");
    String lease = managers.flavor() + "-1-shared-" + Hashing.md5Hex("k".getBytes(StandardCharsets.UTF_8)) + ".lease";
    try (RawMemcached raw = RawMemcached.of(managers.server())) {
      raw.set(lease, "another client's".getBytes(StandardCharsets.UTF_8));
      c.clear();
      assertNull(c.get("k"));
      assertNotNull(raw.get(lease), "the lease another client holds is still there");
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void iteratorClearAndRemoveAllSeeTheOthersEntries(Protocol p, TestManagers managers) {
    CacheManager[] m = two(p, managers);
    Cache<String, String> a = cache(m[0]);
    Cache<String, String> b = cache(m[1]);
    Map<String, String> written = new HashMap<>();
    for (int i = 0; i < 120; i++) {
      b.put("b" + i, "v" + i);
      written.put("b" + i, "v" + i);
    }
    a.put("a0", "mine");
    written.put("a0", "mine");

    Map<String, String> seen = new HashMap<>();
    for (Cache.Entry<String, String> e : a) {
      seen.put(e.getKey(), e.getValue());
    }
    assertEquals(written, seen, "a's iterator lists b's entries");

    a.clear();
    for (int i = 0; i < 120; i++) {
      assertNull(b.get("b" + i), "a's clear removed b's entry b" + i);
    }
    assertFalse(b.iterator().hasNext());

    for (int i = 0; i < 50; i++) {
      a.put("a" + i, "v");
    }
    b.removeAll();
    for (int i = 0; i < 50; i++) {
      assertNull(a.get("a" + i), "b's removeAll removed a's entry a" + i);
    }

    a.put("gone", "x");
    var it = b.iterator();
    assertTrue(it.hasNext());
    assertEquals("gone", it.next().getKey());
    it.remove();
    assertNull(a.get("gone"), "b's iterator removal is seen by a");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void separateClassLoadersAndTimeoutsGiveSeparateClients(Protocol p, TestManagers managers)
      throws Exception {
    URI uri = managers.uri(p);
    try (URLClassLoader other = new URLClassLoader(new URL[0], TwoClientsTest.class.getClassLoader())) {
      CacheManager a = managers.open(uri);
      CacheManager b = managers.open(uri, other, null);
      CacheManager c = managers.open(managers.uri(p, "opTimeout=2500"));
      assertNotSame(a, b);
      assertNotSame(a, c);
      cache(a).put("k", "v");
      assertEquals("v", cache(b).get("k"));
      assertEquals("v", cache(c).get("k"));
    }
  }
}
