package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import java.net.URI;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Each kind of bad input fails with the exception the spec names and a message that names the
 * problem, and leaves the cache working: the entry written before is intact and the next
 * operations succeed. Both protocols (an oversized value behaves differently in each on the wire).
 */
@ExtendWith(MemcachedExtension.class)
class BadInputTest {

  private static LocalMemcached server;

  @BeforeAll
  static void server(LocalMemcached started) {
    server = started; // started and stopped with the class by MemcachedExtension
  }

  /** A value that is not Serializable. */
  private static final class Opaque {}

  @SuppressWarnings({"unchecked", "rawtypes"})
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void badInputFailsCleanlyAndLeavesTheCacheWorking(boolean binary) {
    try (CacheManager m =
        Caching.getCachingProvider()
            .getCacheManager(URI.create("memcached://" + server.address() + "/?flavor=bad&binary=" + binary), null)) {
      Cache<String, Object> objects = m.createCache("objects", new MutableConfiguration<String, Object>());
      Cache<String, String> typed =
          m.createCache("typed", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
      objects.put("kept", "before");
      typed.put("kept", "before");

      expect(NullPointerException.class, "key", () -> objects.get(null));
      expect(NullPointerException.class, "key", () -> objects.put(null, "v"));
      expect(NullPointerException.class, "value", () -> objects.put("k", null));
      Map<String, Object> withNull = new HashMap<>();
      withNull.put("a", "x");
      withNull.put("b", null);
      expect(NullPointerException.class, "", () -> objects.putAll(withNull));
      expect(NullPointerException.class, "", () -> objects.getAll(null));

      String notSerializable =
          expect(IllegalArgumentException.class, "Serializable", () -> objects.put("k", new Opaque()));
      assertTrue(notSerializable.contains(Opaque.class.getName()), notSerializable);
      expect(IllegalArgumentException.class, "key", () -> objects.put("k", new byte[2 << 20]));
      expect(IllegalArgumentException.class, "Serializable", () -> ((Cache) objects).put(new Opaque(), "v"));

      Cache raw = typed;
      expect(ClassCastException.class, "java.lang.Integer", () -> raw.put(1, "v"));
      expect(ClassCastException.class, "java.lang.Integer", () -> raw.put("k", 1));
      expect(ClassCastException.class, "java.lang.Integer", () -> raw.get(1));

      assertTrue(objects.getAll(Set.of("a", "b", "k")).isEmpty(), "nothing of a failed call was stored");
      assertEquals("before", objects.get("kept"));
      assertEquals("before", typed.get("kept"));
      objects.put("after", new byte[1000]);
      typed.put("after", "fine");
      assertEquals(1000, ((byte[]) objects.get("after")).length);
      assertEquals("fine", typed.get("after"));
      objects.clear();
      typed.clear();
    }
  }

  /** Asserts {@code call} throws {@code type} with {@code word} in its message; returns the message. */
  private static String expect(Class<? extends Throwable> type, String word, Executable call) {
    Throwable t = assertThrows(type, call::run);
    String message = String.valueOf(t.getMessage());
    assertTrue(message.contains(word), type.getSimpleName() + " message '" + message + "' should name " + word);
    return message;
  }

  /** A call that may throw. */
  @FunctionalInterface
  private interface Executable {
    void run();
  }
}
