package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.codec.DefaultValueCodec;
import io.github.newcache.internal.expiry.Expiry;
import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.key.Hashing;
import io.github.newcache.internal.store.Envelope;
import io.github.newcache.key.ReadableKeyMangler;
import io.github.newcache.testing.PlainTextCodec;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ModifiedExpiryPolicy;
import javax.cache.expiry.TouchedExpiryPolicy;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What reaches memcached: the envelope and memcached's own TTL, read back over a raw socket. */
@ExtendWith(MemcachedExtension.class)
class StorageFormatTest {

  private static String mkey(TestManagers managers, String cache, String key) {
    return managers.flavor() + "-1-" + cache + "-" + Hashing.md5Hex(key.getBytes(StandardCharsets.UTF_8));
  }

  private static MutableConfiguration<String, String> config() {
    return new MutableConfiguration<String, String>().setTypes(String.class, String.class);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void eternalEntriesNeverExpireInMemcached(Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<String, String> c = managers.open(p).createCache("eternal", config());
    c.put("k", "v");
    c.putAll(Map.of("k2", "v2"));
    c.putIfAbsent("k3", "v3");
    c.replace("k", "w");
    for (String key : new String[] {"k", "k2", "k3"}) {
      Map<String, String> meta = raw.meta(mkey(managers, "eternal", key));
      assertNotNull(meta, "stored: " + key);
      assertEquals("-1", meta.get("exp"), "eternal entry " + key + " has memcached TTL 0: " + meta);
      Envelope env = Envelope.parse(raw.get(mkey(managers, "eternal", key)),
          "eternal".getBytes(StandardCharsets.US_ASCII), key.getBytes(StandardCharsets.UTF_8));
      assertNotNull(env);
      assertEquals(Expiry.ETERNAL, env.expiresAt());
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void thirtyOneDayEntryIsReadableAndKeepsItsTtl(Protocol p, TestManagers managers, RawMemcached raw) {
    MutableConfiguration<String, String> config = config();
    config.setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.DAYS, 31)));
    Cache<String, String> c = managers.open(p).createCache("long", config);
    long before = System.currentTimeMillis();
    c.put("k", "v");
    assertEquals("v", c.get("k"), "a 31-day entry is readable right after put");
    assertTrue(c.putIfAbsent("k2", "v2"));
    assertEquals("v2", c.get("k2"));
    Map<String, String> meta = raw.meta(mkey(managers, "long", "k"));
    assertNotNull(meta, "memcached still holds the 31-day entry");
    long exp = RawMemcached.secondsLeft(meta);
    assertTrue(exp > Ttl.THIRTY_DAYS_SECONDS && exp <= 31 * 86_400L + 5,
        "memcached keeps it about 31 days, not 'never' nor 'already expired': exp=" + exp);
    Envelope env = Envelope.parse(raw.get(mkey(managers, "long", "k")),
        "long".getBytes(StandardCharsets.US_ASCII), "k".getBytes(StandardCharsets.UTF_8));
    long expected = before + TimeUnit.DAYS.toMillis(31);
    assertTrue(Math.abs(env.expiresAt() - expected) < 60_000, "envelope expiry " + env.expiresAt());
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void shortTtlIsAnUpperBoundInMemcached(Protocol p, TestManagers managers, RawMemcached raw) {
    MutableConfiguration<String, String> config = config();
    config.setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(new Duration(TimeUnit.MINUTES, 10)));
    Cache<String, String> c = managers.open(p).createCache("short", config);
    c.put("k", "v");
    long exp = RawMemcached.secondsLeft(raw.meta(mkey(managers, "short", "k")));
    assertTrue(exp >= 598 && exp <= 603, "seconds left in memcached: " + exp);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void zeroDurationStoresNothingAndNeverForever(Protocol p, TestManagers managers, RawMemcached raw) {
    CacheManager m = managers.open(p);
    MutableConfiguration<String, String> created = config();
    created.setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(Duration.ZERO));
    Cache<String, String> c = m.createCache("zero", created);
    c.put("k", "v");
    assertNull(c.get("k"));
    assertTrue(c.putIfAbsent("k2", "v"));
    assertNull(c.get("k2"));
    assertNull(raw.get(mkey(managers, "zero", "k")), "nothing stored for a zero creation duration");
    assertNull(raw.get(mkey(managers, "zero", "k2")));

    MutableConfiguration<String, String> modified = config();
    modified.setExpiryPolicyFactory(ModifiedExpiryPolicy.factoryOf(Duration.ZERO));
    Cache<String, String> mc = m.createCache("zeromod", modified);
    mc.put("k", "v");
    mc.putAll(Map.of("a", "1", "b", "2"));
    assertNull(mc.get("k"));
    assertNull(mc.get("a"));
    assertTrue(raw.keys(managers.flavor() + "-1-zeromod-").isEmpty(), "nothing stored");

    MutableConfiguration<String, String> touched = config();
    touched.setExpiryPolicyFactory(TouchedExpiryPolicy.factoryOf(new Duration(TimeUnit.MINUTES, 5)));
    Cache<String, String> tc = m.createCache("touched", touched);
    tc.put("k", "v");
    Map<String, String> meta = raw.meta(mkey(managers, "touched", "k"));
    assertTrue(!meta.get("exp").equals("-1"), "a 5 minute entry is not stored forever: " + meta);
  }

