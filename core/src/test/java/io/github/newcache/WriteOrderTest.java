package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import javax.cache.CacheException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The rules of one key's turns ({@link WriteOrder}), with writes whose futures the test completes. */
class WriteOrderTest {

  private final ExecutorService next = Executors.newSingleThreadExecutor();
  private final WriteOrder order = new WriteOrder(next, 60_000);
  /** No budget to charge. */
  private static final Supplier<Runnable> FREE = () -> () -> { };

  @AfterEach
  void stop() {
    next.shutdownNow();
  }

  @Test
  void aWriteStartsOnceTheKeysEarlierOneIsDoneFailedOrNot() throws Exception {
    List<String> started = new CopyOnWriteArrayList<>();
    CompletableFuture<String> first = new CompletableFuture<>();
    CompletableFuture<String> second = new CompletableFuture<>();
    CompletableFuture<String> a = order.run("k", FREE, () -> {
      started.add("first");
      return first;
    });
    CompletableFuture<String> b = order.run("k", FREE, () -> {
      started.add("second");
      return second;
    });
    CompletableFuture<String> c = order.run("k", FREE, () -> {
      started.add("third");
      return CompletableFuture.completedFuture("third");
    });
    CompletableFuture<String> other = order.run("other", FREE, () -> CompletableFuture.completedFuture("other"));
    assertEquals("other", other.get(5, TimeUnit.SECONDS), "another key does not wait");
    assertEquals(List.of("first"), started);
    first.completeExceptionally(new IllegalStateException("failed"));
    assertThrows(ExecutionException.class, () -> a.get(5, TimeUnit.SECONDS));
    second.complete("second");
    assertEquals("third", c.get(5, TimeUnit.SECONDS));
    assertEquals("second", b.get(5, TimeUnit.SECONDS));
    assertEquals(List.of("first", "second", "third"), started);
    assertEquals(0, order.keysInFlight(), "the map holds only keys with a write in flight");
  }

