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
import java.security.MessageDigest;
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

  /**
   * Another codec's entry (formats 3 and 4) carries the codec's id after the key form; only that id
   * reads it, and a reader of another codec, the default one included, can tell it is this key's
   * entry written by another codec.
   */
  @Test
  void anotherCodecsEntryIsReadOnlyByThatCodec() {
    int text = Envelope.codecId("com.example.TextCodec");
    int json = Envelope.codecId("com.example.JsonCodec");
    byte[] value = "Sophie".getBytes(StandardCharsets.UTF_8);
    byte[] raw = Envelope.encode(Envelope.CODEC_FORMAT, text, NS, KEY, 7, value);
    assertEquals(Envelope.headerLength(NS, KEY) + 4 + value.length, raw.length);
    assertEquals(Envelope.headerLength(NS, KEY) + 4, Envelope.headerLength(Envelope.CODEC_FORMAT, NS, KEY));
    Envelope env = Envelope.parse(raw, Envelope.CODEC_FORMAT, text, NS, KEY);
    assertNotNull(env);
    assertEquals(7, env.expiresAt());
    assertArrayEquals(KEY, env.keyForm());
    assertTrue(env.valueEquals(value));
    assertNotNull(Envelope.parse(raw, Envelope.CODEC_FORMAT, text, NS, null));

    assertNull(Envelope.parse(raw, Envelope.CODEC_FORMAT, json, NS, KEY), "another codec's id");
    assertNull(Envelope.parse(raw, NS, KEY), "the default codec");
    assertTrue(Envelope.otherCodec(raw, Envelope.CODEC_FORMAT, json, NS, KEY));
    assertTrue(Envelope.otherCodec(raw, Envelope.FORMAT, 0, NS, KEY));
    assertTrue(Envelope.otherCodec(raw, Envelope.FORMAT, 0, NS, null));
    assertFalse(Envelope.otherCodec(raw, Envelope.CODEC_FORMAT, text, NS, KEY), "its own codec");
    assertFalse(Envelope.otherCodec(raw, Envelope.CODEC_FORMAT, json, NS, "k2".getBytes(StandardCharsets.UTF_8)),
        "another key's entry is no codec mismatch");
    assertFalse(Envelope.otherCodec(raw, Envelope.SIGNED_CODEC_FORMAT, json, NS, KEY), "the other signing, not codec");
    assertTrue(Envelope.otherFormat(raw, Envelope.SIGNED_CODEC_FORMAT));
    assertTrue(Envelope.otherFormat(raw, Envelope.SIGNED_FORMAT));
    assertFalse(Envelope.otherFormat(raw, Envelope.FORMAT));

    byte[] standard = Envelope.encode(NS, KEY, 7, CODEC.encode("Sophie"));
    assertTrue(Envelope.otherCodec(standard, Envelope.CODEC_FORMAT, text, NS, KEY));
    assertFalse(Envelope.otherCodec(standard, Envelope.FORMAT, 0, NS, KEY));
    assertNull(Envelope.parse(standard, Envelope.CODEC_FORMAT, text, NS, KEY));

    for (int cut = 0; cut < Envelope.headerLength(Envelope.CODEC_FORMAT, NS, KEY); cut++) {
      byte[] truncated = Arrays.copyOf(raw, cut);
      assertNull(Envelope.parse(truncated, Envelope.CODEC_FORMAT, text, NS, KEY), "truncated to " + cut);
      assertFalse(Envelope.otherCodec(truncated, Envelope.CODEC_FORMAT, json, NS, KEY), "truncated to " + cut);
    }
  }

  /** The codec id is the first 4 bytes of the MD5 of the id's UTF-8, big-endian. */
  @Test
  void codecIdIsTheStartOfTheMd5OfTheId() throws Exception {
    byte[] md5 = MessageDigest.getInstance("MD5").digest("com.example.Codec/\u00e9".getBytes(StandardCharsets.UTF_8));
    int expected = ((md5[0] & 0xff) << 24) | ((md5[1] & 0xff) << 16) | ((md5[2] & 0xff) << 8) | (md5[3] & 0xff);
    assertEquals(expected, Envelope.codecId("com.example.Codec/\u00e9"));
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