  /**
   * The default codec's entry holds exactly the bytes version 0.1.0 wrote (format 1, no codec id),
   * so JVMs of both versions share entries on one fleet.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void theDefaultCodecsEntryKeepsTheBytesOfVersion010(Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<String, String> c = managers.open(p).createCache("golden", config());
    c.put("k", "Sophie");
    byte[] expected = HexFormat.of().parseHex(
        "c7" + "01" + "7fffffffffffffff" // magic, format 1, eternal
            + "0006" + "676f6c64656e" // namespace "golden"
            + "00000001" + "6b" // key form "k"
            + "53" + "536f70686965"); // the default codec's 'S' and "Sophie"
    assertArrayEquals(expected, raw.get(mkey(managers, "golden", "k")));
  }

  /** Another codec's entry is format 3 and carries its id: the first 4 bytes of the MD5 of id(). */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anotherCodecsEntryCarriesItsId(Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<String, String> c = managers.open(p, "valueCodec=" + PlainTextCodec.class.getName()).createCache("texts", config());
    c.put("k", "Sophie");
    String id = HexFormat.of().formatHex(Hashing.md5(PlainTextCodec.class.getName().getBytes(StandardCharsets.UTF_8)), 0, 4);
    byte[] expected = HexFormat.of().parseHex(
        "c7" + "03" + "7fffffffffffffff" + "0005" + "7465787473" + "00000001" + "6b" + id + "536f70686965");
    assertArrayEquals(expected, raw.get(mkey(managers, "texts", "k")));
    assertEquals("Sophie", c.get("k"));
  }

