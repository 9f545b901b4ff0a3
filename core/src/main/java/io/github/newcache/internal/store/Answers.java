package io.github.newcache.internal.store;

import io.github.newcache.internal.transport.HandOffFuture;
import io.github.newcache.internal.transport.MemcachedTransport;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * Where the store's non-blocking reads go on once memcached answers. A small read's answer arrives
 * on the client's IO thread, and what follows (the cache's rules, decoding the value) runs there;
 * that is right for values that decoding only copies, and wrong for those that need Java
 * deserialization or an application's codec, which may be slow or run the application's code.
 * Those continue on the callback threads instead, with the read's deadline still armed ({@link
 * MemcachedTransport#continueRead}): when stages hold every callback thread waiting for this very
 * read, it fails within the operation timeout rather than staying pending for ever.
 */
final class Answers {

  private Answers() {}

  /** What a read's answer parses into, and whether its values are quick to decode. */
  record Parsed<R>(R result, boolean quick) {}

  /**
   * Completes {@code out} with what {@code parse} makes of {@code answer}, as {@link #continuing}
   * says.
   */
  static <T, R> void complete(CompletableFuture<T> answer, CompletableFuture<R> out, MemcachedTransport transport,
      String operation, Object what, Function<T, Parsed<R>> parse) {
    complete(answer, HandOffFuture.completing(out), transport, operation, what, parse);
  }

  /** {@link #complete(CompletableFuture, CompletableFuture, MemcachedTransport, String, Object, Function)}, handing the result or failure to {@code then}. */
  // FutureReturnValueIgnored: whenComplete's future is dropped; its action hands on failures too.
  @SuppressWarnings("FutureReturnValueIgnored")
  static <T, R> void complete(CompletableFuture<T> answer, BiConsumer<? super R, ? super Throwable> then,
      MemcachedTransport transport, String operation, Object what, Function<T, Parsed<R>> parse) {
    answer.whenComplete(continuing(then, transport, operation, what, parse));
  }

  /**
   * What to do with the answer or failure of a read sent now: parse it and hand it to {@code then},
   * in this thread when the values are quick to decode, else on the transport's callback threads
   * ({@link MemcachedTransport#continueRead}, which fails it when none takes it by the read's
   * deadline). Never throws.
   *
   * @param operation the read, for a message: {@code get}
   * @param what what it read, for a message: its key, or "n keys"
   */
  static <T, R> BiConsumer<T, Throwable> continuing(BiConsumer<? super R, ? super Throwable> then,
      MemcachedTransport transport, String operation, Object what, Function<T, Parsed<R>> parse) {
    long sent = System.nanoTime();
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
      transport.continueRead(operation, what, sent, () -> then.accept(p.result(), null), starved -> then.accept(null, starved));
    };
  }
}
