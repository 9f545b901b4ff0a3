package io.github.newcache.internal.transport;

import static io.github.newcache.internal.transport.AnswerFeed.ascii;
import static io.github.newcache.internal.transport.AnswerFeed.concat;
import static io.github.newcache.internal.transport.AnswerFeed.sent;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.spy.memcached.ops.OperationException;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.ops.StoreOperation;
import net.spy.memcached.ops.StoreType;
import org.junit.jupiter.api.Test;

/**
 * Our binary-protocol set and get: the requests they encode, and their reading of memcached's
 * answers in every split a socket read can make, the value in one array or two. Over a real
 * memcached, through the cache: {@code WritesInPartsTest} and {@code ValuesInPartsTest}.
 */
class BinaryOperationsTest {

  /** What an operation told its callback. */
  private static final class Heard implements StoreOperation.Callback, MetaGetOperation.PartsCallback {
    final List<String> events = new ArrayList<>();
    OperationStatus status;
    byte[] head;
    byte[] tail;
    long cas;

    @Override
    public void gotData(String key, long cas) {
      events.add("cas " + key);
      this.cas = cas;
    }

    @Override
    public void gotData(String key, int flags, byte[] data) {
      events.add("data " + key);
      head = data;
    }

    @Override
    public void gotParts(String key, byte[] head, byte[] tail) {
      events.add("parts " + key);
      this.head = head;
      this.tail = tail;
    }

    @Override
    public void receivedStatus(OperationStatus s) {
      events.add(s.isSuccess() ? "ok" : "status");
      status = s;
    }

    @Override
    public void complete() {
      events.add("complete");
    }
  }

  private static int opaque(byte[] request) {
    return ByteBuffer.wrap(request).getInt(12);
  }

  /** memcached's answer to a request: header, then extras, key and value. */
  private static byte[] answer(int opcode, int status, int opaque, long cas, byte[] extras, byte[] value) {
    ByteBuffer b = ByteBuffer.allocate(24 + extras.length + value.length);
    b.put((byte) 0x81).put((byte) opcode).putShort((short) 0).put((byte) extras.length).put((byte) 0)
        .putShort((short) status).putInt(extras.length + value.length).putInt(opaque).putLong(cas)
        .put(extras).put(value);
    return b.array();
  }

  @Test
  void aSetSendsBothPartsInOneRequestAsTheyWereWhenItWasMade() {
    byte[] head = ascii("head");
    byte[] tail = {0, -1};
    BinarySetOperation op = new BinarySetOperation("ns:k", 3600, new Parts(head, tail), new Heard());
    head[0] = 'X';
    byte[] request = sent(op);
    ByteBuffer b = ByteBuffer.wrap(request);
    assertEquals((byte) 0x80, b.get(0));
    assertEquals(0x01, b.get(1), "set");
    assertEquals(4, b.getShort(2), "key length");
    assertEquals(8, b.get(4), "extras: flags and expiry");
    assertEquals(8 + 4 + 6, b.getInt(8), "body");
    assertEquals(0, b.getInt(24), "flags");
    assertEquals(3600, b.getInt(28), "expiry");
    assertArrayEquals(concat(ascii("ns:k"), ascii("head"), new byte[] {0, -1}), Arrays.copyOfRange(request, 32, request.length));
    assertArrayEquals(concat(ascii("head"), new byte[] {0, -1}), op.getData(), "what a redistribution clones");
    assertEquals(StoreType.set, op.getStoreType());
    assertEquals(3600, op.getExpiration());
    assertEquals(request.length, op.requestBytes());
    assertArrayEquals(request, sent(op), "initialized again, it sends the whole request again");
    assertTrue(opaque(request) != opaque(sent(new BinarySetOperation("ns:k", 0, new Parts(head, null), new Heard()))),
        "each request its own opaque");
  }

  @Test
  void aStoredAnswerInEverySplitSucceedsWithItsCas() throws Exception {
    for (boolean direct : new boolean[] {false, true}) {
      for (int cut = 0; cut <= 24; cut++) {
        Heard heard = new Heard();
        BinarySetOperation op = new BinarySetOperation("k", 0, new Parts(ascii("v"), null), heard);
        byte[] answer = answer(0x01, 0, opaque(sent(op)), 77, new byte[0], new byte[0]);
        AnswerFeed.feed(op, answer, cut, direct);
        assertEquals(OperationState.COMPLETE, op.getState(), "split at " + cut);
        assertEquals(List.of("cas k", "ok", "complete"), heard.events, "split at " + cut);
        assertEquals(77, heard.cas);
      }
    }
  }

