package io.github.newcache.internal.transport;

import static io.github.newcache.internal.transport.AnswerFeed.ascii;
import static io.github.newcache.internal.transport.AnswerFeed.concat;
import static io.github.newcache.internal.transport.AnswerFeed.sent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.spy.memcached.ops.OperationException;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import org.junit.jupiter.api.Test;

/**
 * The batches of gets a multi-get sends, one operation per server: the requests they encode (quiet
 * meta gets and a meta no-op; quiet binary gets and a no-op), and their reading of memcached's
 * answers, which name only the keys it holds, by place, in every split a socket read can make. Over
 * real servers, through the cache: {@code MultiGetBatchesTest}.
 */
class MultiGetOperationsTest {

  private static final String[] KEYS = {"ns:k0", "ns:k1", "ns:k2", "ns:k3"};
  private static final byte[][] ENCODED = Arrays.stream(KEYS).map(k -> GetBatch.encode(k, false)).toArray(byte[][]::new);
  /** Read values over 4 bytes in two parts, but the second key's in one. */
  private static final int[] HEADS = {4, 0, 4, 4};
  private static final BatchKeys BATCH = new BatchKeys(KEYS, ENCODED, HEADS);

  /** What a batch told its callback: "value i head|tail", then the status and the completion. */
  private static final class Heard implements BatchCallback {
    final List<String> events = new ArrayList<>();

    @Override
    public void gotValue(int index, byte[] head, byte[] tail) {
      events.add("value " + index + " " + text(head) + (tail == null ? "" : "|" + text(tail)));
    }

    @Override
    public void gotData(String key, int flags, byte[] data) {
      events.add("data " + key);
    }

    @Override
    public void gotParts(String key, byte[] head, byte[] tail) {
      events.add("parts " + key);
    }

    @Override
    public void receivedStatus(OperationStatus s) {
      events.add(s.isSuccess() ? "ok" : "status");
    }

    @Override
    public void complete() {
      events.add("complete");
    }
  }

  private static String text(byte[] b) {
    return new String(b, StandardCharsets.US_ASCII);
  }

  private static MetaMultiGetOperation meta(Heard heard, List<SocketAddress> unknown) {
    return new MetaMultiGetOperation(BATCH, heard, unknown::add);
  }

  // ---------------------------------------------------------------- text

  @Test
  void theTextBatchIsAQuietMetaGetPerKeyNamingItsPlaceThenANoOp() {
    assertEquals("mg ns:k0 v q O0\r\nmg ns:k1 v q O1\r\nmg ns:k2 v q O2\r\nmg ns:k3 v q O3\r\nmn\r\n",
        text(sent(meta(new Heard(), new ArrayList<>()))));
    assertEquals(List.of(KEYS), List.copyOf(meta(new Heard(), new ArrayList<>()).getKeys()));
    MetaMultiGetOperation op = meta(new Heard(), new ArrayList<>());
    assertWeighedByWhatItHolds(op, sent(op).length);
  }

  /**
   * A batch holds its request and its keys' encoded forms (20 bytes here) while it waits in a
   * queue, and queues weigh it by that: the byte bound on what waits for a server counts them.
   */
  private static void assertWeighedByWhatItHolds(GetBatch op, int requestLength) {
    assertEquals(requestLength, op.requestBytes());
    assertEquals(requestLength + 20 + KEYS.length * BatchKeys.PER_KEY, op.heldBytes());
    BudgetedQueue queue = new BudgetedQueue(16, new QueueBudget(1 << 20), true, true);
    assertEquals(BudgetedQueue.OVERHEAD + op.heldBytes(), queue.weight(op));
  }

