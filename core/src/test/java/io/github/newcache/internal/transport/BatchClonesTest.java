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
import java.util.List;
import javax.cache.CacheException;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.ops.Operation;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A batch of gets that spymemcached moves to another server is cloned into one get per key
 * ({@link BatchClones}): values found by the clones reach the batch's places, and a clone cancelled
 * on the way fails the multi-get instead of reading as a miss of its key (spymemcached's own clones
 * of a multi-get pass on only the last clone's status). The clones are the factory's real
 * operations, fed memcached's bytes.
 */
class BatchClonesTest {

  private static final String[] KEYS = {"k0", "k1", "k2"};

  private final ClientPauses pauses = new ClientPauses();
  private final Flights flights = new Flights(new NodeBreakers(3, 1_000, 1_000, 2_000), new ItemLimits(),
      new OperationWait(200, pauses), key -> null, 200, "Redistribute", "none");

  @AfterEach
  void stopPauseMonitor() {
    pauses.close();
  }

  /** A text batch of {@link #KEYS} reporting to {@code answers}, and its clones by our factory. */
  private static List<Operation> clones(TextMultiGetOperation batch) {
    OperationFactory factory = BatchClones.factory(false);
    List<Operation> out = new ArrayList<>(factory.clone(batch));
    for (Operation o : out) {
      o.initialize();
    }
    return out;
  }

  private static TextMultiGetOperation batch(Awaited.Gets answers) {
    byte[][] encoded = new byte[KEYS.length][];
    for (int i = 0; i < KEYS.length; i++) {
      encoded[i] = GetBatch.encode(KEYS[i], false);
    }
    return new TextMultiGetOperation(new BatchKeys(KEYS, encoded, null), answers.batch(KEYS, new int[] {0, 1, 2}));
  }

  private static void answer(Operation op, String bytes) throws Exception {
    op.readFromBuffer(ByteBuffer.wrap(bytes.getBytes(StandardCharsets.US_ASCII)));
  }

  @Test
  void theClonesOfABatchGiveEveryValueToItsPlace() throws Exception {
    Awaited.Gets answers = new Awaited.Gets(3);
    TextMultiGetOperation batch = batch(answers);
    List<Operation> clones = clones(batch);
    assertEquals(3, clones.size());
    answer(clones.get(0), "VALUE k0 0 1\r\na\r\nEND\r\n");
    answer(clones.get(1), "END\r\n");
    assertTrue(!answers.done(), "done only when every clone is");
    answer(clones.get(2), "VALUE k2 0 2\r\ncc\r\nEND\r\n");
    assertTrue(answers.done());
    flights.finishAll(List.of(new GetBatches.Send("k0", batch)), answers, Flights.Op.read("get (multi)", "k0"));
    assertArrayEquals(new byte[] {'a'}, answers.value(0));
    assertNull(answers.value(1));
    assertArrayEquals(new byte[] {'c', 'c'}, answers.value(2));
  }

  @Test
  void aCloneAnsweredWithAnErrorFailsTheMultiGetInsteadOfReadingAsAMiss() throws Exception {
    Awaited.Gets answers = new Awaited.Gets(3);
    TextMultiGetOperation batch = batch(answers);
    List<Operation> clones = clones(batch);
    answer(clones.get(0), "END\r\n");
    try {
      answer(clones.get(1), "SERVER_ERROR out of memory\r\n");
    } catch (Exception expected) {
      // spymemcached's get throws the error to its IO loop, having marked itself errored
    }
    answer(clones.get(2), "END\r\n");
    assertTrue(clones.get(1).hasErrored() && answers.done());
    assertThrows(CacheException.class, () -> flights.finishAll(
        List.of(new GetBatches.Send("k0", batch)), answers, Flights.Op.read("get (multi)", "k0")));
  }

  /**
   * spymemcached cancels a cloned operation's clones and then completes its callback itself: the
   * batch's part counts once, so the multi-get is not done while another part is still out.
   */
  @Test
  void cancellingAClonedBatchCountsItsPartOnce() {
    Awaited.Gets answers = new Awaited.Gets(6);
    TextMultiGetOperation cloned = batch(answers);
    String[] others = {"k3", "k4", "k5"};
    byte[][] encoded = new byte[3][];
    for (int i = 0; i < 3; i++) {
      encoded[i] = GetBatch.encode(others[i], false);
    }
    new TextMultiGetOperation(new BatchKeys(others, encoded, null), answers.batch(others, new int[] {3, 4, 5}));
    for (Operation clone : clones(cloned)) {
      cloned.addClone(clone);
    }
    cloned.cancel();
    assertFalse(answers.done(), "the other part is still out");
  }

  @Test
  void aCloneCancelledOnTheWayFailsTheMultiGetInsteadOfReadingAsAMiss() throws Exception {
    Awaited.Gets answers = new Awaited.Gets(3);
    TextMultiGetOperation batch = batch(answers);
    List<Operation> clones = clones(batch);
    answer(clones.get(0), "VALUE k0 0 1\r\na\r\nEND\r\n");
    clones.get(1).cancel();
    answer(clones.get(2), "END\r\n"); // the last status is a clean one
    assertTrue(answers.done());
    CacheException e = assertThrows(CacheException.class, () -> flights.finishAll(
        List.of(new GetBatches.Send("k0", batch)), answers, Flights.Op.read("get (multi)", "k0")));
    assertTrue(e.getMessage().contains("not connected") && e.getMessage().contains("failureMode Redistribute"),
        e.getMessage());
  }
}
