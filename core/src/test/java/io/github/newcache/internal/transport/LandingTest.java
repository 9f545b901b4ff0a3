package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.cache.CacheException;
import net.spy.memcached.internal.CheckedOperationTimeoutException;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.OperationException;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.protocol.BaseOperationImpl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * How a blocking operation's outcome is read once its callback ({@link Awaited}) completed: an
 * answered operation gives its answer without the caller locking the operation, and one that
 * spymemcached cancelled, timed out or failed still fails, alone or in a batch. The operations are
 * real spymemcached operations (our meta get) fed memcached's bytes; over a real memcached the
 * same paths run in {@link MetaGetTest} and the fault tests.
 */
class LandingTest {

  private final ClientPauses pauses = new ClientPauses();
  private final Flights flights = new Flights(new NodeBreakers(3, 1_000, 1_000, 2_000), new ItemLimits(),
      new OperationWait(200, pauses), key -> null, 200, "Cancel", "none");

  @AfterEach
  void stopPauseMonitor() {
    pauses.close();
  }

  private static MetaGetOperation get(String key, GetOperation.Callback answer) {
    MetaGetOperation op = new MetaGetOperation(key, answer, server -> {});
    op.initialize();
    return op;
  }

  /** Gets of k0, k1, ... whose answers go to the slots of {@code answers}. */
  private static MetaGetOperation[] batch(Awaited.Gets answers, int n) {
    MetaGetOperation[] sent = new MetaGetOperation[n];
    for (int i = 0; i < n; i++) {
      sent[i] = get("k" + i, answers.batch(new String[] {"k" + i}, new int[] {i}));
    }
    return sent;
  }

  /** The batch as sent: each get for its key. */
  private static List<GetBatches.Send> sends(MetaGetOperation[] sent) {
    List<GetBatches.Send> out = new ArrayList<>();
    for (int i = 0; i < sent.length; i++) {
      out.add(new GetBatches.Send("k" + i, sent[i]));
    }
    return out;
  }

  private static void answer(MetaGetOperation op, String bytes) throws Exception {
    op.readFromBuffer(ByteBuffer.wrap(bytes.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void anAnsweredGetGivesItsValueAndAMissGivesNull() throws Exception {
    Awaited.Get hit = new Awaited.Get();
    MetaGetOperation op = get("k", hit);
    answer(op, "VA 3\r\nabc\r\n");
    flights.finish(op, hit, Flights.Op.read("get", "k"));
    assertArrayEquals("abc".getBytes(StandardCharsets.US_ASCII), hit.value());
    assertFalse(hit.abandoned());

    Awaited.Get miss = new Awaited.Get();
    MetaGetOperation missed = get("m", miss);
    answer(missed, "EN\r\n");
    flights.finish(missed, miss, Flights.Op.read("get", "m"));
    assertNull(miss.value());
  }

  @Test
  void aGetSpymemcachedCancelledFailsAsNotConnected() {
    Awaited.Get answer = new Awaited.Get();
    MetaGetOperation op = get("k", answer);
    op.cancel(); // what spymemcached does to the operations of a connection it lost
    assertTrue(answer.abandoned());
    CacheException e = assertThrows(CacheException.class, () -> flights.finish(op, answer, Flights.Op.read("get", "k")));
    assertTrue(e.getMessage().contains("not connected"), e.getMessage());
  }

  @Test
  void aGetSpymemcachedTimedOutFailsAsTimedOut() {
    Awaited.Get answer = new Awaited.Get();
    MetaGetOperation op = get("k", answer);
    op.timeOut(); // what spymemcached does to an operation left too long in its queues
    CacheException e = assertThrows(CacheException.class, () -> flights.finish(op, answer, Flights.Op.read("get", "k")));
    assertTrue(e.getCause() instanceof CheckedOperationTimeoutException, String.valueOf(e.getCause()));
    assertTrue(e.getMessage().contains("timed out"), e.getMessage());
  }

  @Test
  void aGetMemcachedAnsweredWithAnErrorFailsWithTheAnswer() {
    Awaited.Get answer = new Awaited.Get();
    MetaGetOperation op = get("k", answer);
    assertThrows(OperationException.class, () -> answer(op, "SERVER_ERROR out of memory\r\n"));
    assertFalse(answer.abandoned());
    CacheException e = assertThrows(CacheException.class, () -> flights.finish(op, answer, Flights.Op.read("get", "k")));
    assertTrue(e.getMessage().contains("SERVER_ERROR out of memory"), e.getMessage());
  }

  @Test
  void aBatchFailsWhenAnyOfItsGetsWasCancelledEvenIfTheOthersWereAnswered() throws Exception {
    Awaited.Gets answers = new Awaited.Gets(3);
    MetaGetOperation[] sent = batch(answers, 3);
    answer(sent[0], "VA 1\r\na\r\n");
    sent[1].cancel();
    answer(sent[2], "EN\r\n");
    assertTrue(answers.done());
    assertTrue(answers.abandoned());
    CacheException e = assertThrows(CacheException.class,
        () -> flights.finishAll(sends(sent), answers, Flights.Op.read("get (multi)", "k0")));
    assertTrue(e.getMessage().contains("not connected"), e.getMessage());
  }

  /**
   * A get spymemcached moved to another server is cloned with its callback behind spymemcached's
   * own multi-callback; when the clone is cancelled there, the get fails instead of reading as a miss.
   */
  @Test
  void aGetWhoseCloneWasCancelledFailsInsteadOfReadingAsAMiss() {
    Awaited.Get answer = new Awaited.Get();
    MetaGetOperation op = get("k", answer);
    List<net.spy.memcached.ops.Operation> clones =
        new ArrayList<>(new net.spy.memcached.protocol.ascii.AsciiOperationFactory().clone(op));
    clones.get(0).cancel();
    assertTrue(answer.done());
    CacheException e = assertThrows(CacheException.class, () -> flights.finish(op, answer, Flights.Op.read("get", "k")));
    assertTrue(e.getMessage().contains("not connected"), e.getMessage());
  }

  @Test
  void anAnsweredBatchGivesEveryValue() throws Exception {
    Awaited.Gets answers = new Awaited.Gets(2);
    MetaGetOperation[] sent = batch(answers, 2);
    answer(sent[0], "VA 1\r\na\r\n");
    answer(sent[1], "EN\r\n");
    flights.finishAll(sends(sent), answers, Flights.Op.read("get (multi)", "k0"));
    assertArrayEquals(new byte[] {'a'}, answers.value(0));
    assertNull(answers.value(1));
  }

  @Test
  void onlySpymemcachedsOwnCancelAndTimeoutStatusesMarkAnAnswerAbandoned() {
    Awaited.Get answer = new Awaited.Get();
    answer.receivedStatus(new OperationStatus(false, "NOT_FOUND", StatusCode.ERR_NOT_FOUND));
    answer.receivedStatus(new OperationStatus(false, "cancelled", StatusCode.CANCELLED)); // a lookalike
    assertFalse(answer.abandoned());
    answer.receivedStatus(BaseOperationImpl.TIMED_OUT);
    assertTrue(answer.abandoned());
  }
}