  /**
   * Writes piled up behind a slow one (a server that stopped answering) fail when their turn comes
   * after the wait limit, without running, so they drain at once; the order holds (nothing later
   * runs before the slow one is done) and a write called afterwards runs.
   */
  @Test
  void aWriteWhoseTurnComesAfterTheLimitFailsWithoutRunning() throws Exception {
    WriteOrder limited = new WriteOrder(next, 50);
    List<String> started = new CopyOnWriteArrayList<>();
    CompletableFuture<String> slow = new CompletableFuture<>();
    CompletableFuture<String> first = limited.run("k", FREE, () -> slow);
    CompletableFuture<String> late = limited.run("k", FREE, () -> {
      started.add("late");
      return CompletableFuture.completedFuture("late");
    });
    long since = System.nanoTime();
    while (System.nanoTime() - since < TimeUnit.MILLISECONDS.toNanos(100)) {
      Thread.onSpinWait(); // past the limit: what is measured is the wait itself
    }
    assertTrue(!late.isDone(), "nothing runs before the earlier write is done");
    slow.complete("slow");
    assertEquals("slow", first.get(5, TimeUnit.SECONDS));
    ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof javax.cache.CacheException && e.getCause().getMessage().contains("leaseTimeout"),
        String.valueOf(e.getCause()));
    assertEquals(List.of(), started);
    assertEquals("now", limited.run("k", FREE, () -> CompletableFuture.completedFuture("now")).get(5, TimeUnit.SECONDS));
    assertEquals(0, limited.keysInFlight());
  }

  /**
   * The time the writes before a write waited for the key's turn for events is not held against
   * it, up to the limit once more: a write behind one that waited so goes on; one that waited longer
   * than that in all still fails, so each write's wait stays bounded; and its own wait for the turn
   * ends twice the limit after its call.
   */
  @Test
  void theTurnWaitsOfTheWritesBeforeAreForgivenUpToTheLimitOnceMore() throws Exception {
    WriteOrder limited = new WriteOrder(next, 100);
    CompletableFuture<String> waitedForTurn = new CompletableFuture<>();
    List<WriteOrder.Place> places = new CopyOnWriteArrayList<>();
    CompletableFuture<String> first = limited.run("k", FREE, place -> {
      places.add(place);
      return waitedForTurn;
    });
    CompletableFuture<String> forgiven = limited.run("k", FREE, place -> {
      places.add(place);
      return CompletableFuture.completedFuture("forgiven");
    });
    long called = System.nanoTime(); // after its call
    spin(150);
    places.get(0).waitedForTurn(TimeUnit.MILLISECONDS.toNanos(150)); // as ListenerSteps reports it
    waitedForTurn.complete("first");
    assertEquals("first", first.get(5, TimeUnit.SECONDS));
    assertEquals("forgiven", forgiven.get(5, TimeUnit.SECONDS), "150 ms in line, all of it while the first waited for the turn");
    long deadline = places.get(1).turnDeadline() - called;
    assertTrue(deadline <= TimeUnit.MILLISECONDS.toNanos(200), "its own turn wait ends twice the limit after its call: " + deadline);

    CompletableFuture<String> waitedLong = new CompletableFuture<>();
    limited.run("k", FREE, place -> {
      places.add(place);
      return waitedLong;
    });
    CompletableFuture<String> late = limited.run("k", FREE, place -> CompletableFuture.completedFuture("late"));
    spin(250);
    places.get(2).waitedForTurn(TimeUnit.MILLISECONDS.toNanos(250));
    waitedLong.complete("long");
    ExecutionException e = assertThrows(ExecutionException.class, () -> late.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof CacheException && e.getCause().getMessage().contains("leaseTimeout"),
        "250 ms in line is more than the limit even with 100 ms of it forgiven: " + e.getCause());
    assertEquals(0, limited.keysInFlight());
  }

  /** Lets {@code millis} pass: what is measured is the wait itself. */
  private static void spin(long millis) {
    long since = System.nanoTime();
    while (System.nanoTime() - since < TimeUnit.MILLISECONDS.toNanos(millis)) {
      Thread.onSpinWait();
    }
  }

  @Test
  void aWriteThatThrowsWhenStartedStillHandsTheTurnOn() throws Exception {
    CompletableFuture<String> failed = order.run("k", FREE, () -> {
      throw new AssertionError("broken");
    });
    assertTrue(failed.isCompletedExceptionally());
    assertEquals("next", order.run("k", FREE, () -> CompletableFuture.completedFuture("next")).get(5, TimeUnit.SECONDS));
  }

  @Test
  void aWriteThatThrowsAnUndeclaredCheckedExceptionStillHandsTheTurnOn() throws Exception {
    CompletableFuture<String> failed = order.run("k", FREE, () -> {
      throw io.github.newcache.testing.Undeclared.thrown(new java.io.IOException("undeclared"));
    });
    assertTrue(failed.isCompletedExceptionally());
    assertEquals("next", order.run("k", FREE, () -> CompletableFuture.completedFuture("next")).get(5, TimeUnit.SECONDS));
  }

  /** Writes of many keys in opposite orders, from four threads: none waits for another for ever. */
  @Test
  void writesOfSeveralKeysNeverWaitForEachOther() throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(4);
    try {
      List<CompletableFuture<?>> all = new CopyOnWriteArrayList<>();
      List<CompletableFuture<Void>> held = new CopyOnWriteArrayList<>();
      List<CompletableFuture<?>> submitted = new ArrayList<>();
      List<String> up = new ArrayList<>();
      for (int k = 0; k < 64; k++) {
        up.add("k" + k);
      }
      List<String> down = new ArrayList<>(up);
      java.util.Collections.reverse(down);
      for (int i = 0; i < 2000; i++) {
        List<String> keys = i % 2 == 0 ? up : down;
        boolean single = i % 3 == 0;
        submitted.add(CompletableFuture.runAsync(() -> {
          CompletableFuture<Void> w = new CompletableFuture<>();
          held.add(w);
          all.add(single ? order.run(keys.get(1), FREE, () -> w) : order.runAll(keys, FREE, () -> w));
        }, callers));
      }
      CompletableFuture.allOf(submitted.toArray(new CompletableFuture<?>[0])).get(5, TimeUnit.SECONDS);
      for (CompletableFuture<Void> w : held) {
        w.complete(null);
      }
      // Every write ends once the ones before it did; one waiting for a later one would never start.
      CompletableFuture.allOf(all.toArray(new CompletableFuture<?>[0])).get(10, TimeUnit.SECONDS);
      assertEquals(0, order.keysInFlight());
    } finally {
      callers.shutdownNow();
    }
  }

  @Test
  void aWriteWhoseChargeIsRefusedFailsWithoutTakingATurn() throws Exception {
    CompletableFuture<String> first = new CompletableFuture<>();
    CompletableFuture<String> a = order.run("k", FREE, () -> first);
    List<String> started = new CopyOnWriteArrayList<>();
    CompletableFuture<String> refused = order.run("k", () -> {
      throw new CacheException("the queue for server s is full");
    }, () -> {
      started.add("refused");
      return CompletableFuture.completedFuture("refused");
    });
    ExecutionException e = assertThrows(ExecutionException.class, () -> refused.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof CacheException, e.toString());
    // the line holds the first write only: the next one waits for it, not for the refused one
    CompletableFuture<String> b = order.run("k", FREE, () -> CompletableFuture.completedFuture("b"));
    first.complete("a");
    assertEquals("a", a.get(5, TimeUnit.SECONDS));
    assertEquals("b", b.get(5, TimeUnit.SECONDS));
    assertTrue(started.isEmpty(), "the refused write never started");
    assertEquals(0, order.keysInFlight());
  }

  @Test
  void aBlindWriteWithNoWriteBeforeItTakesNoCharge() throws Exception {
    CompletableFuture<String> blind = order.runBlind("k", () -> {
      throw new AssertionError("charged");
    }, () -> CompletableFuture.completedFuture("set"));
    assertEquals("set", blind.get(5, TimeUnit.SECONDS));
  }
}
