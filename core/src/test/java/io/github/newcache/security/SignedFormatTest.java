package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.AsyncCache;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.internal.key.Hashing;
import io.github.newcache.testing.PlainTextCodec;
import io.github.newcache.testkit.RawMemcached;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.integration.CacheLoader;
import java.util.HashMap;
import java.util.Map;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.Properties;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * During a signing rollout some clients have the secret and some do not: each kind reads the
 * other's items as foreign (a counted miss), never as a wrong value.
 */
@ExtendWith(MemcachedExtension.class)
class SignedFormatTest {

  private static Cache<String, String> cache(TestManagers managers, Protocol p, String secret, String extra) {
    Properties props = new Properties();
    if (secret != null) {
      props.setProperty("secret", secret);
    }
    CacheManager m = managers.open(managers.uri(p, extra), SignedFormatTest.class.getClassLoader(), props);
    return m.createCache("rollout", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aClientWithoutTheSecretNeverReadsASignedEntry(Protocol p, TestManagers managers) {
    Cache<String, String> signed = cache(managers, p, "rollout-secret-0123456789", "opTimeout=3001");
    Cache<String, String> plain = cache(managers, p, null, "opTimeout=3002");
    signed.put("k", "hello");
    assertEquals("hello", signed.get("k"));
    assertNull(plain.get("k"), "the signed item is foreign to a client without the secret");
    assertTrue(plain.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries() >= 1, "and counted");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aClientWithTheSecretNeverReadsAnUnsignedEntry(Protocol p, TestManagers managers) {
    Cache<String, String> signed = cache(managers, p, "rollout-secret-0123456789", "opTimeout=3003");
    Cache<String, String> plain = cache(managers, p, null, "opTimeout=3004");
    plain.put("k", "hello");
    assertEquals("hello", plain.get("k"));
    assertNull(signed.get("k"), "the unsigned item is foreign to a client with the secret");
    assertTrue(signed.unwrap(NewcacheCache.class).failureStatistics().getUnsignedEntries() >= 1, "and counted");
  }

  /**
   * An item the secret does not sign under the key (left by an unsigned client, or by the old
   * secret) is replaced by a conditional write as any foreign item is. Before, the signed client
   * read it as no item, so each write tried an add that memcached refused, 10,000 times over, and
   * gave up naming other clients.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void conditionalWritesReplaceAnItemTheSecretDoesNotSign(Protocol p, TestManagers managers) {
    Cache<String, String> signed = cache(managers, p, "rollout-secret-0123456789", "opTimeout=3005");
    Cache<String, String> plain = cache(managers, p, null, "opTimeout=3006");
    plain.put("a", "old");
    plain.put("b", "old");
    plain.put("c", "old");
    plain.put("d", "old");
    assertTrue(signed.putIfAbsent("a", "new"), "no entry of the signed cache: it is absent");
    assertEquals("new", signed.get("a"));
    assertEquals(null, signed.getAndPut("b", "new"));
    assertEquals("new", signed.get("b"));
    assertTrue(signed.<Boolean>invoke("c", (e, args) -> {
      boolean absent = !e.exists();
      e.setValue("new");
      return absent;
    }));
    assertEquals("new", signed.get("c"));
    @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache, typed <String, String>
    AsyncCache<String, String> async = signed.unwrap(NewcacheCache.class).async();
    assertTrue(async.putIfAbsent("d", "new").join(), "the same without blocking");
    assertEquals("new", signed.get("d"));
  }

  /** Counts its loads; loads every key as "loaded". */
  public static final class Counting implements CacheLoader<String, String> {
    static final AtomicInteger LOADS = new AtomicInteger();

    @Override
    public String load(String key) {
      LOADS.incrementAndGet();
      return "loaded";
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      Map<String, String> out = new HashMap<>();
      keys.forEach(k -> out.put(k, load(k)));
      return out;
    }
  }

  /**
   * A lease item the secret does not sign is another client's lease all the same: a read-through
   * miss waits for it, polling, then loads at the lease timeout. Before, it read as "the holder is
   * gone", and the client tried to take the lease over in a loop with no pause until the timeout.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @SuppressWarnings("unchecked") // the configuration is the one created, typed <String, String>
  void aLeaseTheSecretDoesNotSignIsWaitedForNotSpunOn(Protocol p, TestManagers managers) throws Exception {
    Properties props = new Properties();
    props.setProperty("secret", "rollout-secret-0123456789");
    CacheManager m = managers.open(managers.uri(p, "opTimeout=3007"), SignedFormatTest.class.getClassLoader(), props);
    Cache<String, String> c = m.createCache("leased", new NewcacheConfiguration<String, String>()
        .setLeaseTimeoutMillis(1500)
        .setTypes(String.class, String.class)
        .setReadThrough(true)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(Counting.class)));
    String lease = managers.flavor() + "-1-leased-" + Hashing.md5Hex("k".getBytes(StandardCharsets.UTF_8)) + ".lease";
    try (RawMemcached raw = RawMemcached.of(managers.server())) {
      raw.set(lease, "someone else's".getBytes(StandardCharsets.UTF_8));
      long getsBefore = raw.stat("cmd_get");
      Counting.LOADS.set(0);
      assertEquals("loaded", c.get("k"));
      assertEquals(1, Counting.LOADS.get());
      long gets = raw.stat("cmd_get") - getsBefore;
      assertTrue(gets < 200, "polled, not spun: " + gets + " gets in 1.5 s");
    }
  }

  /**
   * Signed clients with different codecs read each other's entries as counted misses, both ways; a
   * signed entry of another codec is format 4, and its codec id is under the signature: changed to
   * another id, the item is a forgery.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void signedEntriesOfAnotherCodecAreCountedMisses(Protocol p, TestManagers managers, RawMemcached raw) {
    String secret = "rollout-secret-0123456789";
    Cache<String, String> text = cache(managers, p, secret, "opTimeout=3008&valueCodec=" + PlainTextCodec.class.getName());
    Cache<String, String> standard = cache(managers, p, secret, "opTimeout=3009");
    text.put("k", "Sophie");
    assertNull(standard.get("k"), "the default codec never reads the text codec's entry");
    assertEquals(1, standard.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries());
    standard.put("m", "Sophie");
    assertNull(text.get("m"), "the text codec never reads the default codec's entry");
    assertEquals(1, text.unwrap(NewcacheCache.class).failureStatistics().getRejectedEntries());

    String mkey = managers.flavor() + "-1-rollout-" + Hashing.md5Hex("k".getBytes(StandardCharsets.UTF_8));
    byte[] item = raw.get(mkey);
    assertEquals(4, item[1], "signed, with a codec id");
    int idAt = 16 + "rollout".length() + 1;
    item[idAt] ^= 1;
    raw.set(mkey, item);
    long unsigned = text.unwrap(NewcacheCache.class).failureStatistics().getUnsignedEntries();
    assertNull(text.get("k"));
    assertEquals(unsigned + 1, text.unwrap(NewcacheCache.class).failureStatistics().getUnsignedEntries(),
        "the signature covers the codec id");
  }
}