  @Test
  void aStatusMemcachedDefinesEndsTheSetWithItsMessageAndAnyOtherFailsIt() throws Exception {
    Heard heard = new Heard();
    BinarySetOperation big = new BinarySetOperation("k", 0, new Parts(ascii("v"), null), heard);
    AnswerFeed.feed(big, answer(0x01, 0x03, opaque(sent(big)), 0, new byte[0], ascii("Too large.")), 30, false);
    assertFalse(big.hasErrored(), "the connection stays: memcached read the item");
    assertEquals(StatusCode.ERR_2BIG, heard.status.getStatusCode());
    assertEquals("Too large.", heard.status.getMessage());

    BinarySetOperation odd = new BinarySetOperation("k", 0, new Parts(ascii("v"), null), new Heard());
    byte[] unknown = answer(0x01, 0x99, opaque(sent(odd)), 0, new byte[0], ascii("?"));
    OperationException e = assertThrows(OperationException.class, () -> odd.readFromBuffer(ByteBuffer.wrap(unknown)));
    assertTrue(e.getMessage().contains("0x99"), e.getMessage());
    assertTrue(odd.hasErrored());
  }

  @Test
  void anAnswerToAnotherRequestFailsTheOperation() {
    BinarySetOperation op = new BinarySetOperation("k", 0, new Parts(ascii("v"), null), new Heard());
    int opaque = opaque(sent(op));
    byte[][] foreign = {
      answer(0x01, 0, opaque + 1, 0, new byte[0], new byte[0]),
      answer(0x00, 0, opaque, 0, new byte[0], new byte[0]),
      ascii("STORED\r\n\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"),
    };
    for (byte[] answer : foreign) {
      Heard heard = new Heard();
      BinarySetOperation again = new BinarySetOperation("k", 0, new Parts(ascii("v"), null), heard);
      byte[] a = answer.clone();
      if (a[0] == (byte) 0x81) {
        ByteBuffer.wrap(a).putInt(12, ByteBuffer.wrap(a).getInt(12) - opaque + opaque(sent(again)));
      }
      assertThrows(OperationException.class, () -> again.readFromBuffer(ByteBuffer.wrap(a)));
      assertTrue(again.hasErrored());
      assertFalse(heard.events.contains("ok"));
    }
  }

  @Test
  void aGetSendsItsKeyAndReadsAValueLongerThanTheHeadInTwoArraysInEverySplit() throws Exception {
    byte[] request = sent(new BinaryGetOperation("ns:k", new Heard(), 4));
    assertEquals(0x00, request[1], "get");
    assertEquals(24 + 4, request.length);
    assertArrayEquals(ascii("ns:k"), Arrays.copyOfRange(request, 24, 28));
    for (String text : new String[] {"", "abc", "abcd", "abcde", "abcdefghij"}) {
      byte[] value = ascii(text);
      for (boolean direct : new boolean[] {false, true}) {
        for (int cut = 0; cut <= 24 + 4 + value.length; cut++) {
          Heard heard = new Heard();
          BinaryGetOperation op = new BinaryGetOperation("k", heard, 4);
          byte[] answer = answer(0x00, 0, opaque(sent(op)), 5, new byte[] {0, 0, 0, 9}, value);
          AnswerFeed.feed(op, answer, cut, direct);
          String at = "'" + text + "' split at " + cut;
          assertEquals(OperationState.COMPLETE, op.getState(), at);
          if (value.length > 4) {
            assertEquals(List.of("parts k", "ok", "complete"), heard.events, at);
            assertArrayEquals(Arrays.copyOf(value, 4), heard.head, at);
            assertArrayEquals(Arrays.copyOfRange(value, 4, value.length), heard.tail, at);
          } else {
            assertEquals(List.of("data k", "ok", "complete"), heard.events, at);
            assertArrayEquals(value, heard.head, at);
            assertNull(heard.tail, at);
          }
        }
      }
    }
  }

  @Test
  void aMissIsNotFoundAndItsMessageIsNoValue() throws Exception {
    for (int cut = 0; cut <= 33; cut++) {
      Heard heard = new Heard();
      BinaryGetOperation op = new BinaryGetOperation("k", heard, 4);
      AnswerFeed.feed(op, answer(0x00, 0x01, opaque(sent(op)), 0, new byte[0], ascii("Not found")), cut, false);
      assertEquals(List.of("status", "complete"), heard.events, "split at " + cut);
      assertEquals(StatusCode.ERR_NOT_FOUND, heard.status.getStatusCode());
      assertNull(heard.head);
    }
  }
}
