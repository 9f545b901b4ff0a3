package io.github.newcache.internal.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The turns themselves, without memcached: who waits, who runs a non-blocking write's listener step. */
class EventTurnsTest {

  /**
   * A thread waiting for a key held by a non-blocking write runs that write's listener step itself
   * when no pool thread has taken it: pool threads all waiting for the key cannot keep the step
   * from a thread, and the key's turn ends.
   */
  @Test
  void aThreadWaitingForTheKeyRunsTheListenerStepOfTheNonBlockingWriteHoldingIt() throws Exception {
    EventTurns turns = new EventTurns("c", 10_000, null);
    EventTurns.Turn held = turns.enterAsync("k", "k", Runnable::run).get(1, TimeUnit.SECONDS);
    assertTrue(held.nonBlocking());
    ExecutorService waiter = Executors.newSingleThreadExecutor();
    try {
      Future<EventTurns.Turn> next = waiter.submit(() -> turns.enter("k", "k"));
      AtomicReference<Thread> ranOn = new AtomicReference<>();
      Runnable step = held.offer(() -> {
        ranOn.set(Thread.currentThread());
        held.close(); // the write's future completes, which gives its turn back
      });
      EventTurns.Turn mine = next.get(5, TimeUnit.SECONDS);
      assertTrue(ranOn.get() != null && ranOn.get() != Thread.currentThread(), "run by the waiting thread");
      step.run(); // the pool's thread, coming late: the step ran once
      assertFalse(held.withdraw(), "nothing left to withdraw");
      assertEquals(1, turns.size());
      mine.close();
      assertEquals(0, turns.size());
    } finally {
      waiter.shutdownNow();
      assertTrue(waiter.awaitTermination(5, TimeUnit.SECONDS));
    }
  }

  /** The holder's own thread takes the key again (a listener writing its key), blocking or not. */
  @Test
  void theHoldersThreadEntersAgain() throws Exception {
    EventTurns turns = new EventTurns("c", 10_000, null);
    EventTurns.Turn held = turns.enter("k", "k");
    assertSame(EventTurns.Turn.NONE, turns.enter("k", "k"));
    CompletableFuture<EventTurns.Turn> async = turns.enterAsync("k", "k", Runnable::run);
    assertSame(EventTurns.Turn.NONE, async.get(1, TimeUnit.SECONDS));
    held.close();
    assertEquals(0, turns.size());
  }

  /**
   * A non-blocking write whose bound ends before the lease timeout (its wait in its key's line took
   * part of it) goes on without the turn at that deadline; one whose deadline has passed already
   * takes a free turn, and goes on at once past a held one.
   */
  @Test
  void aNonBlockingWriteWaitsForTheTurnUntilItsOwnDeadlineAtMost() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      EventTurns turns = new EventTurns("c", 60_000, timer);
      EventTurns.Turn free = turns.enterAsync("free", "free", Runnable::run, System.nanoTime() - 1).get(1, TimeUnit.SECONDS);
      assertTrue(free.nonBlocking(), "a free turn is taken whatever the deadline");
      free.close();
      EventTurns.Turn held = turns.enterAsync("k", "k", Runnable::run).get(1, TimeUnit.SECONDS); // no thread's
      assertSame(EventTurns.Turn.NONE, turns.enterAsync("k", "k", Runnable::run, System.nanoTime() - 1).get(1, TimeUnit.SECONDS),
          "past its deadline: on at once");
      long start = System.nanoTime();
      CompletableFuture<EventTurns.Turn> bounded =
          turns.enterAsync("k", "k", Runnable::run, start + TimeUnit.MILLISECONDS.toNanos(100));
      assertSame(EventTurns.Turn.NONE, bounded.get(5, TimeUnit.SECONDS), "ended at its deadline, long before the lease timeout");
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(100));
      held.close();
      assertEquals(0, turns.size());
    } finally {
      timer.shutdownNow();
      assertTrue(timer.awaitTermination(5, TimeUnit.SECONDS));
    }
  }

  /**
   * A turn held past the lease timeout (a listener that does not return): a blocking writer and a
   * non-blocking one each go on without it at the timeout, unordered, and neither fails; the
   * non-blocking one by the timer, while the holder still holds the key. Before, the blocking
   * writer failed, and the non-blocking one waited until the holder let go (for ever, for a
   * listener that never returns).
   */
  @Test
  void writersGoOnWithoutATurnHeldPastTheLeaseTimeout() throws Exception {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    ExecutorService holder = Executors.newSingleThreadExecutor();
    try {
      EventTurns turns = new EventTurns("c", 50, timer);
      EventTurns.Turn held = holder.submit(() -> turns.enter("slow key", "slow key")).get(5, TimeUnit.SECONDS);
      long start = System.nanoTime();
      assertSame(EventTurns.Turn.NONE, turns.enter("slow key", "slow key"), "the blocking writer goes on unordered");
      assertTrue(System.nanoTime() - start >= TimeUnit.MILLISECONDS.toNanos(50), "after the lease timeout");
      CompletableFuture<EventTurns.Turn> late = turns.enterAsync("slow key", "slow key", Runnable::run);
      assertFalse(late.isDone(), "waits for the holder, at first");
      assertSame(EventTurns.Turn.NONE, late.get(5, TimeUnit.SECONDS), "ended by the timer, the holder still holding");
      assertEquals(1, turns.size(), "the holder's turn only");
      held.close();
      assertEquals(0, turns.size(), "the ended wait took no turn when the holder let go");
    } finally {
      holder.shutdownNow();
      timer.shutdownNow();
      assertTrue(holder.awaitTermination(5, TimeUnit.SECONDS) && timer.awaitTermination(5, TimeUnit.SECONDS));
    }
  }
}
