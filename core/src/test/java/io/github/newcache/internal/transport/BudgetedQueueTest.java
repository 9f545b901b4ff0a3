package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StoreOperation;
import net.spy.memcached.ops.StoreType;
import net.spy.memcached.protocol.binary.BinaryOperationFactory;
import org.junit.jupiter.api.Test;

/** {@link BudgetedQueue} counts every operation's bytes in and out of a server's queues, one at a time and in batches. */
class BudgetedQueueTest {

  private static final BinaryOperationFactory OPS = new BinaryOperationFactory();

  /** Hears nothing: these operations are never sent. */
  private static final class Ignored implements GetOperation.Callback, StoreOperation.Callback {
    @Override
    public void gotData(String key, int flags, byte[] data) {}

    @Override
    public void gotData(String key, long cas) {}

    @Override
    public void receivedStatus(OperationStatus status) {}

    @Override
    public void complete() {}
  }

  private static final Ignored IGNORED = new Ignored();

  private static Operation get(String key) {
    return OPS.get(key, IGNORED);
  }

  private static Operation set(String key, int bytes) {
    return OPS.store(StoreType.set, key, 0, 0, new byte[bytes], IGNORED);
  }

  @Test
  void anOperationsBytesAreCountedFromEntranceUntilItLeavesTheLastQueue() throws InterruptedException {
    QueueBudget budget = new QueueBudget(1 << 20);
    BudgetedQueue input = new BudgetedQueue(16, budget, true, true);
    BudgetedQueue write = new BudgetedQueue(16, budget, false, true);
    BudgetedQueue read = new BudgetedQueue(Integer.MAX_VALUE, budget, false, false);
    Operation g = get("key:1");
    Operation s = set("key:2", 1000);
    assertTrue(input.offer(g, 1, TimeUnit.SECONDS));
    assertTrue(input.offer(s, 1, TimeUnit.SECONDS));
    long queued = BudgetedQueue.OVERHEAD * 2L + 10 + 2000; // keys' chars, and a set's value twice until written
    assertEquals(queued, budget.bytes());

    List<Operation> moving = new ArrayList<>(); // spymemcached's move from the input to the write queue
    assertEquals(2, input.drainTo(moving, write.remainingCapacity()));
    write.addAll(moving);
    assertEquals(queued, budget.bytes());
    assertEquals(2, write.size());

    for (int i = 0; i < 2; i++) { // written: on to the read queue, without the encoded copy
      read.add(write.peek());
      write.remove();
    }
    assertEquals(queued - 1000, budget.bytes());
    assertSame(g, read.remove());
    assertTrue(read.remove(s));
    assertEquals(0, budget.bytes());
    assertTrue(input.isEmpty() && write.isEmpty() && read.isEmpty());
  }

  @Test
  void aCallerPastTheBudgetWaitsThenIsRefusedAndNothingStaysCounted() throws InterruptedException {
    QueueBudget budget = new QueueBudget(BudgetedQueue.OVERHEAD + 1000);
    BudgetedQueue input = new BudgetedQueue(16, budget, true, true);
    assertTrue(input.offer(set("big", 5000), 1, TimeUnit.SECONDS), "alone, a large operation goes");
    long counted = budget.bytes();
    assertFalse(input.offer(get("next"), 20, TimeUnit.MILLISECONDS));
    assertEquals(counted, budget.bytes());
    input.clear();
    assertEquals(0, budget.bytes());
  }