  @Test
  void aKeyMemcachedWouldRefuseIsNamedWithWhatIsAllowed() {
    assertArrayEquals("clé".getBytes(StandardCharsets.UTF_8), GetBatch.encode("clé", false));
    String[] refused = {"", "x".repeat(251), "a b", "a\r", "a\n", "a\0"};
    for (String key : refused) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GetBatch.encode(key, false));
      assertTrue(e.getMessage().contains("'" + key + "'") && (e.getMessage().contains("1 to 250") || e.getMessage().contains("space")),
          e.getMessage());
    }
    assertEquals(3, GetBatch.encode("a b", true).length, "the binary protocol takes any bytes");
    assertThrows(IllegalArgumentException.class, () -> GetBatch.encode("x".repeat(251), true));
  }

  @Test
  void theTextBatchGivesEachValueFoundToItsPlaceInEverySplit() throws Exception {
    byte[] answer = ascii("VA 6 O0\r\nabcdef\r\nVA 6 O1\r\nghijkl\r\nVA 0 O3\r\n\r\nMN\r\n");
    for (boolean direct : new boolean[] {false, true}) {
      for (int cut = 0; cut <= answer.length; cut++) {
        Heard heard = new Heard();
        MetaMultiGetOperation op = AnswerFeed.feed(meta(heard, new ArrayList<>()), answer, cut, direct);
        assertEquals(OperationState.COMPLETE, op.getState(), "split at " + cut);
        assertEquals(List.of("value 0 abcd|ef", "value 1 ghijkl", "value 3 ", "ok", "complete"), heard.events,
            "split at " + cut);
      }
    }
  }

  @Test
  void theTextBatchSkipsFlagsItDidNotAskForAndEndsWithNoValueWhenNoneIsFound() throws Exception {
    Heard heard = new Heard();
    AnswerFeed.feed(meta(heard, new ArrayList<>()), ascii("VA 2 W O2 X\r\nhi\r\nMN\r\n"), 5, false);
    assertEquals(List.of("value 2 hi", "ok", "complete"), heard.events);

    Heard none = new Heard();
    AnswerFeed.feed(meta(none, new ArrayList<>()), ascii("MN\r\n"), 1, false);
    assertEquals(List.of("ok", "complete"), none.events);
  }

  @Test
  void anAnswerThatIsNotTheTextBatchsFailsIt() {
    String[] foreign = {
      "VA 2 O1\r\nhi\r\nVA 2 O1\r\nhi\r\n", // the same place twice
      "VA 2 O2\r\nhi\r\nVA 2 O1\r\nhi\r\n", // out of order
      "VA 2 O4\r\nhi\r\n", // past the batch
      "VA 2\r\nhi\r\n", // no place
      "VA 2 O\r\nhi\r\n",
      "VA x O1\r\n",
      "EN\r\n", // not quiet
      "VA 2 O1\r\nhiX\r\n", // no CRLF after the value
      "STORED\r\n",
      "SERVER_ERROR out of memory\r\n",
      "CLIENT_ERROR bad command line format\r\n",
    };
    for (String answer : foreign) {
      Heard heard = new Heard();
      List<SocketAddress> unknown = new ArrayList<>();
      MetaMultiGetOperation op = meta(heard, unknown);
      op.initialize();
      assertThrows(OperationException.class, () -> op.readFromBuffer(ByteBuffer.wrap(ascii(answer))), answer);
      assertTrue(op.hasErrored(), answer);
      assertFalse(heard.events.contains("ok"), answer);
      assertEquals(List.of(), unknown, answer);
    }
  }

  @Test
  void aServerThatDoesNotKnowTheMetaGetIsToldAndFailsTheBatch() {
    Heard heard = new Heard();
    List<SocketAddress> unknown = new ArrayList<>();
    MetaMultiGetOperation op = meta(heard, unknown);
    op.initialize();
    OperationException e = assertThrows(OperationException.class, () -> op.readFromBuffer(ByteBuffer.wrap(ascii("ERROR\r\n"))));
    assertTrue(e.getMessage().contains("meta get"), e.getMessage());
    assertEquals(1, unknown.size(), "the transport hears of it");
  }

  // ---------------------------------------------------------------- binary

  /** memcached's answer to a binary request: header, flags as extras when there is a value, value. */
  private static byte[] answer(int opcode, int status, int opaque, byte[] value) {
    int extras = opcode == 0x09 && status == 0 ? 4 : 0;
    ByteBuffer b = ByteBuffer.allocate(24 + extras + value.length);
    b.put((byte) 0x81).put((byte) opcode).putShort((short) 0).put((byte) extras).put((byte) 0)
        .putShort((short) status).putInt(extras + value.length).putInt(opaque).putLong(0);
    if (extras > 0) {
      b.putInt(0);
    }
    return b.put(value).array();
  }

  /** spymemcached logs an operation by its toString(): a batch of 512 keys must not make a 20 KB line. */
  @Test
  void aBatchNamesItsFirstKeysInLogsAndCountsTheRest() {
    String[] many = new String[GetBatches.MAX_KEYS];
    byte[][] encoded = new byte[many.length][];
    for (int i = 0; i < many.length; i++) {
      many[i] = "ns:key-" + i;
      encoded[i] = GetBatch.encode(many[i], false);
    }
    BatchKeys keys = new BatchKeys(many, encoded, null);
    assertEquals("Cmd: mg (512 keys) Keys: [ns:key-0, ns:key-1, ns:key-2 and 509 more]",
        new MetaMultiGetOperation(keys, new Heard(), unknown -> {}).toString());
    assertEquals("Cmd: getq (512 keys) Keys: [ns:key-0, ns:key-1, ns:key-2 and 509 more]",
        new BinaryMultiGetOperation(keys, new Heard()).toString());
    assertEquals("Cmd: mg (3 keys) Keys: [ns:k0, ns:k1, ns:k2]",
        new MetaMultiGetOperation(new BatchKeys(Arrays.copyOf(KEYS, 3), Arrays.copyOf(ENCODED, 3), null), new Heard(),
            unknown -> {}).toString());
  }

  @Test
  void theBinaryBatchIsAQuietGetPerKeyWithConsecutiveOpaquesThenANoOp() {
    BinaryMultiGetOperation op = new BinaryMultiGetOperation(BATCH, new Heard());
    ByteBuffer b = ByteBuffer.wrap(sent(op));
    for (int i = 0; i < KEYS.length; i++) {
      int at = b.position();
      assertEquals((byte) 0x80, b.get(at));
      assertEquals(0x09, b.get(at + 1), "getq");
      assertEquals(5, b.getShort(at + 2), "key length");
      assertEquals(5, b.getInt(at + 8), "body: the key");
      assertEquals(op.opaque() + i, b.getInt(at + 12));
      byte[] key = new byte[5];
      b.position(at + 24).get(key);
      assertEquals(KEYS[i], text(key));
    }
    assertEquals(0x0a, b.get(b.position() + 1), "noop");
    assertEquals(op.opaque() + KEYS.length, b.getInt(b.position() + 12));
    assertEquals(24, b.remaining());
    assertWeighedByWhatItHolds(op, b.capacity());
  }

  @Test
  void theBinaryBatchGivesEachValueFoundToItsPlaceInEverySplit() throws Exception {
    for (boolean direct : new boolean[] {false, true}) {
      for (int cut = 0; cut <= 3 * 24 + 8 + 12 + 24; cut++) {
        Heard heard = new Heard();
        BinaryMultiGetOperation op = new BinaryMultiGetOperation(BATCH, heard);
        int o = op.opaque();
        byte[] answer = concat(answer(0x09, 0, o, ascii("abcdef")), answer(0x09, 0, o + 1, ascii("ghijkl")),
            answer(0x09, 0, o + 3, new byte[0]), answer(0x0a, 0, o + 4, new byte[0]));
        AnswerFeed.feed(op, answer, Math.min(cut, answer.length), direct);
        assertEquals(OperationState.COMPLETE, op.getState(), "split at " + cut);
        assertEquals(List.of("value 0 abcd|ef", "value 1 ghijkl", "value 3 ", "ok", "complete"), heard.events,
            "split at " + cut);
      }
    }
  }

  @Test
  void anAnswerThatIsNotTheBinaryBatchsFailsIt() {
    for (int kind = 0; kind < 6; kind++) {
      Heard heard = new Heard();
      BinaryMultiGetOperation op = new BinaryMultiGetOperation(BATCH, heard);
      int o = op.opaque();
      byte[] answer = switch (kind) {
        case 0 -> concat(answer(0x09, 0, o + 1, ascii("v")), answer(0x09, 0, o + 1, ascii("v"))); // twice
        case 1 -> concat(answer(0x09, 0, o + 2, ascii("v")), answer(0x09, 0, o, ascii("v"))); // out of order
        case 2 -> answer(0x09, 0, o + 4, ascii("v")); // the no-op's opaque
        case 3 -> answer(0x0a, 0, o + 3, new byte[0]); // a no-op with a key's
        case 4 -> answer(0x00, 0, o, ascii("v")); // a get that is not quiet
        default -> answer(0x09, 0x82, o, ascii("Out of memory")); // a status other than found
      };
      op.initialize();
      assertThrows(OperationException.class, () -> op.readFromBuffer(ByteBuffer.wrap(answer)), "kind " + kind);
      assertTrue(op.hasErrored(), "kind " + kind);
      assertFalse(heard.events.contains("ok"), "kind " + kind);
    }
  }

  @Test
  void eachBatchTakesOpaquesOfItsOwn() {
    BinaryMultiGetOperation a = new BinaryMultiGetOperation(new BatchKeys(KEYS, ENCODED, null), new Heard());
    BinaryMultiGetOperation b = new BinaryMultiGetOperation(new BatchKeys(KEYS, ENCODED, null), new Heard());
    assertTrue(b.opaque() - a.opaque() >= KEYS.length + 1, a.opaque() + ", " + b.opaque());
    assertArrayEquals(new byte[] {0x09}, Arrays.copyOfRange(sent(a), 1, 2));
  }
}
