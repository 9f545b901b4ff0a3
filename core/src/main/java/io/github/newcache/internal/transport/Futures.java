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
}
