package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.Escapes;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TestManagers;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Values: every common type round-trips; too large and non-serializable values fail clearly. */
@ExtendWith(MemcachedExtension.class)
class ValuesTest {

  /** A user type stored with Java serialization. */
  static final class Player implements Serializable {
    private static final long serialVersionUID = 1L;
    final String name;
    final int score;
    final List<String> badges;

    Player(String name, int score, List<String> badges) {
      this.name = name;
      this.score = score;
      this.badges = badges;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Player && ((Player) o).name.equals(name) && ((Player) o).score == score
          && ((Player) o).badges.equals(badges);
    }

    @Override
    public int hashCode() {
      return Objects.hash(name, score, badges);
    }
  }

  /** Not Serializable. */
  static final class Opaque {}

  private static Cache<Object, Object> objects(CacheManager m) {
    return m.createCache("values", new MutableConfiguration<>());
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void commonTypesRoundTrip(Protocol p, TestManagers managers) {
    Cache<Object, Object> c = objects(managers.open(p));
    Object[] values = {
      "", "text", "\u00e9\u4e2d\ud83d\ude00", "x".repeat(100_000), 0, Integer.MIN_VALUE, Long.MAX_VALUE,
      3.25d, Double.NaN, 1.5f, true, false, (short) -2, (byte) 9, 'c',
      new ArrayList<>(List.of("gold", 1)), new EnumMap<>(Map.of(java.time.DayOfWeek.MONDAY, 1)),
      java.time.Instant.ofEpochSecond(1_700_000_000L), new java.math.BigDecimal("1.50")
    };
    for (int i = 0; i < values.length; i++) {
      c.put("k" + i, values[i]);
    }
    for (int i = 0; i < values.length; i++) {
      Object back = c.get("k" + i);
      assertEquals(values[i], back, "value #" + i);
      assertEquals(values[i].getClass(), back.getClass(), "type of value #" + i);
    }
    byte[] bytes = new byte[70_000];
    new Random(1).nextBytes(bytes);
    c.put("bytes", bytes);
    assertArrayEquals(bytes, (byte[]) c.get("bytes"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void customSerializableClassRoundTripsWithJavaSerialization(Protocol p, TestManagers managers) {
    Cache<String, Player> c = managers.open(p).createCache(
        "players", new MutableConfiguration<String, Player>().setTypes(String.class, Player.class));
    Player ann = new Player("ann", 42, new ArrayList<>(List.of("gold", "silver")));
    c.put("ann", ann);
    Player back = c.get("ann");
    assertEquals(ann, back);
    assertTrue(back != ann, "stored by value");
    assertTrue(c.replace("ann", ann, new Player("ann", 43, List.of())), "replace(k, old, new) compares by equals");
    assertEquals(43, c.get("ann").score);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void stringsWithUnpairedSurrogatesRoundTrip(Protocol p, TestManagers managers) {
    Cache<Object, Object> c = objects(managers.open(p));
    c.put("a", "x\ud800y");
    c.put("b", "\udc00");
    assertEquals(Escapes.of("x\ud800y"), Escapes.of(c.get("a")), "lone high surrogate kept");
    assertEquals(Escapes.of("\udc00"), Escapes.of(c.get("b")), "lone low surrogate kept");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void numericKeysOfDifferentTypesAreDifferentKeys(Protocol p, TestManagers managers) {
    Cache<Object, Object> c = objects(managers.open(p));
    c.put(1, "int");
    c.put(1L, "long");
    c.put("1", "string");
    assertEquals("int", c.get(1));
    assertEquals("long", c.get(1L));
    assertEquals("string", c.get("1"));
    Player key = new Player("bob", 1, List.of());
    c.put(key, "by player");
    assertEquals("by player", c.get(new Player("bob", 1, List.of())));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void nonSerializableValueFailsClearly(Protocol p, TestManagers managers) {
    Cache<Object, Object> c = objects(managers.open(p));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.put("k", new Opaque()));
    assertTrue(e.getMessage().contains(Opaque.class.getName()), e.getMessage());
    assertTrue(e.getMessage().contains("Serializable"), e.getMessage());
    assertNull(c.get("k"));
    c.put("k", "fine");
    assertEquals("fine", c.get("k"));
    assertThrows(IllegalArgumentException.class, () -> c.putAll(Map.of("a", "ok", "b", new Opaque())));
    assertNull(c.get("a"), "putAll checks every value before storing any");
  }

  /** Message of the too-large failure, per protocol; the two must be the same. */
  private static final Map<Protocol, String> TOO_LARGE = new EnumMap<>(Protocol.class);

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void valueOverTheItemSizeFailsBeforeSendingAndTheConnectionStaysUsable(
      Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<Object, Object> c = objects(managers.open(p));
    c.put("before", "ok");
    byte[] big = new byte[1024 * 1024 + 1];
    new Random(2).nextBytes(big);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.put("big", big));
    assertTrue(e.getMessage().contains("big"), "names the key: " + e.getMessage());
    assertTrue(e.getMessage().contains("maxItemSize"), "names the setting: " + e.getMessage());
    assertTrue(raw.keys(managers.flavor() + "-").size() == 1, "nothing was sent for the big value");
    TOO_LARGE.put(p, e.getClass().getName() + ": " + e.getMessage());
    if (TOO_LARGE.size() == 2) {
      assertEquals(TOO_LARGE.get(Protocol.TEXT), TOO_LARGE.get(Protocol.BINARY), "same failure in both protocols");
    }

    assertThrows(IllegalArgumentException.class, () -> c.putIfAbsent("big", big));
    assertThrows(IllegalArgumentException.class, () -> c.getAndPut("before", big));
    assertThrows(IllegalArgumentException.class, () -> c.putAll(Map.of("big", big)));
    assertThrows(IllegalArgumentException.class, () -> c.replace("before", big));
    String bigString = "s".repeat(2 * 1024 * 1024);
    assertThrows(IllegalArgumentException.class, () -> c.put("bigString", bigString));

    c.put("after", "still works");
    assertEquals("still works", c.get("after"));
    assertEquals("ok", c.get("before"));
    assertNull(c.get("big"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void valueJustUnderTheItemSizeIsStored(Protocol p, TestManagers managers) {
    Cache<Object, Object> c = objects(managers.open(p));
    byte[] almost = new byte[1024 * 1024 - 1024];
    new Random(3).nextBytes(almost);
    c.put("almost", almost);
    assertArrayEquals(almost, (byte[]) c.get("almost"));
    c.put("after", 1);
    assertEquals(1, c.get("after"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void foreignItemUnderOurKeyReadsAsAbsent(Protocol p, TestManagers managers, RawMemcached raw) {
    Cache<Object, Object> c = objects(managers.open(p));
    c.put("k", "v");
    String mkey = raw.keys(managers.flavor() + "-").get(0);
    raw.set(mkey, "planted by someone else".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertNull(c.get("k"), "an item that is not our envelope is not a value");
    c.put("k", "mine again");
    assertEquals("mine again", c.get("k"));
  }
}
