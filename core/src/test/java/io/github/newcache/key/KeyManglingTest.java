package io.github.newcache.key;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.AcceptingWriter;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.internal.key.Hashing;
import io.github.newcache.internal.key.Namespaces;
import io.github.newcache.internal.store.Envelope;
import io.github.newcache.testing.KeyByKeyLoader;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The key function: exact memcached keys, odd keys, broken manglers, collisions, versions, flavors. */
@ExtendWith(MemcachedExtension.class)
class KeyManglingTest {

  private static Cache<String, String> createStrings(CacheManager m, String name) {
    return m.createCache(name, strings());
  }

  private static MutableConfiguration<String, String> strings() {
    return new MutableConfiguration<String, String>().setTypes(String.class, String.class);
  }

  @Test
  void md5ManglerShapeWithoutServer() {
    Md5KeyMangler m = new Md5KeyMangler();
    byte[] games = "games".getBytes(StandardCharsets.UTF_8);
    assertEquals(
        "staging-2-games-9cfa7aefcc61936b70aaec6729329eda",
        m.mangle(new KeySpace("staging", 2, "games"), games));
    assertEquals(
        "2-games-9cfa7aefcc61936b70aaec6729329eda", m.mangle(new KeySpace("", 2, "games"), games));
    assertEquals("9cfa7aefcc61936b70aaec6729329eda", Hashing.md5Hex(games));
  }

  @Test
  void namespacesAreSafeAndDistinct() {
    assertEquals("games", Namespaces.of("games"));
    String odd = Namespaces.of("a-b c/\u00e9");
    assertFalse(odd.contains("-"));
    assertFalse(odd.contains(" "));
    assertFalse(Namespaces.of("a-b").equals(Namespaces.of("a_b")));
    String longName = Namespaces.of("x".repeat(1000));
    assertTrue(longName.length() <= 64 + 1, longName);
    // the namespaces of existing names do not change
    assertEquals("a%2Db%20c%2F%C3%A9", odd);
    assertEquals("%h" + Hashing.md5Hex("x".repeat(1000).getBytes(java.nio.charset.StandardCharsets.UTF_8)), longName);
  }

  /** A name with an unpaired surrogate has its own namespace: UTF-8 wrote it as '?'. */
  @Test
  void aNameThatIsNotWellFormedHasItsOwnNamespace() {
    assertFalse(Namespaces.of("a\uD800").equals(Namespaces.of("a?")), Namespaces.of("a\uD800"));
    assertFalse(Namespaces.of("a\uDC00").equals(Namespaces.of("a\uD800")));
    assertEquals("a%ud800", Namespaces.of("a\uD800"));
    assertEquals(Namespaces.of("\uD83D\uDE00"), "%F0%9F%98%80", "a pair is one code point, as before");
    assertFalse(Namespaces.of("x".repeat(100) + "\uD800").equals(Namespaces.of("x".repeat(100) + "?")));
    assertFalse(Namespaces.of("a\uD800" + "b".repeat(70)).equals(Namespaces.of("a%ud800" + "b".repeat(70))),
        "a long malformed name and the well-formed name spelling its escaped form");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void gamesKeyIsStoredUnderTheDjangoNewcacheKey(
      Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p, "flavor=staging&version=2");
    Cache<String, String> games = m.createCache("games", strings());
    String value = "score for " + p;
    games.put("games", value);

    byte[] stored = raw.get("staging-2-games-9cfa7aefcc61936b70aaec6729329eda");
    assertNotNull(stored, "memcached holds nothing under staging-2-games-9cfa7aefcc61936b70aaec6729329eda");
    assertEquals(Envelope.MAGIC, stored[0], "stored item is an envelope");
    byte[] utf8 = value.getBytes(StandardCharsets.UTF_8);
    assertArrayEquals(
        utf8, Arrays.copyOfRange(stored, stored.length - utf8.length, stored.length),
        "the stored item ends with the value's UTF-8 bytes");
    Envelope env =
        Envelope.parse(stored, "games".getBytes(StandardCharsets.US_ASCII), "games".getBytes(StandardCharsets.UTF_8));
    assertNotNull(env, "the envelope names cache games and key games");
  }

