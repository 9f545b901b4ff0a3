package io.github.newcache.internal.store;

import io.github.newcache.internal.transport.HandOffFuture;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Where the store's non-blocking reads go on once memcached answers. A small read's answer arrives
 * on the client's IO thread, and what follows (the cache's rules, decoding the value) runs there;
 * that is right for values that decoding only copies, and wrong for those that need Java
 * deserialization or an application's codec, which may be slow or run the application's code.
 * Those continue on the callback threads instead.
 */
final class Answers {

  private Answers() {}

  /** What a read's answer parses into, and whether its values are quick to decode. */
  record Parsed<R>(R result, boolean quick) {}

  /**
   * Completes {@code out} with what {@code parse} makes of {@code answer}: in the thread that
   * completed {@code answer} when the values are quick to decode, else on {@code continuations}
   * (or here, once those are shut down with the manager).
   */
  static <T, R> void complete(
      CompletableFuture<T> answer, CompletableFuture<R> out, Executor continuations, Function<T, Parsed<R>> parse) {
    complete(answer, HandOffFuture.completing(out), continuations, parse);
  }

  /** {@link #complete(CompletableFuture, CompletableFuture, Executor, Function)}, handing the result or failure to {@code then}. */
  // FutureReturnValueIgnored: whenComplete's future is dropped; its action hands on failures too.
  @SuppressWarnings("FutureReturnValueIgnored")
  static <T, R> void complete(
      CompletableFuture<T> answer, BiConsumer<? super R, ? super Throwable> then, Executor continuations, Function<T, Parsed<R>> parse) {
    answer.whenComplete(continuing(then, continuations, parse));
  }

  /**
   * What to do with a read's answer or failure: parse it and hand it to {@code then}, in this
   * thread when the values are quick to decode, else on {@code continuations} (or here, once those
   * are shut down with the manager). Never throws.
   */
  static <T, R> BiConsumer<T, Throwable> continuing(
      BiConsumer<? super R, ? super Throwable> then, Executor continuations, Function<T, Parsed<R>> parse) {
    return (a, e) -> {
      if (e != null) {
        then.accept(null, e);
        return;
      }
      Parsed<R> p;
      try {
        p = parse.apply(a);
      } catch (RuntimeException x) {
        then.accept(null, x);
        return;
      }
      if (p.quick()) {
        then.accept(p.result(), null);
        return;
      }
      try {
        continuations.execute(() -> then.accept(p.result(), null));
      } catch (RejectedExecutionException closed) {
        then.accept(p.result(), null);
      }
    };
  }
}
