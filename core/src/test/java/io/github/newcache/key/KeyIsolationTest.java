package io.github.newcache.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.newcache.internal.key.Hashing;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.nio.charset.StandardCharsets;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Enumeration (clear, removeAll, destroyCache) acts only on the cache's own entries under its own
 * flavor and version, whatever the key function, the names and the prefixes.
 */
@ExtendWith(MemcachedExtension.class)
class KeyIsolationTest {

  private static Cache<String, String> strings(CacheManager m, String name) {
    return m.createCache(name, new MutableConfiguration<String, String>().setTypes(String.class, String.class));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void clearWithAPrefixlessKeyFunctionKeepsOtherVersionsAndFlavors(Protocol p, TestManagers managers) {
    String custom = "keyMangler=" + PrefixlessKeyMangler.class.getName();
    Cache<String, String> v1 = strings(managers.open(p, "version=1&" + custom), "c");
    Cache<String, String> v2 = strings(managers.open(p, "version=2&" + custom), "c");
    Cache<String, String> prod =
        strings(managers.open(p, "flavor=" + managers.flavor() + "prod&version=2&" + custom), "c");
    v1.put("k", "v1");
    v2.put("k", "v2");
    prod.put("k", "prod");

    v2.clear();
    assertNull(v2.get("k"));
    assertEquals("v1", v1.get("k"), "clear() of version 2 left version 1 alone");
    assertEquals("prod", prod.get("k"), "clear() of one flavor left the other alone");

    v2.put("k", "v2");
    v2.removeAll();
    assertNull(v2.get("k"));
    assertEquals("v1", v1.get("k"), "removeAll() of version 2 left version 1 alone");
    assertEquals("prod", prod.get("k"));

    v2.getCacheManager().destroyCache("c");
    assertEquals("v1", v1.get("k"), "destroyCache of version 2 left version 1 alone");
    assertEquals("prod", prod.get("k"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anUnflavoredPrefixThatStartsAFlavoredOneClearsOnlyItsOwn(Protocol p, TestManagers managers) {
    // Unflavored, version 7, cache "31": prefix 7-31-. Flavor 7, version 31, cache x: keys 7-31-x-<md5>.
    Cache<String, String> unflavored = strings(managers.open(p, "flavor=&version=7"), "31");
    Cache<String, String> flavored = strings(managers.open(p, "flavor=7&version=31"), "x");
    unflavored.put("k", "mine");
    flavored.put("k", "theirs");

    unflavored.clear();
    assertNull(unflavored.get("k"));
    assertEquals("theirs", flavored.get("k"), "the flavored cache keeps its entry");

    unflavored.put("k", "mine");
    unflavored.removeAll();
    assertEquals("theirs", flavored.get("k"));
    flavored.clear();
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aLongNameAndANameThatLooksHashedNeverShareEntries(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    String longName = "a-very-long-cache-name-".repeat(5);
    String hashedLooking = "h" + Hashing.md5Hex(longName.getBytes(StandardCharsets.UTF_8));
    String escapedLooking = "%h" + Hashing.md5Hex(longName.getBytes(StandardCharsets.UTF_8));
    Cache<String, String> a = strings(m, longName);
    Cache<String, String> b = strings(m, hashedLooking);
    Cache<String, String> c = strings(m, escapedLooking);
    a.put("k", "long");
    b.put("k", "hashed-looking");
    c.put("k", "escaped-looking");
    assertEquals("long", a.get("k"));
    assertEquals("hashed-looking", b.get("k"));
    assertEquals("escaped-looking", c.get("k"));
    b.clear();
    assertEquals("long", a.get("k"), "clearing one never touches the other");
  }
}