  static List<String> oddKeys() {
    List<String> keys = new ArrayList<>();
    keys.add("with space");
    keys.add("new\nline");
    keys.add("cr\r\nlf");
    keys.add("nul\0byte");
    keys.add("tab\tkey");
    keys.add("");
    keys.add(" ");
    keys.add("unicode \u00e9\u4e2d\u6587 \ud83d\ude00");
    keys.add("unpaired \ud800 surrogate");
    keys.add("\u007f\u0085\u2028");
    keys.add("x".repeat(10 * 1024));
    keys.add("\u00e9".repeat(300));
    return keys;
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void oddKeysRoundTripAndProduceLegalMemcachedKeys(
      Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p);
    Cache<String, String> c = m.createCache("odd keys", strings());
    List<String> keys = oddKeys();
    for (int i = 0; i < keys.size(); i++) {
      c.put(keys.get(i), "v" + i);
    }
    for (int i = 0; i < keys.size(); i++) {
      assertEquals("v" + i, c.get(keys.get(i)), "key #" + i);
      assertTrue(c.containsKey(keys.get(i)), "key #" + i);
    }
    List<String> stored = raw.keys(managers.flavor() + "-");
    assertEquals(keys.size(), stored.size(), "one memcached key per cache key: " + stored);
    for (String key : stored) {
      assertTrue(key.getBytes(StandardCharsets.UTF_8).length <= 250, key);
      for (char ch : key.toCharArray()) {
        assertFalse(ch <= ' ' || ch == 0x7f || Character.isWhitespace(ch) || Character.isISOControl(ch),
            "illegal character " + (int) ch + " in " + key);
      }
      assertNotNull(raw.get(key), "a text-protocol client can read " + key);
    }
    for (Cache.Entry<String, String> e : c) {
      assertTrue(keys.contains(e.getKey()),
          "the iterator gives back a key that was never put (value " + e.getValue() + "): "
              + io.github.newcache.testing.Escapes.of(e.getKey()));
      assertEquals("v" + keys.indexOf(e.getKey()), e.getValue());
    }
    for (int i = 0; i < keys.size(); i++) {
      assertTrue(c.remove(keys.get(i)), "key #" + i);
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void longCacheNameStillGivesLegalKeys(Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p);
    Cache<String, String> c = m.createCache("n".repeat(400) + " \u00e9-/", strings());
    c.put("x".repeat(5000), "v");
    assertEquals("v", c.get("x".repeat(5000)));
    for (String key : raw.keys(managers.flavor() + "-")) {
      assertTrue(key.getBytes(StandardCharsets.UTF_8).length <= 250, key);
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void manglerProducingAnIllegalKeyFailsNamingTheKey(
      Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p, "keyMangler=" + SpaceKeyMangler.class.getName());
    Cache<String, String> c = m.createCache("broken", strings());
    String bad = SpaceKeyMangler.keyFor(new KeySpace(managers.flavor(), 1, "broken"));
    RuntimeException e = assertThrows(RuntimeException.class, () -> c.put("k", "v"));
    assertTrue(e.getMessage().contains(bad), "message names the key '" + bad + "': " + e.getMessage());
    assertTrue(e.getMessage().contains(SpaceKeyMangler.class.getName()), e.getMessage());
    RuntimeException onGet = assertThrows(RuntimeException.class, () -> c.get("k"));
    assertTrue(onGet.getMessage().contains(bad), onGet.getMessage());
    assertTrue(raw.keys(managers.flavor()).isEmpty(), "nothing was stored");
  }

  /** A key without the mangler's own prefix would be missed by clear(), removeAll() and the iterator. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void manglerProducingAKeyWithoutItsPrefixFailsNamingBoth(Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p);
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setKeyMangler(new KeyMangler() {
      @Override
      public String mangle(KeySpace space, byte[] keyBytes) {
        return space.flavor() + "-elsewhere-" + new String(keyBytes, java.nio.charset.StandardCharsets.UTF_8);
      }

      @Override
      public String prefix(KeySpace space) {
        return space.flavor() + "-mine-";
      }
    });
    Cache<String, String> c = m.createCache("prefixed", config);
    RuntimeException e = assertThrows(RuntimeException.class, () -> c.put("k", "v"));
    assertTrue(e.getMessage().contains(managers.flavor() + "-elsewhere-k"), e.getMessage());
    assertTrue(e.getMessage().contains("'" + managers.flavor() + "-mine-'"), e.getMessage());
    assertTrue(raw.keys(managers.flavor()).isEmpty(), "nothing was stored");
  }

  /**
   * A custom key function that gives a lease's key ({@code x.lease} for the user key {@code
   * x.lease} under a mangler that keeps the key's text) is refused before anything is sent. Before,
   * the entry was stored there: every read-through load of {@code x} then waited the whole lease
   * timeout for it (105 ms became 3 s), a {@code putIfAbsent} of it replaced a live lease, and under
   * {@code failures=miss} a failed write of it was skipped as a lease's.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void manglerProducingALeasesKeyIsRefusedNamingTheRule(Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p, "keyMangler=" + ReadableKeyMangler.class.getName());
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setReadThrough(true).setCacheLoaderFactory(FactoryBuilder.factoryOf(TextLoader.class));
    config.setLeaseTimeoutMillis(3000);
    Cache<String, String> c = m.createCache("leased", config);
    String mkey = new ReadableKeyMangler().mangle(new KeySpace(managers.flavor(), 1, "leased"),
        "x.lease".getBytes(StandardCharsets.US_ASCII));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.put("x.lease", "v"));
    assertTrue(e.getMessage().contains("'" + mkey + "'"), "names the key: " + e.getMessage());
    assertTrue(e.getMessage().contains(ReadableKeyMangler.class.getName()), "names the mangler: " + e.getMessage());
    assertTrue(e.getMessage().contains("ending in '.lease'") && e.getMessage().contains("reserved"),
        "names the rule: " + e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> c.putIfAbsent("x.lease", "v"));
    assertThrows(IllegalArgumentException.class, () -> c.get("x.lease"));
    assertThrows(IllegalArgumentException.class, () -> c.getAll(java.util.Set.of("y", "x.lease")));
    assertThrows(IllegalArgumentException.class, () -> c.remove("x.lease"));
    assertThrows(IllegalArgumentException.class, () -> c.invoke("x.lease", (entry, args) -> null));
    assertTrue(raw.keys("r." + managers.flavor() + ".").isEmpty(), "nothing was sent: " + raw.keys("r."));

    long start = System.nanoTime();
    assertEquals("loaded x", c.get("x"));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(millis < 2000, "the load of x waits for no lease: " + millis + " ms");
    assertEquals(0, c.unwrap(NewcacheCache.class).herdStatistics().getLeaseTimeouts());
    c.put("x.leases", "v");
    assertEquals("v", c.get("x.leases"), "a key that only resembles a lease's is stored");
  }

  /** The long form of a lease's key, {@code lease-} and 32 characters, is refused as well. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void manglerProducingALongLeasesKeyIsRefused(Protocol p, TestManagers managers) {
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setKeyMangler((space, bytes) -> new String(bytes, StandardCharsets.US_ASCII));
    Cache<String, String> c = managers.open(p).createCache("prefixless", config);
    String longForm = "lease-" + "0123456789abcdef".repeat(2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.put(longForm, "v"));
    assertTrue(e.getMessage().contains("'" + longForm + "'"), e.getMessage());
    c.put("lease-" + managers.flavor(), "v");
    assertEquals("v", c.get("lease-" + managers.flavor()), "a key of another length is stored");
    c.remove("lease-" + managers.flavor());
  }

  /**
   * An entry that version 0.1.0 stored under a lease's key (the user key {@code x.lease} under a
   * mangler that keeps the key's text, where {@code x}'s lease goes) is removed by {@code clear()}
   * and {@code removeAll()} once its envelope proves it is the cache's entry, and a write-through
   * put of {@code x} then waits for no lease. A real lease (a 16-byte token) stays. Before, both
   * skipped it, {@code remove("x.lease")} is refused, and the eternal entry held every
   * write-through write of {@code x} for the whole lease timeout for good.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anEntryAnEarlierVersionStoredUnderALeasesKeyIsRemovedByClearAndRemoveAll(
      Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p, "keyMangler=" + ReadableKeyMangler.class.getName());
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(NoWriter.class));
    config.setLeaseTimeoutMillis(1500);
    Cache<String, String> c = m.createCache("up", config);
    KeySpace space = new KeySpace(managers.flavor(), 1, "up");
    String old = new ReadableKeyMangler().mangle(space, "x.lease".getBytes(StandardCharsets.US_ASCII));
    String lease = new ReadableKeyMangler().mangle(space, "y".getBytes(StandardCharsets.US_ASCII)) + ".lease";
    // What 0.1.0 stored for c.put("x.lease", "old"): format 1, eternal, namespace "up", key form
    // "x.lease", the default codec's 'S' and "old".
    byte[] stored = HexFormat.of().parseHex("c7" + "01" + "7fffffffffffffff" + "0002" + "7570"
        + "00000007" + "782e6c65617365" + "53" + "6f6c64");
    raw.set(lease, new byte[16]); // another client's lease of y

    // Expired in its envelope, it still holds x's lease until memcached lets it go.
    byte[] expired = stored.clone();
    Arrays.fill(expired, 2, 10, (byte) 0);
    expired[9] = 1;
    for (String removal : List.of("clear()", "removeAll()", "removeAll() of an expired one")) {
      raw.set(old, removal.endsWith("expired one") ? expired : stored);
      List<String> seen = new ArrayList<>();
      c.forEach(e -> seen.add(e.getKey()));
      assertFalse(seen.contains("x.lease"), "the iterator does not serve it: " + seen);
      if (removal.startsWith("clear")) {
        c.clear();
      } else {
        c.removeAll();
      }
      assertNull(raw.get(old), removal + " removes it");
      assertNotNull(raw.get(lease), removal + " leaves a real lease");
      long start = System.nanoTime();
      c.put("x", "v");
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(millis < 1000, "the write-through put of x waits for no lease after " + removal + ": " + millis + " ms");
      assertEquals(0, c.unwrap(NewcacheCache.class).herdStatistics().getLeaseTimeouts(), removal);
    }
    raw.delete(lease);
  }

  /** A writer that takes every write, for {@link #anEntryAnEarlierVersionStoredUnderALeasesKeyIsRemovedByClearAndRemoveAll}. */
  public static final class NoWriter implements AcceptingWriter<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** A read-through loader for {@link #manglerProducingALeasesKeyIsRefusedNamingTheRule}. */
  public static final class TextLoader extends KeyByKeyLoader {
    private static final long serialVersionUID = 1L;

    @Override
    public String load(String key) {
      return "loaded " + key;
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void manglerProducingTooLongAKeyFailsNamingTheKey(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setKeyMangler((space, bytes) -> "long" + "y".repeat(300));
    Cache<String, String> c = m.createCache("too long", config);
    RuntimeException e = assertThrows(RuntimeException.class, () -> c.put("k", "v"));
    assertTrue(e.getMessage().contains("long" + "y".repeat(100)), e.getMessage());
    assertTrue(e.getMessage().contains("250"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void collidingKeysNeverReadEachOthersValues(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p, "keyMangler=" + CollidingKeyMangler.class.getName());
    Cache<String, String> c = m.createCache("collide", strings());
    c.put("k1", "v1");
    c.put("k2", "v2");
    assertNull(c.get("k1"), "k1 must not read k2's value");
    assertEquals("v2", c.get("k2"));
    assertFalse(c.containsKey("k1"));
    assertEquals(Map.of("k2", "v2"), c.getAll(java.util.Set.of("k1", "k2")));
    assertFalse(c.remove("k1"), "removing k1 must not remove k2's entry");
    assertEquals("v2", c.get("k2"));
    assertFalse(c.replace("k1", "x"));
    assertEquals("v2", c.get("k2"));
    assertNull(c.getAndRemove("k1"));
    assertEquals("v2", c.get("k2"));
    assertTrue(c.putIfAbsent("k1", "v1"), "k1 is absent although its memcached key is taken");
    assertEquals("v1", c.get("k1"));
    assertNull(c.get("k2"));

    Cache<String, String> other = m.createCache("collide too", strings());
    other.put("k1", "other");
    assertNull(c.get("k1"), "another cache's entry under the same memcached key is not ours");
    assertEquals("other", other.get("k1"));
    int count = 0;
    for (Cache.Entry<String, String> e : c) {
      count++;
    }
    assertEquals(0, count, "the iterator of one cache never shows the other's entry");
    c.clear();
    assertEquals("other", other.get("k1"), "clear of one cache keeps the other's entry");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void perCacheManglerFromConfiguration(Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p);
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setKeyMangler(
        new KeyMangler() {
          @Override
          public String mangle(KeySpace space, byte[] keyBytes) {
            return prefix(space) + new String(keyBytes, StandardCharsets.UTF_8);
          }

          @Override
          public String prefix(KeySpace space) {
            return "custom." + space.flavor() + "." + space.namespace() + ".";
          }
        });
    Cache<String, String> c = m.createCache("mine", config);
    c.put("plain", "v");
    assertEquals("v", c.get("plain"));
    assertNotNull(raw.get("custom." + managers.flavor() + ".mine.plain"));
    Cache<String, String> defaultMangled = m.createCache("theirs", strings());
    defaultMangled.put("plain", "w");
    assertNotNull(raw.get(managers.flavor() + "-1-theirs-" + Hashing.md5Hex("plain".getBytes(StandardCharsets.UTF_8))));
    int n = 0;
    for (Cache.Entry<String, String> e : c) {
      assertEquals("plain", e.getKey());
      n++;
    }
    assertEquals(1, n);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void keysDifferingOnlyInUnpairedSurrogatesStayApart(Protocol p, TestManagers managers) {
    Cache<String, String> c = createStrings(managers.open(p), "surrogates");
    c.put("x\ud800y", "first");
    c.put("x\ud801y", "second");
    assertEquals("first", c.get("x\ud800y"), "distinct keys must not share an entry");
    assertEquals("second", c.get("x\ud801y"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void versionBumpHidesOldEntries(Protocol p, TestManagers managers) {
    CacheManager v1 = managers.open(p, "version=1");
    createStrings(v1, "c").put("k", "old");
    v1.close();

    CacheManager v2 = managers.open(p, "version=2");
    Cache<String, String> c2 = v2.createCache("c", strings());
    assertNull(c2.get("k"), "version 2 must not see version 1's entry");
    assertFalse(c2.iterator().hasNext());
    c2.put("k", "new");
    c2.clear();
    v2.close();

    CacheManager back = managers.open(p, "version=1");
    assertEquals("old", createStrings(back, "c").get("k"),
        "going back to version 1 shows its entries again, untouched by version 2's clear");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void flavorsNeverSeeEachOther(Protocol p, TestManagers managers) {
    String tag = managers.flavor();
    Cache<String, String> dev = managers.open(p, "flavor=dev" + tag).createCache("c", strings());
    Cache<String, String> prod = managers.open(p, "flavor=prod" + tag).createCache("c", strings());
    dev.put("k", "dev");
    assertNull(prod.get("k"));
    prod.put("k", "prod");
    assertEquals("dev", dev.get("k"));
    assertEquals("prod", prod.get("k"));
    dev.clear();
    assertEquals("prod", prod.get("k"));
    prod.removeAll();
    assertFalse(dev.iterator().hasNext());
    assertFalse(prod.iterator().hasNext());
  }
}
