package io.github.newcache.internal.transport;

import static io.github.newcache.internal.transport.AnswerFeed.ascii;
import static io.github.newcache.internal.transport.AnswerFeed.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import net.spy.memcached.ops.OperationException;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.ops.StoreOperation;
import net.spy.memcached.ops.StoreType;
import org.junit.jupiter.api.Test;

/**
 * Our text-protocol set: the request it encodes from an item's two parts, and its reading of
 * memcached's answers in every split a socket read can make. Over a real memcached, through the
 * cache: {@code WritesInPartsTest}.
 */
class TextSetOperationTest {

  /** What an operation told its callback. */
  private static final class Heard implements StoreOperation.Callback {
    final List<String> events = new ArrayList<>();
    OperationStatus status;

    @Override
    public void gotData(String key, long cas) {
      events.add("cas");
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

  private static String sent(TextSetOperation op) {
    op.initialize();
    ByteBuffer b = op.getBuffer();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  @Test
  void sendsBothPartsInOneSetAsTheyWereWhenItWasMade() {
    byte[] head = ascii("head");
    byte[] tail = {0, '\r', '\n', -1};
    TextSetOperation op = new TextSetOperation("ns:2:ab", 3600, new Parts(head, tail), new Heard());
    head[0] = 'X';
    tail[0] = 9;
    String request = "set ns:2:ab 0 3600 8\r\nhead\0\r\n\u00ff\r\n";
    assertEquals(request, sent(op), "the parts are copied when the operation is made");
    assertArrayEquals(concat(ascii("head"), new byte[] {0, '\r', '\n', -1}), op.getData(), "what a redistribution clones");
    assertEquals(StoreType.set, op.getStoreType());
    assertEquals(0, op.getFlags());
    assertEquals(3600, op.getExpiration());
    assertEquals(List.of("ns:2:ab"), List.copyOf(op.getKeys()));
    assertEquals(request.length(), op.requestBytes());
    assertEquals(BudgetedQueue.OVERHEAD + 7 + request.length(),
        new BudgetedQueue(4, new QueueBudget(1 << 20), true, true).weight(op), "queues weigh the request once");
  }

  @Test
  void aWholeItemWithExpiriesOfEveryWidth() {
    int[] exptimes = {0, 9, 10, 99, 100, 2_592_000, -1, -10, Integer.MAX_VALUE, Integer.MIN_VALUE};
    for (int exptime : exptimes) {
      for (String value : new String[] {"", "abc"}) {
        TextSetOperation op = new TextSetOperation("k", exptime, new Parts(ascii(value), null), new Heard());
        assertEquals("set k 0 " + exptime + " " + value.length() + "\r\n" + value + "\r\n", sent(op));
      }
    }
  }

  @Test
  void initializedAgainItSendsTheWholeRequestAgain() {
    // spymemcached initializes an operation again when it retries it on a new connection
    TextSetOperation op = new TextSetOperation("k", 0, new Parts(ascii("ab"), ascii("cd")), new Heard());
    String first = sent(op);
    assertEquals(first, sent(op));
  }

  @Test
  void storedInEverySplitSucceeds() throws Exception {
    byte[] answer = ascii("STORED\r\n");
    for (boolean direct : new boolean[] {false, true}) {
      for (int cut = 0; cut <= answer.length; cut++) {
        Heard heard = new Heard();
        TextSetOperation op = AnswerFeed.feed(new TextSetOperation("k", 0, new Parts(ascii("v"), null), heard), answer, cut, direct);
        assertEquals(OperationState.COMPLETE, op.getState(), "split at " + cut);
        assertEquals(List.of("status", "complete"), heard.events, "split at " + cut);
        assertTrue(heard.status.isSuccess());
      }
    }
  }

  @Test
  void notStoredIsAnAnswerNotAnError() throws Exception {
    Heard heard = new Heard();
    TextSetOperation op = AnswerFeed.feed(new TextSetOperation("k", 0, new Parts(ascii("v"), null), heard), ascii("NOT_STORED\r\n"), 3, false);
    assertFalse(op.hasErrored());
    assertFalse(heard.status.isSuccess());
    assertEquals(StatusCode.ERR_NOT_STORED, heard.status.getStatusCode());
  }

  @Test
  void errorLinesAndForeignAnswersFailTheSetWithWhatTheServerSaid() {
    String[] answers = {
      "SERVER_ERROR object too large for cache",
      "SERVER_ERROR out of memory storing object",
      "CLIENT_ERROR bad data chunk",
      "ERROR",
      "STORED_",
      "EXISTS",
      "VA 3",
    };
    for (String answer : answers) {
      Heard heard = new Heard();
      TextSetOperation op = new TextSetOperation("k", 0, new Parts(ascii("v"), null), heard);
      OperationException e = assertThrows(OperationException.class,
          () -> op.readFromBuffer(ByteBuffer.wrap(ascii(answer + "\r\n"))), answer);
      assertTrue(e.getMessage().contains(answer), e.getMessage());
      assertTrue(op.hasErrored(), answer);
      assertEquals(List.of("status", "complete"), heard.events, answer);
      assertFalse(heard.status.isSuccess(), answer);
    }
  }
}
