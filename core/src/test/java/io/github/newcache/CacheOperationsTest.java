package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.processor.EntryProcessorException;
import javax.cache.processor.EntryProcessorResult;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Every {@link Cache} operation against a real memcached, in the text and the binary protocol. */
@ExtendWith(MemcachedExtension.class)
class CacheOperationsTest {

  private static Cache<String, String> strings(CacheManager m) {
    return m.createCache(
        "ops", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void getPutContainsKey(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    assertNull(c.get("a"));
    assertFalse(c.containsKey("a"));
    c.put("a", "1");
    assertEquals("1", c.get("a"));
    assertTrue(c.containsKey("a"));
    c.put("a", "2");
    assertEquals("2", c.get("a"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void getAllAndPutAll(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    Map<String, String> in = new LinkedHashMap<>();
    for (int i = 0; i < 250; i++) {
      in.put("k" + i, "v" + i);
    }
    c.putAll(in);
    Set<String> ask = new HashSet<>(in.keySet());
    ask.add("missing-1");
    ask.add("missing-2");
    assertEquals(in, c.getAll(ask));
    assertEquals(Map.of(), c.getAll(Set.of()));
    assertEquals(Map.of(), c.getAll(Set.of("nope")));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void putIfAbsent(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    assertTrue(c.putIfAbsent("a", "1"));
    assertFalse(c.putIfAbsent("a", "2"));
    assertEquals("1", c.get("a"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void removeKeyAndRemoveKeyValue(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    assertFalse(c.remove("a"));
    c.put("a", "1");
    assertTrue(c.remove("a"));
    assertNull(c.get("a"));
    assertFalse(c.remove("a"));

    c.put("b", "1");
    assertFalse(c.remove("b", "2"));
    assertEquals("1", c.get("b"));
    assertTrue(c.remove("b", "1"));
    assertNull(c.get("b"));
    assertFalse(c.remove("b", "1"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void getAndRemove(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    assertNull(c.getAndRemove("a"));
    c.put("a", "1");
    assertEquals("1", c.getAndRemove("a"));
    assertNull(c.get("a"));
    assertNull(c.getAndRemove("a"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void replaceForms(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    assertFalse(c.replace("a", "1"));
    assertNull(c.get("a"), "replace must not create");
    c.put("a", "1");
    assertTrue(c.replace("a", "2"));
    assertEquals("2", c.get("a"));

    assertFalse(c.replace("a", "1", "3"));
    assertEquals("2", c.get("a"));
    assertTrue(c.replace("a", "2", "3"));
    assertEquals("3", c.get("a"));
    assertFalse(c.replace("missing", "x", "y"));
    assertNull(c.get("missing"));

    assertNull(c.getAndReplace("missing", "x"));
    assertNull(c.get("missing"));
    assertEquals("3", c.getAndReplace("a", "4"));
    assertEquals("4", c.get("a"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void getAndPut(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    assertNull(c.getAndPut("a", "1"));
    assertEquals("1", c.getAndPut("a", "2"));
    assertEquals("2", c.get("a"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void clearAndRemoveAll(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    Cache<String, String> c = strings(m);
    Cache<String, String> other =
        m.createCache("other", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    other.put("a", "stays");
    for (int i = 0; i < 150; i++) {
      c.put("k" + i, "v" + i);
    }
    c.clear();
    for (int i = 0; i < 150; i++) {
      assertNull(c.get("k" + i));
    }
    assertFalse(c.iterator().hasNext());
    assertEquals("stays", other.get("a"), "clear must touch only its own cache");

    for (int i = 0; i < 150; i++) {
      c.put("k" + i, "v" + i);
    }
    c.removeAll(Set.of("k1", "k2", "absent"));
    assertNull(c.get("k1"));
    assertNull(c.get("k2"));
    assertEquals("v3", c.get("k3"));

    c.removeAll();
    for (int i = 0; i < 150; i++) {
      assertNull(c.get("k" + i), "k" + i);
    }
    assertEquals("stays", other.get("a"), "removeAll must touch only its own cache");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void iteratorSeesEveryEntryAndRemoves(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    Map<String, String> in = new HashMap<>();
    for (int i = 0; i < 230; i++) {
      in.put("k" + i, "v" + i);
    }
    c.putAll(in);
    Map<String, String> seen = new HashMap<>();
    for (Cache.Entry<String, String> e : c) {
      assertNull(seen.put(e.getKey(), e.getValue()), "seen twice: " + e.getKey());
    }
    assertEquals(in, seen);

    Iterator<Cache.Entry<String, String>> it = c.iterator();
    assertThrows(IllegalStateException.class, it::remove);
    int removed = 0;
    while (it.hasNext()) {
      Cache.Entry<String, String> e = it.next();
      if (Integer.parseInt(e.getKey().substring(1)) % 2 == 0) {
        it.remove();
        removed++;
      }
    }
    assertEquals(115, removed);
    for (int i = 0; i < 230; i++) {
      assertEquals(i % 2 == 0 ? null : "v" + i, c.get("k" + i), "k" + i);
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void invokeCreatesUpdatesRemovesAndReads(Protocol p, TestManagers managers) {
    Cache<String, Integer> c =
        managers.open(p).createCache(
            "counters", new MutableConfiguration<String, Integer>().setTypes(String.class, Integer.class));
    Integer r =
        c.invoke(
            "n",
            (e, args) -> {
              assertFalse(e.exists());
              e.setValue((Integer) args[0]);
              return e.getValue();
            },
            5);
    assertEquals(5, r);
    assertEquals(5, c.get("n"));
    c.invoke("n", (e, args) -> {
      e.setValue(e.getValue() + 1);
      return null;
    });
    assertEquals(6, c.get("n"));
    assertEquals(Boolean.TRUE, c.invoke("n", (e, args) -> e.exists()));
    c.invoke("n", (e, args) -> {
      e.remove();
      return null;
    });
    assertNull(c.get("n"));
    assertFalse(c.containsKey("n"));

    EntryProcessorException thrown =
        assertThrows(
            EntryProcessorException.class,
            () -> c.invoke("n", (e, args) -> {
              throw new IllegalStateException("boom");
            }));
    assertTrue(thrown.getCause() instanceof IllegalStateException);
    assertNull(c.get("n"), "a failed processor changes nothing");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void invokeAll(Protocol p, TestManagers managers) {
    Cache<String, Integer> c =
        managers.open(p).createCache(
            "counters", new MutableConfiguration<String, Integer>().setTypes(String.class, Integer.class));
    c.put("a", 1);
    c.put("b", 2);
    Map<String, EntryProcessorResult<Integer>> results =
        c.invokeAll(
            Set.of("a", "b", "c", "bad"),
            (e, args) -> {
              if (e.getKey().equals("bad")) {
                throw new IllegalArgumentException("bad key");
              }
              int next = (e.exists() ? e.getValue() : 0) + 10;
              e.setValue(next);
              return next;
            });
    assertEquals(11, results.get("a").get());
    assertEquals(12, results.get("b").get());
    assertEquals(10, results.get("c").get());
    assertThrows(EntryProcessorException.class, () -> results.get("bad").get());
    assertEquals(11, c.get("a"));
    assertEquals(12, c.get("b"));
    assertEquals(10, c.get("c"));
    assertNull(c.get("bad"));
  }

  /**
   * A key whose outcome fails after the processor ran (a value too large to store) is that key's
   * result, as a processor's own exception is; the other keys are still processed. Before, the
   * exception left invokeAll, with the keys after it never run and no results at all.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void invokeAllReportsAFailedOutcomeAsThatKeysResult(Protocol p, TestManagers managers) {
    Cache<String, byte[]> c = managers.open(p).createCache(
        "blobs", new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
    Map<String, EntryProcessorResult<Integer>> results = c.invokeAll(
        new java.util.TreeSet<>(Set.of("a", "b", "c")),
        (e, args) -> {
          byte[] value = new byte[e.getKey().equals("b") ? 2 * 1024 * 1024 : 10];
          e.setValue(value);
          return value.length;
        });
    assertEquals(10, results.get("a").get());
    EntryProcessorException failed = assertThrows(EntryProcessorException.class, () -> results.get("b").get());
    assertTrue(failed.getCause() instanceof IllegalArgumentException, String.valueOf(failed.getCause()));
    assertEquals(10, results.get("c").get(), "the key after the failed one was processed");
    assertNull(c.get("b"));
    assertEquals(10, c.get("c").length);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void configurationUnwrapAndClose(Protocol p, TestManagers managers) {
    CacheManager m = managers.open(p);
    Cache<String, String> c = strings(m);
    assertEquals("ops", c.getName());
    assertSame(m, c.getCacheManager());

    @SuppressWarnings("unchecked")
    CompleteConfiguration<String, String> config = c.getConfiguration(CompleteConfiguration.class);
    assertEquals(String.class, config.getKeyType());
    assertEquals(String.class, config.getValueType());
    Configuration<?, ?> plain = c.getConfiguration(Configuration.class);
    assertNotNull(plain);
    assertThrows(IllegalArgumentException.class, () -> c.getConfiguration(NotAConfiguration.class));

    assertSame(c, c.unwrap(NewcacheCache.class));
    assertSame(c, c.unwrap(Cache.class));
    assertThrows(IllegalArgumentException.class, () -> c.unwrap(String.class));

    c.put("a", "1");
    assertFalse(c.isClosed());
    c.close();
    assertTrue(c.isClosed());
    assertThrows(IllegalStateException.class, () -> c.get("a"));
    assertThrows(IllegalStateException.class, () -> c.put("a", "2"));
    assertNull(m.getCache("ops"), "a closed cache is forgotten by its manager");
    c.close(); // closing twice is harmless

    Cache<String, String> again = strings(m);
    assertEquals("1", again.get("a"), "closing a cache keeps its data on the servers");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void nullsAndWrongTypesAreRejected(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers.open(p));
    assertThrows(NullPointerException.class, () -> c.get(null));
    assertThrows(NullPointerException.class, () -> c.put("a", null));
    assertThrows(NullPointerException.class, () -> c.put(null, "a"));
    @SuppressWarnings({"unchecked", "rawtypes"})
    Cache<Object, Object> raw = (Cache) c;
    assertThrows(ClassCastException.class, () -> raw.put(1, "a"));
    assertThrows(ClassCastException.class, () -> raw.put("a", 1));
  }

  /**
   * A read-through getAll reads each value of the loader's map once: a loader may answer with a
   * view whose values are computed as they are read. Before, each value was read twice or more
   * (10 missing keys: 65 computations), once per entry and again by key.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aReadThroughGetAllReadsEachLoadedValueOnce(Protocol p, TestManagers managers) {
    MutableConfiguration<String, String> config = new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).setReadThrough(true)
        .setCacheLoaderFactory(javax.cache.configuration.FactoryBuilder.factoryOf(LazyValues.class));
    Cache<String, String> c = managers.open(p).createCache("lazy", config);
    Set<String> keys = new java.util.LinkedHashSet<>();
    for (int i = 0; i < 10; i++) {
      keys.add("k" + i);
    }
    LazyValues.COMPUTED.set(0);
    Map<String, String> got = c.getAll(keys);
    assertEquals(10, got.size());
    assertEquals("v:k3", got.get("k3"));
    assertEquals(10, LazyValues.COMPUTED.get(), "each loaded value computed once");
  }

  /** A loader answering getAll with a map view whose values are computed as they are read. */
  public static final class LazyValues implements javax.cache.integration.CacheLoader<String, String> {
    static final java.util.concurrent.atomic.AtomicInteger COMPUTED = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public String load(String key) {
      COMPUTED.incrementAndGet();
      return "v:" + key;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      Set<String> asked = new java.util.LinkedHashSet<>();
      keys.forEach(asked::add);
      return new java.util.AbstractMap<>() {
        @Override
        public Set<Map.Entry<String, String>> entrySet() {
          return new java.util.AbstractSet<>() {
            @Override
            public int size() {
              return asked.size();
            }

            @Override
            public Iterator<Map.Entry<String, String>> iterator() {
              Iterator<String> it = asked.iterator();
              return new Iterator<>() {
                @Override
                public boolean hasNext() {
                  return it.hasNext();
                }

                @Override
                public Map.Entry<String, String> next() {
                  String k = it.next();
                  return new java.util.AbstractMap.SimpleImmutableEntry<>(k, load(k));
                }
              };
            }
          };
        }
      };
    }
  }

  /** A configuration type no cache has. */
  private interface NotAConfiguration extends Configuration<String, String> {}
}