  @Test
  void aCallerFindingTheQueueFullWaitsForRoomThenGoesOrIsRefused() throws Exception {
    QueueBudget budget = new QueueBudget(1 << 20);
    BudgetedQueue input = new BudgetedQueue(1, budget, true, true);
    assertTrue(input.offer(get("first"), 1, TimeUnit.SECONDS));
    long one = budget.bytes();
    assertFalse(input.offer(get("second"), 20, TimeUnit.MILLISECONDS), "no room within the wait");
    assertEquals(one, budget.bytes(), "a refused operation is not counted");

    CompletableFuture<Boolean> offered = new CompletableFuture<>();
    Thread caller = new Thread(() -> {
      try {
        offered.complete(input.offer(get("third"), 30, TimeUnit.SECONDS));
      } catch (InterruptedException | RuntimeException e) {
        offered.completeExceptionally(e);
      }
    });
    caller.start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (caller.getState() != Thread.State.TIMED_WAITING && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertEquals(Thread.State.TIMED_WAITING, caller.getState(), "the caller waits for room");
    assertFalse(offered.isDone());
    assertEquals("first", ((GetOperation) input.poll()).getKeys().iterator().next());
    assertTrue(offered.get(10, TimeUnit.SECONDS), "room came within its wait");
    assertEquals(one, budget.bytes(), "the one in the queue is counted, once");
  }

  /**
   * A best-effort send (a skipped write's delete, a lease's release) is refused at once by a queue
   * full in operations or in bytes, where a caller waits up to its {@code opQueueWait} (30 s here).
   */
  @Test
  void aBestEffortSendIsRefusedAtOnceByAFullQueue() throws InterruptedException {
    QueueBudget budget = new QueueBudget(BudgetedQueue.OVERHEAD + 1000);
    BudgetedQueue input = new BudgetedQueue(1, budget, true, true);
    assertTrue(input.offer(get("first"), 1, TimeUnit.SECONDS));
    long counted = budget.bytes();
    long start = System.nanoTime();
    assertFalse(BestEffort.send(() -> offer(input, get("second"))), "the queue holds one operation");
    BudgetedQueue other = new BudgetedQueue(16, budget, true, true);
    assertFalse(BestEffort.send(() -> offer(other, set("big", 2000))), "the budget's bytes are taken");
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < 10_000, "refused after " + millis + " ms, not at once");
    assertEquals(counted, budget.bytes(), "nothing refused is counted");
    assertFalse(BestEffort.sending(), "best effort only while it sends");
  }

  /** {@code q.offer(op)} as spymemcached's caller makes it, waiting up to 30 s for room. */
  private static boolean offer(BudgetedQueue q, Operation op) {
    try {
      return q.offer(op, 30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  @Test
  void aBatchThatOverflowsCountsWhatItAdded() {
    QueueBudget budget = new QueueBudget(1 << 20);
    BudgetedQueue write = new BudgetedQueue(2, budget, false, true);
    List<Operation> three = List.of(get("a"), get("b"), get("c"));
    assertThrows(IllegalStateException.class, () -> write.addAll(three));
    assertEquals(2, write.size());
    assertEquals(2L * (BudgetedQueue.OVERHEAD + 1), budget.bytes());
    write.poll();
    assertEquals(BudgetedQueue.OVERHEAD + 1, budget.bytes());
  }

  @Test
  void aBatchMovingToTheWriteQueueStaysCountedSoNoCallerPassesTheBound() throws InterruptedException {
    long one = BudgetedQueue.OVERHEAD + 1 + 2000; // a 1000-byte set: its key, its value twice
    QueueBudget budget = new QueueBudget(2 * one);
    BudgetedQueue input = new BudgetedQueue(16, budget, true, true);
    BudgetedQueue write = new BudgetedQueue(16, budget, false, true);
    assertTrue(input.offer(set("a", 1000), 1, TimeUnit.SECONDS));
    assertTrue(input.offer(set("b", 1000), 1, TimeUnit.SECONDS));
    assertEquals(2 * one, budget.bytes());
    List<Operation> moving = new ArrayList<>(); // spymemcached's copyInputQueue: drain, then add
    assertEquals(2, input.drainTo(moving, write.remainingCapacity()));
    assertEquals(2 * one, budget.bytes(), "still counted on the way");
    assertFalse(input.offer(set("c", 1000), 20, TimeUnit.MILLISECONDS), "a caller past the bound still waits, then is refused");
    write.addAll(moving);
    assertEquals(2 * one, budget.bytes(), "counted once in the write queue");
    write.poll();
    write.poll();
    assertEquals(0, budget.bytes());

    assertTrue(input.offer(set("d", 1000), 1, TimeUnit.SECONDS));
    input.drainTo(new ArrayList<>(), 16); // never arrives
    assertEquals(one, budget.bytes());
    input.drainTo(new ArrayList<>(), 16);
    assertEquals(0, budget.bytes(), "released when the next batch is sent");
    assertTrue(input.offer(set("e", 1000), 1, TimeUnit.SECONDS));
    input.drainTo(new ArrayList<>()); // spymemcached's destroyInputQueue: the operations leave
    assertEquals(0, budget.bytes());
  }

  @Test
  void bulkRemovalsItCannotCountAreRefused() {
    BudgetedQueue q = new BudgetedQueue(Integer.MAX_VALUE, new QueueBudget(1 << 20), false, false);
    q.add(get("a"));
    assertThrows(UnsupportedOperationException.class, () -> q.removeIf(op -> true));
    assertThrows(UnsupportedOperationException.class, () -> q.iterator().remove());
    assertThrows(IllegalArgumentException.class, () -> q.drainTo(q));
    assertEquals(1, q.size());
  }
}
