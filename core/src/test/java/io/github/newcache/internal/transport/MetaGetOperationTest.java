package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.OperationException;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import org.junit.jupiter.api.Test;

/**
 * The meta get's reading of memcached's answers, fed in every split a socket read can make: the
 * value it hands on, where it stops in the buffer (the next answer is another operation's), and
 * how it fails on an answer it does not expect. Over a real memcached: {@link MetaGetTest}.
 */
class MetaGetOperationTest {

  /** What an operation told its callback. */
  private static final class Heard implements GetOperation.Callback {
    final List<String> events = new ArrayList<>();
    byte[] value;
    OperationStatus status;

    @Override
    public void gotData(String key, int flags, byte[] data) {
      events.add("data " + key + " " + flags);
      value = data;
    }

    @Override
    public void receivedStatus(OperationStatus s) {
      events.add("status");
      status = s;
    }

    @Override
    public void complete() {
      events.add("complete");
    }
  }

  @Test
  void sendsTheMetaGetOfTheKeyAskingOnlyForTheValue() {
    MetaGetOperation op = new MetaGetOperation("ns:2:ab", new Heard(), server -> {});
    op.initialize();
    ByteBuffer b = op.getBuffer();
    byte[] sent = new byte[b.remaining()];
    b.get(sent);
    assertEquals("mg ns:2:ab v\r\n", new String(sent, StandardCharsets.US_ASCII));
  }

  @Test
  void aValueReadInEverySplitIsHandedOnOnceAndTheNextAnswerIsLeft() throws Exception {
    byte[][] values = {
      "hello".getBytes(StandardCharsets.US_ASCII),
      new byte[0],
      // the bytes of answers, line ends and a miss inside a value are just bytes
      "a\r\nEN\r\nVA 9\r\n\r\n".getBytes(StandardCharsets.US_ASCII),
      new byte[] {0, -1, '\r', 10, 13, '\n', 127, -128},
    };
    for (byte[] value : values) {
      byte[] answer = AnswerFeed.concat(("VA " + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII), value,
          "\r\n".getBytes(StandardCharsets.US_ASCII));
      for (boolean direct : new boolean[] {false, true}) {
        for (int cut = 0; cut <= answer.length; cut++) {
          Heard heard = new Heard();
          MetaGetOperation op = read(heard, answer, cut, direct);
          assertEquals(OperationState.COMPLETE, op.getState(), "split at " + cut);
          assertEquals(List.of("data k 0", "status", "complete"), heard.events, "split at " + cut);
          assertArrayEquals(value, heard.value, "split at " + cut);
          assertTrue(heard.status.isSuccess());
        }
      }
    }
  }

  /** What an operation that reads in parts told its callback. */
  private static final class HeardParts implements MetaGetOperation.PartsCallback {
    final List<String> events = new ArrayList<>();
    byte[] head;
    byte[] tail;

    @Override
    public void gotData(String key, int flags, byte[] data) {
      events.add("data");
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
      events.add(s.isSuccess() ? "found" : "status");
    }

    @Override
    public void complete() {
      events.add("complete");
    }
  }

  @Test
  void aValueLongerThanTheHeadIsReadInTwoArraysInEverySplitAndAShorterOneInOne() throws Exception {
    int headLength = 4;
    for (String text : new String[] {"", "abc", "abcd", "abcde", "ab\r\nEN\r\nVA 1\r\nxyz"}) {
      byte[] value = text.getBytes(StandardCharsets.US_ASCII);
      byte[] answer = AnswerFeed.concat(("VA " + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII), value,
          "\r\n".getBytes(StandardCharsets.US_ASCII));
      for (boolean direct : new boolean[] {false, true}) {
        for (int cut = 0; cut <= answer.length; cut++) {
          HeardParts heard = new HeardParts();
          MetaGetOperation op = new MetaGetOperation("k", heard, headLength, server -> {});
          AnswerFeed.feed(op, answer, cut, direct);
          String at = "'" + text + "' split at " + cut;
          assertEquals(OperationState.COMPLETE, op.getState(), at);
          if (value.length > headLength) {
            assertEquals(List.of("parts k", "found", "complete"), heard.events, at);
            assertArrayEquals(Arrays.copyOf(value, headLength), heard.head, at);
            assertArrayEquals(Arrays.copyOfRange(value, headLength, value.length), heard.tail, at);
          } else {
            assertEquals(List.of("data", "found", "complete"), heard.events, at);
            assertArrayEquals(value, heard.head, at);
            assertNull(heard.tail, at);
          }
        }
      }
    }
  }

