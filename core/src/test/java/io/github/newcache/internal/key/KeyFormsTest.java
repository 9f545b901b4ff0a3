package io.github.newcache.internal.key;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The stable binary form of keys: pure logic, no server. */
class KeyFormsTest {

  private static final ClassLoader LOADER = KeyFormsTest.class.getClassLoader();

  @Test
  void stringIsItsUtf8Bytes() {
    assertArrayEquals("games".getBytes(StandardCharsets.UTF_8), KeyForms.encode("games"));
    assertArrayEquals("\u00e9\ud83d\ude00".getBytes(StandardCharsets.UTF_8), KeyForms.encode("\u00e9\ud83d\ude00"));
  }

  @Test
  void everyKindOfKeyRoundTrips() {
    List<Object> keys =
        List.of("", "a b", "nul\0", "\u00e9\u4e2d", "lone \ud800", "lone \udc00 low", 0, -1,
            Integer.MAX_VALUE, 0L, Long.MIN_VALUE, java.time.LocalDate.of(2024, 1, 2), List.of(1, 2));
    for (Object k : keys) {
      Object back = KeyForms.decode(KeyForms.encode(k), LOADER);
      assertEquals(k, back, "key " + io.github.newcache.testing.Escapes.of(k) + " came back as "
          + io.github.newcache.testing.Escapes.of(back));
    }
  }

  /** A form encode cannot give is no key (a planted entry's): before, bytes left over were ignored. */
  @Test
  void aFormWithBytesMissingOrLeftOverIsRefused() {
    byte[] six = KeyForms.encode(7);
    byte[] ten = KeyForms.encode(7L);
    byte[] utf16 = KeyForms.encode("lone \ud800");
    for (byte[] bad : List.of(
        Arrays.copyOf(six, 7), Arrays.copyOf(six, 5), Arrays.copyOf(ten, 11), Arrays.copyOf(ten, 9),
        Arrays.copyOf(utf16, utf16.length + 1), new byte[] {(byte) 0xFF})) {
      assertThrows(IllegalStateException.class, () -> KeyForms.decode(bad, LOADER),
          io.github.newcache.testing.Escapes.of(new String(bad, StandardCharsets.ISO_8859_1)));
    }
  }

  @Test
  void distinctKeysHaveDistinctForms() {
    List<Object> keys = List.of("1", 1, 1L, "x\ud800y", "x\ud801y", "x\udc00y", "x\ufffdy", "x?y");
    for (int i = 0; i < keys.size(); i++) {
      for (int j = i + 1; j < keys.size(); j++) {
        assertFalse(
            Arrays.equals(KeyForms.encode(keys.get(i)), KeyForms.encode(keys.get(j))),
            "keys " + io.github.newcache.testing.Escapes.of(keys.get(i)) + " and "
                + io.github.newcache.testing.Escapes.of(keys.get(j)) + " share a form");
      }
    }
  }
}
