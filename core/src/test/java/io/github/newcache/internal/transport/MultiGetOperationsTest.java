package io.github.newcache.internal.transport;

import static io.github.newcache.internal.transport.AnswerFeed.ascii;
import static io.github.newcache.internal.transport.AnswerFeed.concat;
import static io.github.newcache.internal.transport.AnswerFeed.sent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * The batches of gets a multi-get sends, one operation per server: the requests they encode (one
 * classic get of the keys; quiet binary gets and a no-op), and their reading of memcached's
 * answers, which name only the keys it holds (by key, in order; by place), in every split a socket
 * read can make. Over
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

  private static TextMultiGetOperation text(Heard heard) {
    return new TextMultiGetOperation(BATCH, heard);
  }

  // ---------------------------------------------------------------- text

  @Test
  void theTextBatchIsOneClassicGetOfItsKeys() {
    assertEquals("get ns:k0 ns:k1 ns:k2 ns:k3\r\n", text(sent(text(new Heard()))));
    assertEquals(List.of(KEYS), List.copyOf(text(new Heard()).getKeys()));
    TextMultiGetOperation op = text(new Heard());
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
    byte[] answer = ascii("VALUE ns:k0 0 6\r\nabcdef\r\nVALUE ns:k1 7 6\r\nghijkl\r\nVALUE ns:k3 4294967295 0\r\n\r\nEND\r\n");
    for (boolean direct : new boolean[] {false, true}) {
      for (int cut = 0; cut <= answer.length; cut++) {
        Heard heard = new Heard();
        TextMultiGetOperation op = AnswerFeed.feed(text(heard), answer, cut, direct);
        assertEquals(OperationState.COMPLETE, op.getState(), "split at " + cut);
        assertEquals(List.of("value 0 abcd|ef", "value 1 ghijkl", "value 3 ", "ok", "complete"), heard.events,
            "split at " + cut);
      }
    }
  }

  @Test
  void theTextBatchSkipsACasItDidNotAskForAndEndsWithNoValueWhenNoneIsFound() throws Exception {
    Heard heard = new Heard();
    AnswerFeed.feed(text(heard), ascii("VALUE ns:k2 0 2 123\r\nhi\r\nEND\r\n"), 5, false);
    assertEquals(List.of("value 2 hi", "ok", "complete"), heard.events);

    Heard none = new Heard();
    AnswerFeed.feed(text(none), ascii("END\r\n"), 1, false);
    assertEquals(List.of("ok", "complete"), none.events);
  }

  /** A key asked for twice is answered twice, in order: each answer goes to the next place of that key. */
  @Test
  void aKeyTwiceInTheTextBatchGetsEachAnswerInOrder() throws Exception {
    String[] twice = {"ns:a", "ns:b", "ns:a"};
    byte[][] encoded = Arrays.stream(twice).map(k -> GetBatch.encode(k, false)).toArray(byte[][]::new);
    Heard heard = new Heard();
    AnswerFeed.feed(new TextMultiGetOperation(new BatchKeys(twice, encoded, null), heard),
        ascii("VALUE ns:a 0 1\r\nx\r\nVALUE ns:a 0 1\r\nx\r\nEND\r\n"), 3, false);
    assertEquals(List.of("value 0 x", "value 2 x", "ok", "complete"), heard.events);
  }

  @Test
  void anAnswerThatIsNotTheTextBatchsFailsIt() {
    String[] foreign = {
      "VALUE ns:k1 0 2\r\nhi\r\nVALUE ns:k1 0 2\r\nhi\r\n", // the same key twice
      "VALUE ns:k2 0 2\r\nhi\r\nVALUE ns:k1 0 2\r\nhi\r\n", // out of order
      "VALUE ns:k9 0 2\r\nhi\r\n", // not asked for
      "VALUE ns:k 0 2\r\nhi\r\n", // a prefix of the batch's keys
      "VALUE ns:k1 0\r\nhi\r\n", // no size
      "VALUE ns:k1 0 x\r\n",
      "VALUE ns:k1 x 2\r\n",
      "VALUE ns:k1\r\n",
      "VALUE \r\n",
      "VALUE ns:k1 0 2\r\nhiX\r\n", // no CRLF after the value
      "VA 2 O1\r\nhi\r\n",
      "MN\r\n",
      "STORED\r\n",
      "ERROR\r\n",
      "SERVER_ERROR out of memory\r\n",
      "CLIENT_ERROR bad command line format\r\n",
    };
    for (String answer : foreign) {
      Heard heard = new Heard();
      TextMultiGetOperation op = text(heard);
      op.initialize();
      assertThrows(OperationException.class, () -> op.readFromBuffer(ByteBuffer.wrap(ascii(answer))), answer);
      assertTrue(op.hasErrored(), answer);
      assertFalse(heard.events.contains("ok"), answer);
    }
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
    assertEquals("Cmd: get (512 keys) Keys: [ns:key-0, ns:key-1, ns:key-2 and 509 more]",
        new TextMultiGetOperation(keys, new Heard()).toString());
    assertEquals("Cmd: getq (512 keys) Keys: [ns:key-0, ns:key-1, ns:key-2 and 509 more]",
        new BinaryMultiGetOperation(keys, new Heard()).toString());
    assertEquals("Cmd: get (3 keys) Keys: [ns:k0, ns:k1, ns:k2]",
        new TextMultiGetOperation(new BatchKeys(Arrays.copyOf(KEYS, 3), Arrays.copyOf(ENCODED, 3), null), new Heard())
            .toString());
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