  @Test
  void aValueInPartsNotFollowedByItsLineEndFailsTheGet() {
    HeardParts heard = new HeardParts();
    MetaGetOperation op = new MetaGetOperation("k", heard, 2, server -> {});
    assertThrows(OperationException.class,
        () -> op.readFromBuffer(ByteBuffer.wrap("VA 5\r\nhelloXY".getBytes(StandardCharsets.US_ASCII))));
    assertTrue(op.hasErrored());
    assertNull(heard.tail, "no value handed on");
  }

  @Test
  void aMissInEverySplitIsNotFound() throws Exception {
    byte[] answer = "EN\r\n".getBytes(StandardCharsets.US_ASCII);
    for (int cut = 0; cut <= answer.length; cut++) {
      Heard heard = new Heard();
      read(heard, answer, cut, false);
      assertEquals(List.of("status", "complete"), heard.events, "split at " + cut);
      assertNull(heard.value);
      assertEquals(StatusCode.ERR_NOT_FOUND, heard.status.getStatusCode());
    }
  }

  @Test
  void anUnknownCommandFailsTheGetAndTellsThatTheServerDoesNotSpeakIt() {
    List<Object> told = new ArrayList<>();
    Heard heard = new Heard();
    MetaGetOperation op = new MetaGetOperation("k", heard, told::add);
    OperationException e = assertThrows(OperationException.class,
        () -> op.readFromBuffer(ByteBuffer.wrap("ERROR\r\n".getBytes(StandardCharsets.US_ASCII))));
    assertTrue(e.getMessage().contains("does not know the meta get"), e.getMessage());
    assertEquals(1, told.size(), "the transport hears it once");
    assertTrue(op.hasErrored());
    assertEquals(List.of("status", "complete"), heard.events);
    assertFalse(heard.status.isSuccess());
  }

  @Test
  void errorLinesAndForeignAnswersFailTheGetWithWhatTheServerSaid() {
    String[] answers = {
      "SERVER_ERROR out of memory\r\n",
      "CLIENT_ERROR bad command line format\r\n",
      "VALUE k 0 5\r\nhello\r\nEND\r\n",
      "VA x\r\n",
      "VA 5\r\nhelloXY",
    };
    for (String answer : answers) {
      List<Object> told = new ArrayList<>();
      Heard heard = new Heard();
      MetaGetOperation op = new MetaGetOperation("k", heard, told::add);
      assertThrows(OperationException.class,
          () -> op.readFromBuffer(ByteBuffer.wrap(answer.getBytes(StandardCharsets.US_ASCII))), answer);
      assertTrue(op.hasErrored(), answer);
      assertTrue(told.isEmpty(), "only ERROR says the command is unknown: " + answer);
      assertFalse(heard.events.contains("data k 0"), answer);
    }
    Heard heard = new Heard();
    MetaGetOperation op = new MetaGetOperation("k", heard, server -> {});
    OperationException e = assertThrows(OperationException.class,
        () -> op.readFromBuffer(ByteBuffer.wrap("SERVER_ERROR out of memory\r\n".getBytes(StandardCharsets.US_ASCII))));
    assertTrue(e.getMessage().contains("SERVER_ERROR out of memory"), e.getMessage());
  }

  /**
   * Feeds {@code answer} followed by another operation's answer, in two reads split at {@code
   * cut}, and checks the operation stopped exactly at the end of its own.
   */
  private static MetaGetOperation read(Heard heard, byte[] answer, int cut, boolean direct) throws Exception {
    return AnswerFeed.feed(new MetaGetOperation("k", heard, server -> {}), answer, cut, direct);
  }
}
