package io.github.newcache.internal.transport;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.BiFunction;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The future a caller of the non-blocking API gets: it may be completed on spymemcached's IO
 * thread, which must never run the caller's code, so every stage the caller adds to it while it is
 * pending runs on {@code continuations} (as its {@code ...Async} form would). A stage added once it
 * is done runs at once in the caller's thread, as {@link CompletableFuture} does; a caller that
 * only waits ({@code join}, {@code get}) checks for the answer a few microseconds before it parks,
 * and is then woken directly, with no thread in between. The futures its stages return complete
 * on the continuation threads, so what is added to them runs there too.
 *
 * <p>{@link #copy()} and {@link #minimalCompletionStage()} hand off too: while this is pending,
 * the copy completes on {@code continuations}, as a stage's future does.
 *
 * <p>A wait for it, or for a future its stages return, on the client's IO thread while it is
 * pending is refused with {@link IllegalStateException} ({@link IoThread#refuseWait}), as a
 * blocking call there is: the check is one read of the result, and of the thread's class only
 * when the future is pending. A {@code get} with a timeout of zero or less is a poll, which never
 * waits, and still throws {@link TimeoutException} for a pending future there. Its stages' futures
 * are {@link WaitRefusingFuture}s, {@link CompletableFuture}s in every other way. A future {@code
 * CompletableFuture} makes itself ({@code allOf}, {@code anyOf}, {@code
 * minimalCompletionStage().toCompletableFuture()}) is a plain one, and cannot refuse.
 */
public final class HandOffFuture<T> extends WaitRefusingFuture<T> {

  private final Executor continuations;

  private HandOffFuture(Executor continuations) {
    this.continuations = continuations;
  }

  /** A future that completes as {@code source} does, handing the caller's stages to {@code continuations}. */
  public static <T> CompletableFuture<T> of(CompletableFuture<T> source, Executor continuations) {
    HandOffFuture<T> out = new HandOffFuture<>(continuations);
    Futures.forward(source, out);
    return out;
  }

  /** A pending future, for the caller to complete, that hands the stages added to it to {@code continuations}. */
  public static <T> CompletableFuture<T> pending(Executor continuations) {
    return new HandOffFuture<>(continuations);
  }

  /** Completes {@code to} as {@code from} completes, with its value or its failure. */
  public static <T> void forward(CompletableFuture<? extends T> from, CompletableFuture<T> to) {
    Futures.forward(from, to);
  }

  /** What completes {@code out} with a value, or with a failure when one is given. */
  public static <T> BiConsumer<T, Throwable> completing(CompletableFuture<? super T> out) {
    return (v, e) -> {
      if (e == null) {
        out.complete(v);
      } else {
        out.completeExceptionally(e);
      }
    };
  }

  @Override
  public Executor defaultExecutor() {
    return continuations;
  }

  @Override
  public <U> CompletableFuture<U> thenApply(Function<? super T, ? extends U> fn) {
    return isDone() ? super.thenApply(fn) : thenApplyAsync(fn);
  }

  @Override
  public CompletableFuture<Void> thenAccept(Consumer<? super T> action) {
    return isDone() ? super.thenAccept(action) : thenAcceptAsync(action);
  }

  @Override
  public CompletableFuture<Void> thenRun(Runnable action) {
    return isDone() ? super.thenRun(action) : thenRunAsync(action);
  }

  @Override
  public <U, V> CompletableFuture<V> thenCombine(
      CompletionStage<? extends U> other, BiFunction<? super T, ? super U, ? extends V> fn) {
    return thenCombineAsync(other, fn);
  }

  @Override
  public <U> CompletableFuture<Void> thenAcceptBoth(
      CompletionStage<? extends U> other, BiConsumer<? super T, ? super U> action) {
    return thenAcceptBothAsync(other, action);
  }

  @Override
  public CompletableFuture<Void> runAfterBoth(CompletionStage<?> other, Runnable action) {
    return runAfterBothAsync(other, action);
  }

  @Override
  public <U> CompletableFuture<U> applyToEither(CompletionStage<? extends T> other, Function<? super T, U> fn) {
    return applyToEitherAsync(other, fn);
  }

  @Override
  public CompletableFuture<Void> acceptEither(CompletionStage<? extends T> other, Consumer<? super T> action) {
    return acceptEitherAsync(other, action);
  }

  @Override
  public CompletableFuture<Void> runAfterEither(CompletionStage<?> other, Runnable action) {
    return runAfterEitherAsync(other, action);
  }

  @Override
  public <U> CompletableFuture<U> thenCompose(Function<? super T, ? extends CompletionStage<U>> fn) {
    return isDone() ? super.thenCompose(fn) : thenComposeAsync(fn);
  }

  @Override
  public CompletableFuture<T> whenComplete(BiConsumer<? super T, ? super Throwable> action) {
    return isDone() ? super.whenComplete(action) : whenCompleteAsync(action);
  }

  @Override
  public <U> CompletableFuture<U> handle(BiFunction<? super T, Throwable, ? extends U> fn) {
    return isDone() ? super.handle(fn) : handleAsync(fn);
  }

  @Override
  public CompletableFuture<T> exceptionally(Function<Throwable, ? extends T> fn) {
    return isDone() ? super.exceptionally(fn) : exceptionallyAsync(fn);
  }

  @Override
  public CompletableFuture<T> exceptionallyCompose(Function<Throwable, ? extends CompletionStage<T>> fn) {
    return isDone() ? super.exceptionallyCompose(fn) : exceptionallyComposeAsync(fn);
  }

  /**
   * How many times a waiting caller checks for the answer before it parks. An answer on its way
   * from the IO thread comes within a few microseconds; parking for it costs the waiting thread a
   * sleep and the IO thread a wake-up system call on every completion that finds a caller asleep.
   * This spins at most a few microseconds (JDK 8's {@link CompletableFuture} spun too).
   */
  static final int SPINS = 200;

  private void awaitBriefly() {
    for (int i = 0; i < SPINS && !isDone(); i++) {
      Thread.onSpinWait();
    }
  }

  @Override
  public T get() throws InterruptedException, ExecutionException {
    IoThread.refuseWait(this);
    awaitBriefly();
    return super.get();
  }

  @Override
  public T join() {
    IoThread.refuseWait(this);
    awaitBriefly();
    return super.join();
  }

  /**
   * {@inheritDoc} While this is pending, the copy completes on {@code continuations}, as the future
   * of any other stage does, so that what is added to it never runs on the IO thread; once this is
   * done, the copy is done at once.
   */
  @Override
  public CompletableFuture<T> copy() {
    return isDone() ? super.copy() : whenCompleteAsync((v, e) -> { });
  }

  /** {@inheritDoc} A minimal view of {@link #copy()}: its stages never run on the IO thread either. */
  @Override
  public CompletionStage<T> minimalCompletionStage() {
    return copy().minimalCompletionStage();
  }
}
