package io.github.newcache.internal.store;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.codec.DefaultValueCodec;
import io.github.newcache.internal.expiry.Expiry;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The stored envelope: layout, round trip, and rejection of what is not ours. Pure logic. */
class EnvelopeTest {

  private static final byte[] NS = "games".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] KEY = "k1".getBytes(StandardCharsets.UTF_8);
  private static final DefaultValueCodec CODEC = new DefaultValueCodec();
  private static final ClassLoader LOADER = EnvelopeTest.class.getClassLoader();

  @Test
  void roundTrip() {
    byte[] value = CODEC.encode("hello");
    byte[] raw = Envelope.encode(NS, KEY, 1_700_000_000_123L, value);
    assertEquals(16 + NS.length + KEY.length + value.length, raw.length);
    assertEquals(Envelope.MAGIC, raw[0]);
    assertEquals(Envelope.FORMAT, raw[1]);
    Envelope env = Envelope.parse(raw, NS, KEY);
    assertNotNull(env);
    assertEquals(1_700_000_000_123L, env.expiresAt());
    assertArrayEquals(KEY, env.keyForm());
    assertEquals("hello", env.value(CODEC, LOADER));
    assertTrue(env.valueEquals(value));
    assertFalse(env.valueEquals(CODEC.encode("hellO")));
    assertNotNull(Envelope.parse(raw, NS, null), "null key form accepts any key of the namespace");
  }

  @Test
  void expiry() {
    byte[] raw = Envelope.encode(NS, KEY, 1000, CODEC.encode(1));
    Envelope env = Envelope.parse(raw, NS, KEY);
    assertFalse(env.isExpired(999));
    assertTrue(env.isExpired(1000));
    Envelope eternal = Envelope.parse(Envelope.encode(NS, KEY, Expiry.ETERNAL, CODEC.encode(1)), NS, KEY);
    assertFalse(eternal.isExpired(Long.MAX_VALUE - 1));
    byte[] moved = Envelope.withExpiry(raw, 5000);
    assertEquals(5000, Envelope.parse(moved, NS, KEY).expiresAt());
    assertEquals(1000, Envelope.parse(raw, NS, KEY).expiresAt(), "withExpiry leaves the original alone");
    assertEquals(1, Envelope.parse(moved, NS, KEY).value(CODEC, LOADER));
  }

  @Test
  void emptyPartsRoundTrip() {
    byte[] raw = Envelope.encode(new byte[0], new byte[0], 7, new byte[0]);
    Envelope env = Envelope.parse(raw, new byte[0], new byte[0]);
    assertNotNull(env);
    assertEquals(0, env.keyForm().length);
  }

  @Test
  void otherNamespaceOrKeyIsAbsent() {
    byte[] raw = Envelope.encode(NS, KEY, 1, CODEC.encode("v"));
    assertNull(Envelope.parse(raw, "gamez".getBytes(StandardCharsets.US_ASCII), KEY));
    assertNull(Envelope.parse(raw, "game".getBytes(StandardCharsets.US_ASCII), KEY));
    assertNull(Envelope.parse(raw, NS, "k2".getBytes(StandardCharsets.UTF_8)));
    assertNull(Envelope.parse(raw, NS, "k".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void foreignOrDamagedBytesAreAbsent() {
    byte[] raw = Envelope.encode(NS, KEY, 1, CODEC.encode("v"));
    assertNull(Envelope.parse(null, NS, KEY));
    assertNull(Envelope.parse("plain memcached value".getBytes(StandardCharsets.US_ASCII), NS, KEY));
    byte[] wrongFormat = raw.clone();
    wrongFormat[1] = 2;
    assertNull(Envelope.parse(wrongFormat, NS, KEY));
    for (int cut = 0; cut < 16 + NS.length + KEY.length; cut++) {
      assertNull(Envelope.parse(Arrays.copyOf(raw, cut), NS, KEY), "truncated to " + cut);
    }
    byte[] hugeKeyLength = raw.clone();
    hugeKeyLength[12 + NS.length] = (byte) 0x7f;
    assertNull(Envelope.parse(hugeKeyLength, NS, KEY));
    byte[] negativeKeyLength = raw.clone();
    negativeKeyLength[12 + NS.length] = (byte) 0xff;
    assertNull(Envelope.parse(negativeKeyLength, NS, null));
    byte[] overflowingKeyLength = raw.clone(); // the key's end past Integer.MAX_VALUE: overflowed to negative before
    overflowingKeyLength[12 + NS.length] = (byte) 0x7f;
    overflowingKeyLength[13 + NS.length] = (byte) 0xff;
    overflowingKeyLength[14 + NS.length] = (byte) 0xff;
    overflowingKeyLength[15 + NS.length] = (byte) 0xf0;
    assertNull(Envelope.parse(overflowingKeyLength, NS, null));
  }

  @Test
  void codecRoundTripsCommonTypes() {
    Object[] values = {
      "", "text \u00e9\u4e2d\ud83d\ude00", "lone \ud800 surrogate", new byte[] {0, 1, (byte) 255},
      1, -1L, 1.5d, 2.5f, true, false, (short) 7, (byte) -3, 'x', java.util.List.of(1, "a")
    };
    for (Object v : values) {
      Object back = CODEC.decode(CODEC.encode(v), 0, CODEC.encode(v).length, LOADER);
      if (v instanceof byte[]) {
        assertArrayEquals((byte[]) v, (byte[]) back);
      } else {
        assertEquals(v, back, "value " + io.github.newcache.testing.Escapes.of(v) + " came back as "
            + io.github.newcache.testing.Escapes.of(back));
        assertEquals(v.getClass(), back.getClass());
      }
    }
  }
}
