package io.github.newcache.internal.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.cache.CacheException;
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
    EventTurns turns = new EventTurns("c", 10_000);
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
    EventTurns turns = new EventTurns("c", 10_000);
    EventTurns.Turn held = turns.enter("k", "k");
    assertSame(EventTurns.Turn.NONE, turns.enter("k", "k"));
    CompletableFuture<EventTurns.Turn> async = turns.enterAsync("k", "k", Runnable::run);
    assertSame(EventTurns.Turn.NONE, async.get(1, TimeUnit.SECONDS));
    held.close();
    assertEquals(0, turns.size());
  }

  /** A non-blocking write whose turn comes later than the lease timeout fails, not applied. */
  @Test
  void aNonBlockingWriteWhoseTurnComesTooLateFails() throws Exception {
    EventTurns turns = new EventTurns("c", 50);
    ExecutorService holder = Executors.newSingleThreadExecutor();
    EventTurns.Turn held;
    try {
      held = holder.submit(() -> turns.enter("slow key", "slow key")).get(5, TimeUnit.SECONDS); // another thread's turn
    } finally {
      holder.shutdown();
      assertTrue(holder.awaitTermination(5, TimeUnit.SECONDS));
    }
    long start = System.nanoTime();
    CompletableFuture<EventTurns.Turn> late = turns.enterAsync("slow key", "slow key", Runnable::run);
    assertFalse(late.isDone(), "waits for the holder");
    while (System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(100)) { // the 50 ms limit passes
      Thread.sleep(1);
    }
    held.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(5, TimeUnit.SECONDS));
    String message = e.getCause().getMessage();
    assertTrue(e.getCause() instanceof CacheException, String.valueOf(e.getCause()));
    assertTrue(message.contains("'slow key'") && message.contains("leaseTimeout (50 ms)"), message);
    assertEquals(0, turns.size());
  }
}
