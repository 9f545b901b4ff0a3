package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where the stages added to a {@link HandOffFuture}'s {@code copy()} and {@code
 * minimalCompletionStage()} run: on the continuation threads, never in the thread that completes
 * the future (in the client, its IO thread), as the stages added to the future itself.
 */
class HandOffFutureTest {

  private final ExecutorService continuations = Executors.newSingleThreadExecutor(r -> new Thread(r, "continuation"));

  @AfterEach
  void stop() throws InterruptedException {
    continuations.shutdownNow();
    assertTrue(continuations.awaitTermination(10, TimeUnit.SECONDS));
  }

  /** Completes {@code f} with {@code v} in a thread named "completer", as the IO thread would. */
  private static <T> void completeOnAnotherThread(CompletableFuture<T> f, T v) throws InterruptedException {
    Thread completer = new Thread(() -> f.complete(v), "completer");
    completer.start();
    completer.join(10_000);
  }

  /**
   * Stages added to the copy and to the minimal stage of a pending future run on the continuation
   * threads. Before, copy() and minimalCompletionStage() were CompletableFuture's own, completed in
   * the thread that completed the future, which then ran those stages: the client's IO thread.
   */
  @Test
  void stagesOfTheCopyAndTheMinimalStageOfAPendingFutureRunOnTheContinuationThreads() throws Exception {
    CompletableFuture<String> f = HandOffFuture.pending(continuations);
    CompletableFuture<String> copied = f.copy().thenApply(v -> Thread.currentThread().getName());
    CompletableFuture<String> minimal = f.minimalCompletionStage().thenApply(v -> Thread.currentThread().getName())
        .toCompletableFuture();
    completeOnAnotherThread(f, "v");
    assertEquals("continuation", copied.get(10, TimeUnit.SECONDS));
    assertEquals("continuation", minimal.get(10, TimeUnit.SECONDS));
  }

  /** The copy of a done future is done at once, with no hop to the continuation threads; a failure is kept. */
  @Test
  void theCopyOfADoneFutureIsDoneAtOnceAndKeepsItsOutcome() throws Exception {
    CompletableFuture<String> done = HandOffFuture.pending(continuations);
    done.complete("v");
    assertTrue(done.copy().isDone());
    assertEquals("v", done.copy().getNow(null));
    assertTrue(done.minimalCompletionStage().toCompletableFuture().isDone());

    IllegalStateException cause = new IllegalStateException("failed");
    CompletableFuture<String> failed = HandOffFuture.pending(continuations);
    CompletableFuture<String> copyWhilePending = failed.copy();
    failed.completeExceptionally(cause);
    for (CompletableFuture<String> copy : new CompletableFuture[] {copyWhilePending, failed.copy()}) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> copy.get(10, TimeUnit.SECONDS));
      assertSame(cause, e.getCause());
      CompletionException joined = assertThrows(CompletionException.class, copy::join);
      assertSame(cause, joined.getCause());
    }
  }
}
