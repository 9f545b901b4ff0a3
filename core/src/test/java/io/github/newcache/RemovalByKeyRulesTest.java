package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.key.KeySpace;
import io.github.newcache.key.ReadableKeyMangler;
import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import io.github.newcache.testing.PlainTextCodec;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryRemovedListener;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The entries {@code clear()} and {@code removeAll()} remove by their memcached keys alone, after
 * reading them to prove them the cache's: under a custom key function every entry {@code clear()}
 * removes, and those {@code removeAll()} cannot name (another value codec's, one that 0.1.0 stored
 * under a lease's key, one whose key this JVM cannot decode). Another client's write landing
 * between that read and the removal is left: the removal goes only while the item is the one read.
 * Over an in-memory memcached that runs the write just before the removal ({@link
 * InMemoryTransport#beforeRemoving}).
 */
class RemovalByKeyRulesTest {

  private static final String READABLE_KEYS = "&keyMangler=" + ReadableKeyMangler.class.getName();
  private static final String TEXT_VALUES = "&valueCodec=" + PlainTextCodec.class.getName();

  private final ManualClock clock = new ManualClock();
  private final InMemoryTransport memcached = new InMemoryTransport(clock);
  private final List<NewcacheCacheManager> managers = new ArrayList<>();

  @AfterEach
  void close() {
    managers.forEach(NewcacheCacheManager::close);
  }

  private NewcacheCacheManager open(String query) {
    NewcacheCacheManager m = InMemoryManagers.open("flavor=rules" + query, memcached, clock);
    managers.add(m);
    return m;
  }

  private static MutableConfiguration<String, String> config() {
    return new MutableConfiguration<String, String>().setTypes(String.class, String.class);
  }

  private static String memcachedKey(Cache<String, String> c, String key) {
    return c.unwrap(NewcacheCache.class).store.slot(key).memcachedKey();
  }

  /** {@code c.clear()} or {@code c.removeAll()}, by name. */
  private static void remove(Cache<String, String> c, String removal) {
    if (removal.equals("clear()")) {
      c.clear();
    } else {
      c.removeAll();
    }
  }

  /**
   * An entry that 0.1.0 stored under a lease's key (the user key {@code x.lease} under a mangler
   * that keeps the key's text) vanishes between the read that proved it an entry and its removal,
   * and another client takes the lease of {@code x} there: {@code clear()} and {@code removeAll()}
   * leave that lease. Before, both deleted the key unconditionally, and the lease's holder lost its
   * hold: a second load or write-through write of {@code x} could run beside its own.
   */
  @Test
  void aLeaseTakenWhereAnEntryUnderALeasesKeyWasIsLeft() {
    Cache<String, String> c = open(READABLE_KEYS).createCache("up", config());
    String old = new ReadableKeyMangler().mangle(new KeySpace("rules", 1, "up"), "x.lease".getBytes(StandardCharsets.US_ASCII));
    // What 0.1.0 stored for c.put("x.lease", "old"): format 1, eternal, namespace "up", key form
    // "x.lease", the default codec's 'S' and "old".
    byte[] stored = HexFormat.of().parseHex("c7" + "01" + "7fffffffffffffff" + "0002" + "7570"
        + "00000007" + "782e6c65617365" + "53" + "6f6c64");
    byte[] token = new byte[16];
    Arrays.fill(token, (byte) 7);
    for (String removal : List.of("clear()", "removeAll()")) {
      memcached.set(old, 0, stored);
      memcached.beforeRemoving(old, () -> {
        memcached.delete(old);
        memcached.add(old, 3, token); // another client's lease of x
      });
      remove(c, removal);
      assertArrayEquals(token, memcached.get(old), removal + " leaves the lease taken where the entry was");
      memcached.delete(old);

      memcached.set(old, 0, stored);
      remove(c, removal);
      assertNull(memcached.get(old), removal + " removes the entry left alone");
    }
  }

  /**
   * The cache writes its own entry over another value codec's entry of the same key between the
   * read that found the latter and its removal: {@code removeAll()}, which removes such entries
   * without telling listeners (they cannot be told a value this cache cannot read), leaves the new
   * entry, written during the call. Before, it deleted it too, and its listener never heard of that
   * removal. Under both key functions.
   */
  @Test
  void anEntryWrittenOverAnotherCodecsEntryDuringRemoveAllIsLeft() {
    for (String keys : List.of("", READABLE_KEYS)) {
      Removed.KEYS.clear();
      String name = keys.isEmpty() ? "codecs" : "codecsReadable";
      Cache<String, String> d = open(keys).createCache(name, config());
      d.registerCacheEntryListener(
          new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(Removed.class), null, false, true));
      Cache<String, String> t = open(keys + TEXT_VALUES).createCache(name, config());
      t.put("a", "Sophie");
      t.put("b", "Sophie");
      memcached.beforeRemoving(memcachedKey(d, "a"), () -> d.put("a", "Anna"));

      d.removeAll();
      assertEquals("Anna", d.get("a"), "the entry written during removeAll() stays: " + keys);
      assertEquals(List.of(), Removed.KEYS, "and no listener is told of a removal: " + keys);
      assertNull(t.get("b"), "the other codec's entry left alone is removed: " + keys);
    }
  }

  /**
   * An entry only rewritten (its bytes stored again, as another client's read under an access
   * expiry policy does when it moves the expiry) before each removal by CAS is read again and
   * removed all the same, by {@code clear()} under a custom key function and by {@code removeAll()}
   * (another codec's entry): reads by other clients are no sign of a write, and an entry that
   * existed before the call must go (review 75: with two reads, two other clients' reads during the
   * call left it, with its old value). One rewritten before each of the 8 rounds (a hot key) is
   * read once more and deleted by key, and every other entry is removed too (review 77: failing the
   * call there left the later batches, and destroyCache could not be called again).
   */
  @Test
  void anEntryRewrittenBeforeEachRemovalIsRemovedAllTheSameAndSoIsEveryOther() {
    String[][] cases = {{"clear()", READABLE_KEYS}, {"removeAll()", ""}, {"removeAll()", READABLE_KEYS}};
    for (int rewrites : new int[] {1, 7, 8, 9}) {
      for (String[] each : cases) {
        String removal = each[0];
        String name = "rewritten" + managers.size();
        Cache<String, String> d = open(each[1]).createCache(name, config());
        Cache<String, String> t = open(each[1] + TEXT_VALUES).createCache(name, config());
        List<String> mkeys = new ArrayList<>();
        for (int i = 0; i < 250; i++) {
          t.put("k" + i, "Sophie");
          mkeys.add(memcachedKey(d, "k" + i));
        }
        rewriteBeforeRemovals(mkeys.get(0), rewrites);
        remove(d, removal);
        String what = removal + ", rewritten " + rewrites + " times: " + each[1];
        assertEquals(List.of(), mkeys.stream().filter(k -> memcached.get(k) != null).toList(), what);
      }
    }
  }

  /**
   * A failure of some of the removals of a batch fails {@code removeAll()}, and the entries the
   * batch did remove are counted all the same (review 75: they were not).
   */
  @Test
  void theRemovalsMadeBeforeAFailureAreCounted() {
    Cache<String, String> d = open("").createCache("counted",
        config().setStatisticsEnabled(true));
    Cache<String, String> t = open(TEXT_VALUES).createCache("counted", config());
    for (String k : List.of("a", "b", "c")) {
      t.put(k, "Sophie");
    }
    memcached.failAfter("cas", 2, 1);
    assertThrows(CacheException.class, d::removeAll);
    assertEquals(2, d.unwrap(NewcacheCache.class).stats.getCacheRemovals(), "the two entries removed");
    assertEquals(1, List.of("a", "b", "c").stream().filter(k -> t.get(k) != null).count(), "the one left");

    // the same for the deletes by key of entries that changed before each removal by CAS (review 78)
    d.unwrap(NewcacheCache.class).stats.clear();
    for (String k : List.of("a", "b", "c")) {
      t.put(k, "Sophie");
    }
    rewriteBeforeRemovals(memcachedKey(d, "a"), 8);
    rewriteBeforeRemovals(memcachedKey(d, "b"), 8);
    memcached.failAfter("delete", 1, 1);
    assertThrows(CacheException.class, d::removeAll);
    assertEquals(2, d.unwrap(NewcacheCache.class).stats.getCacheRemovals(), "c, and one of a and b, removed");
    assertEquals(1, List.of("a", "b", "c").stream().filter(k -> t.get(k) != null).count(), "the other left");
  }

  /** Rewrites the item at {@code mkey} just before each of its next {@code times} deletes or cas. */
  private void rewriteBeforeRemovals(String mkey, int times) {
    if (times > 0) {
      memcached.beforeRemoving(mkey, () -> {
        memcached.set(mkey, 0, memcached.get(mkey));
        rewriteBeforeRemovals(mkey, times - 1);
      });
    }
  }

  /** Records the keys of REMOVED events. */
  public static final class Removed implements CacheEntryRemovedListener<String, String>, Serializable {
    private static final long serialVersionUID = 1L;
    static final List<String> KEYS = new CopyOnWriteArrayList<>();

    @Override
    public void onRemoved(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      for (CacheEntryEvent<? extends String, ? extends String> e : events) {
        KEYS.add(e.getKey());
      }
    }
  }
}
