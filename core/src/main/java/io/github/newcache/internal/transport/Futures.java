package io.github.newcache.internal.transport;

import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/** Small helpers for the transport's non-blocking forms. */
final class Futures {

  private Futures() {}

  /** The result of {@code call} as a completed future, or its exception as a failed one. */
  static <T> CompletableFuture<T> of(Supplier<T> call) {
    try {
      return CompletableFuture.completedFuture(call.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /** Completes {@code to} as {@code from} completes, with its value or its failure. */
  // FutureReturnValueIgnored: whenComplete's future is dropped; its action completes to.
  @SuppressWarnings("FutureReturnValueIgnored")
  static <T> void forward(CompletableFuture<? extends T> from, CompletableFuture<T> to) {
    from.whenComplete(HandOffFuture.completing(to));
  }
}
