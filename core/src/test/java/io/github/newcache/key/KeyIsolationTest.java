package io.github.newcache.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.newcache.NewcacheCache;
import io.github.newcache.codec.DefaultValueCodec;
import io.github.newcache.internal.expiry.Expiry;
import io.github.newcache.internal.key.Hashing;
import io.github.newcache.internal.store.Envelope;
import io.github.newcache.testkit.RawMemcached;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryRemovedListener;
import static org.junit.jupiter.api.Assertions.assertTrue;
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

  /**
   * Under a custom key function, clear() removes the entries and leaves another client's lease:
   * no entry has a lease's key (a key function that gives one is refused, see KeyManglingTest).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void clearWithACustomKeyFunctionLeavesLeases(Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<String, String> c = strings(managers.open(p, "keyMangler=" + ReadableKeyMangler.class.getName()), "c");
    c.put("x", "v");
    c.put("y", "w");
    String lease = new ReadableKeyMangler().mangle(new KeySpace(managers.flavor(), 1, "c"), "x".getBytes(StandardCharsets.US_ASCII)) + ".lease";
    raw.set(lease, new byte[16]);
    c.clear();
    assertNull(c.get("x"));
    assertNull(c.get("y"));
    assertNotNull(raw.get(lease), "the lease stays until its holder releases it");
    raw.delete(lease); // this class counts the server's items
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

  /** Records the keys of the removals it hears. */
  public static final class RemovedKeys implements CacheEntryRemovedListener<Object, Object> {
    static final List<Object> KEYS = new CopyOnWriteArrayList<>();

    @Override
    public void onRemoved(Iterable<CacheEntryEvent<?, ?>> events) {
      events.forEach(e -> KEYS.add(e.getKey()));
    }
  }

  /**
   * A cache of the same name, flavor and version elsewhere on the fleet, with keys of another type,
   * shares the namespace; its entries are never handed out as this cache's. Before, the iterator
   * returned its Long keys from a Cache&lt;String, String&gt; (a ClassCastException in the caller's
   * loop), and removeAll() passed them to listeners.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @SuppressWarnings({"unchecked", "rawtypes"}) // the listener hears Object keys so that a wrong one is seen
  void entriesWithKeysOfAnotherTypeAreNotThisCachesEntries(Protocol p, TestManagers managers) {
    RemovedKeys.KEYS.clear();
    Cache<String, String> strings = managers.open(p, "opTimeout=3101").createCache("users",
        new MutableConfiguration<String, String>().setTypes(String.class, String.class)
            .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration(
                FactoryBuilder.factoryOf(RemovedKeys.class), null, false, true)));
    Cache<Long, String> longs = managers.open(p, "opTimeout=3102").createCache("users",
        new MutableConfiguration<Long, String>().setTypes(Long.class, String.class));
    strings.put("s", "mine");
    longs.put(5L, "theirs");
    List<Object> keys = new ArrayList<>();
    for (Cache.Entry<String, String> e : strings) {
      keys.add(e.getKey());
    }
    assertEquals(List.of("s"), keys, "only this cache's key type");
    assertTrue(strings.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries() >= 1, "the other counted");
    strings.removeAll();
    assertEquals(List.of("s"), RemovedKeys.KEYS, "a listener hears only keys of this cache's type");
  }

  /**
   * A planted entry whose key form decodes to null (a serialized null) is a counted foreign entry.
   * Before the key type check was guarded, the iterator and removeAll() threw a NullPointerException.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anEntryWhoseKeyDecodesToNullIsForeign(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = strings(managers.open(p), "planted");
    byte[] nullForm = {(byte) 0xFF, 'O', (byte) 0xAC, (byte) 0xED, 0, 5, 0x70};
    String mkey = managers.flavor() + "-1-planted-" + Hashing.md5Hex(nullForm);
    byte[] item = Envelope.encode("planted".getBytes(StandardCharsets.US_ASCII), nullForm, Expiry.ETERNAL,
        new DefaultValueCodec().encode("planted value"));
    try (RawMemcached raw = RawMemcached.of(managers.server())) {
      raw.set(mkey, item);
      c.put("k", "mine");
      List<Object> keys = new ArrayList<>();
      for (Cache.Entry<String, String> e : c) {
        keys.add(e.getKey());
      }
      assertEquals(List.of("k"), keys);
      c.removeAll();
      assertNull(c.get("k"));
    }
  }

  /**
   * Another client's keys that no Newcache key function can write are skipped by listings, not
   * failed on: a Latin-1 key of a text client (not UTF-8; decoded leniently it grew past 250 bytes)
   * and a key with a space, which binary clients can store. Before, under a key function without a
   * prefix, which lists every key on the server, iterating, clear() and removeAll() threw "memcached
   * key of 277 bytes (1 to 250 allowed)" or (text) "memcached key with a space".
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anotherClientsKeysThatNoKeyFunctionWritesAreSkippedByListings(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = strings(managers.open(p, "keyMangler=" + PrefixlessKeyMangler.class.getName()), "c");
    byte[] latin1 = new byte[97];
    System.arraycopy("legacy:".getBytes(StandardCharsets.US_ASCII), 0, latin1, 0, 7);
    java.util.Arrays.fill(latin1, 7, latin1.length, (byte) 0xE9);
    try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), managers.server().port())) {
      s.setSoTimeout(10_000);
      java.io.OutputStream out = s.getOutputStream();
      java.io.InputStream in = s.getInputStream();
      out.write("set ".getBytes(StandardCharsets.US_ASCII));
      out.write(latin1);
      out.write(" 0 0 1\r\nx\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      assertEquals("STORED", readLine(in));
    }
    // memcached takes a connection's protocol from its first byte: the binary set on its own
    try (java.net.Socket s = new java.net.Socket(java.net.InetAddress.getLoopbackAddress(), managers.server().port())) {
      s.setSoTimeout(10_000);
      java.io.OutputStream out = s.getOutputStream();
      java.io.InputStream in = s.getInputStream();
      byte[] spaced = "u.other key".getBytes(StandardCharsets.US_ASCII);
      out.write(binarySet(spaced, new byte[] {'y'}));
      out.flush();
      byte[] header = in.readNBytes(24);
      assertEquals(0, ((header[6] & 0xFF) << 8) | (header[7] & 0xFF), "binary set of a key with a space: status");
      in.readNBytes(((header[8] & 0xFF) << 24) | ((header[9] & 0xFF) << 16) | ((header[10] & 0xFF) << 8) | (header[11] & 0xFF));
    }
    c.put("k", "v");
    List<String> keys = new ArrayList<>();
    for (Cache.Entry<String, String> e : c) {
      keys.add(e.getKey());
    }
    assertEquals(List.of("k"), keys);
    c.removeAll();
    assertNull(c.get("k"));
    c.put("k", "v");
    c.clear();
    assertNull(c.get("k"));
    try (RawMemcached raw = RawMemcached.of(managers.server())) {
      assertEquals(2, raw.itemCount(), "both foreign items stay");
    }
  }

  private static String readLine(java.io.InputStream in) throws java.io.IOException {
    StringBuilder sb = new StringBuilder();
    int b;
    while ((b = in.read()) >= 0 && b != '\n') {
      if (b != '\r') {
        sb.append((char) b);
      }
    }
    return sb.toString();
  }

  /** A binary protocol set of {@code key} (any bytes) to {@code value}, flags 0, no expiry. */
  private static byte[] binarySet(byte[] key, byte[] value) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(24 + 8 + key.length + value.length);
    b.put((byte) 0x80).put((byte) 0x01).putShort((short) key.length).put((byte) 8).put((byte) 0).putShort((short) 0);
    b.putInt(8 + key.length + value.length).putInt(0).putLong(0);
    b.putInt(0).putInt(0).put(key).put(value);
    return b.array();
  }
}