  /**
   * Two JVMs that share a cache with different codecs read each other's entries as counted misses,
   * both ways. Before, the entry did not say which codec wrote it: the default codec read the text
   * codec's "Sophie" as "ophie" (its 'S' tag and the rest) and "J12345678" as a Long, the text
   * codec read the default codec's entries with their tag byte, and nothing was counted.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void entriesOfAnotherCodecAreCountedMisses(Protocol p, TestManagers managers) {
    CacheManager text = managers.open(p, "valueCodec=" + PlainTextCodec.class.getName());
    CacheManager standard = managers.open(p);
    Cache<String, String> t = text.createCache("shared", config());
    Cache<String, String> d = standard.createCache("shared", config());
    t.put("k", "Sophie");
    assertNull(d.get("k"), "the default codec never reads the text codec's entry");
    assertEquals(1, rejected(d));
    d.put("m", "Sophie");
    assertNull(t.get("m"), "the text codec never reads the default codec's entry");
    assertEquals(1, rejected(t));
    assertEquals("Sophie", t.get("k"));
    assertEquals("Sophie", d.get("m"));

    MutableConfiguration<String, Object> objects = new MutableConfiguration<String, Object>().setTypes(String.class, Object.class);
    Cache<String, Object> to = text.createCache("objects", objects);
    Cache<String, Object> dobj = standard.createCache("objects", objects);
    to.put("n", "J12345678"); // as the default codec's bytes: 'J' and a long
    assertNull(dobj.get("n"), "not a Long");
    assertEquals(Map.of(), dobj.getAll(Set.of("n")));
    assertEquals(2, rejected(dobj));
    dobj.put("o", 42L);
    assertNull(to.get("o"));
    assertEquals(1, rejected(to));

    Cache<String, String> same = managers.open(p, "valueCodec=" + PlainTextCodec.SameId.class.getName()).createCache("shared", config());
    assertEquals("Sophie", same.get("k"), "a codec of the same id reads the entry");
    Cache<String, String> own = managers.open(p, "valueCodec=" + PlainTextCodec.OwnId.class.getName()).createCache("shared", config());
    assertNull(own.get("k"), "a codec of another id does not, whatever its bytes");
    assertEquals(1, rejected(own));
  }

  /**
   * removeAll(), clear() and destroyCache remove the cache's entries whichever codec wrote them:
   * removing needs only the envelope's proof that an entry is the cache's, and is no rejection;
   * reading (the iterator) still counts another codec's entry as a miss. Before, all three left the
   * other codec's entries, counted as rejected, except clear() under the default key function,
   * which deletes unread.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void removalsTakeTheCachesEntriesOfAnotherCodec(Protocol p, TestManagers managers) {
    for (String keys : new String[] {"", "keyMangler=" + ReadableKeyMangler.class.getName()}) {
      String name = keys.isEmpty() ? "removed" : "removedReadable";
      String codec = "valueCodec=" + PlainTextCodec.class.getName();
      CacheManager text = managers.open(p, keys.isEmpty() ? codec : keys + "&" + codec);
      CacheManager standard = managers.open(p, keys);
      Cache<String, String> t = text.createCache(name, config());
      Cache<String, String> d = standard.createCache(name, config());
      t.put("a", "Sophie");
      d.put("m", "Anna");
      List<String> seen = new ArrayList<>();
      d.forEach(e -> seen.add(e.getKey()));
      assertEquals(List.of("m"), seen, keys);
      assertEquals(1, rejected(d), "the iterator reads the other codec's entry as a counted miss: " + keys);

      d.removeAll();
      assertNull(t.get("a"), "removeAll() removes the other codec's entry: " + keys);
      t.put("b", "Sophie");
      d.clear();
      assertNull(t.get("b"), "clear() removes the other codec's entry: " + keys);
      d.put("n", "Anna");
      t.removeAll();
      assertNull(d.get("n"), "and the other way round: " + keys);
      assertEquals(1, rejected(d), "removing is no rejection: " + keys);
      assertEquals(0, rejected(t), keys);

      t.put("c", "Sophie");
      standard.destroyCache(name);
      assertNull(t.get("c"), "destroyCache removes the other codec's entry: " + keys);
    }
  }

  /**
   * A subclass of the default codec that overrides neither encode nor decode writes the default
   * codec's bytes, so it keeps the default codec's id: its entries are format 1, shared with the
   * default codec and with what 0.1.0 wrote. One that overrides either gets its own id. Before, every
   * subclass got its own (its class name), and read its own 0.1.0 entries as counted misses.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aDefaultCodecSubclassThatKeepsItsBytesKeepsItsId(Protocol p, TestManagers managers, RawMemcached raw) {
    assertEquals(DefaultValueCodec.class.getName(), new KeptBytes().id());
    assertEquals(OtherBytes.class.getName(), new OtherBytes().id());
    assertEquals(DefaultValueCodec.class.getName(), new DefaultValueCodec().id());

    Cache<String, String> kept = managers.open(p, "valueCodec=" + KeptBytes.class.getName()).createCache("kept", config());
    Cache<String, String> standard = managers.open(p).createCache("kept", config());
    kept.put("k", "Sophie");
    assertEquals(Envelope.FORMAT, raw.get(mkey(managers, "kept", "k"))[1]);
    assertEquals("Sophie", standard.get("k"));
    raw.set(mkey(managers, "kept", "old"), Envelope.encode("kept".getBytes(StandardCharsets.US_ASCII),
        "old".getBytes(StandardCharsets.UTF_8), Expiry.ETERNAL, new DefaultValueCodec().encode("from 0.1.0")));
    assertEquals("from 0.1.0", kept.get("old"), "the subclass reads what it wrote under 0.1.0");
    assertEquals(0, rejected(kept));
  }

  /** A subclass of the default codec that keeps its bytes: it overrides neither encode nor decode. */
  public static final class KeptBytes extends DefaultValueCodec {}

  /** A subclass of the default codec that may write other bytes: it overrides an encode. */
  public static final class OtherBytes extends DefaultValueCodec {
    @Override
    public byte[] encode(Object value, int headroom) {
      return super.encode(value.toString(), headroom);
    }
  }

  private static long rejected(Cache<?, ?> c) {
    return c.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries();
  }
}
