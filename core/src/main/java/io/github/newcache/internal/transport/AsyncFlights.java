package io.github.newcache.internal.transport;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import javax.cache.CacheException;

/**
 * The non-blocking form of an operation's life ({@link Flights}): no thread waits while it is in
 * flight. Its future is completed on a small pool of callback threads when spymemcached's
 * completion listener fires (the listener itself, on the IO thread, only hands over), or failed by
 * a timeout scheduler when no answer comes within the operation timeout; like a blocking wait, the
 * deadline moves out by the longest pause of the client meanwhile ({@link ClientPauses}). Whichever
 * comes first settles it, with the same admission, size checks, breaker reports and messages as the
 * blocking form.
 */
final class AsyncFlights implements AutoCloseable {

  /** Threads running completions: continuations of the futures handed out run there. */
  static final int CALLBACK_THREADS = 2;

  private final Flights flights;
  private final ClientPauses pauses;
  private final long timeoutNanos;
  private final ExecutorService callbacks;
  private final ScheduledThreadPoolExecutor timeouts;

  AsyncFlights(Flights flights, ClientPauses pauses, long timeoutMillis) {
    this.flights = flights;
    this.pauses = pauses;
    this.timeoutNanos = timeoutMillis * 1_000_000L;
    AtomicInteger threads = new AtomicInteger();
    this.callbacks =
        Executors.newFixedThreadPool(CALLBACK_THREADS, r -> {
          Thread t = new Thread(r, "newcache-callback-" + threads.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    this.timeouts = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "newcache-timeouts");
      t.setDaemon(true);
      return t;
    });
    this.timeouts.setRemoveOnCancelPolicy(true);
  }

  /** What a command makes of memcached's answer, given the spymemcached future it came from. */
  @FunctionalInterface
  interface Reading<T, R> {
    R read(Future<T> f, T answer);
  }

  /** {@link #issue(Flights.Op, byte[], Supplier, Reading)} of a command whose answer is its result. */
  <T> CompletableFuture<T> issue(Flights.Op op, byte[] value, Supplier<? extends Future<T>> issue) {
    return issue(op, value, issue, (f, answer) -> answer);
  }

  /**
   * Admits, checks and enqueues the operation {@code issue} sends (failing the future at once when
   * any of that refuses), then settles the future as the class comment says, with what {@code
   * reading} makes of the answer.
   */
  <T, R> CompletableFuture<R> issue(
      Flights.Op op, byte[] value, Supplier<? extends Future<T>> issue, Reading<T, R> reading) {
    Future<T> f;
    try {
      if (value != null) {
        flights.checkSize(op.name(), op.key(), value);
      }
      if (op.admitted() == null) { // a batch admitted its servers already
        flights.admit(op.key(), op.name());
      }
      f = flights.enqueue(op.name(), op.key(), issue::get);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<R> result = new CompletableFuture<>();
    AtomicBoolean settled = new AtomicBoolean();
    long start = System.nanoTime();
    Runnable deadline = new Runnable() {
      @Override
      public void run() {
        if (settled.get()) {
          return;
        }
        long now = System.nanoTime();
        long extended = start + timeoutNanos + pauses.longestSince(start, now);
        if (now - extended < 0) {
          reschedule(this, extended - now); // the client was paused
        } else if (settled.compareAndSet(false, true)) {
          settle(result, f, op, false, reading);
        }
      }
    };
    ScheduledFuture<?> timeout;
    try {
      timeout = timeouts.schedule(deadline, timeoutNanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      f.cancel(false);
      return CompletableFuture.failedFuture(new CacheException("the cache manager is closed"));
    }
    OperationWait.onComplete(f, () -> {
      try {
        callbacks.execute(() -> {
          if (settled.compareAndSet(false, true)) {
            timeout.cancel(false);
            settle(result, f, op, true, reading);
          }
        });
      } catch (RejectedExecutionException closed) {
        // the manager closed with the operation in flight: say so rather than never completing
        if (settled.compareAndSet(false, true)) {
          result.completeExceptionally(new CacheException(
              "memcached " + op.name() + " of " + op.what() + " was in flight when the cache manager closed"));
        }
      }
    });
    return result;
  }

  /**
   * Runs {@code deadline} again after {@code nanos}. Its handle is not kept: the deadline checks
   * whether the operation settled meanwhile, and close() drops whatever is still scheduled.
   */
  @SuppressWarnings("FutureReturnValueIgnored")
  private void reschedule(Runnable deadline, long nanos) {
    try {
      timeouts.schedule(deadline, nanos, TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException closed) {
      // the manager closed meanwhile
    }
  }

  private <T, R> void settle(
      CompletableFuture<R> result, Future<T> f, Flights.Op op, boolean done, Reading<T, R> reading) {
    try {
      result.complete(reading.read(f, flights.outcome(f, op, done)));
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  @Override
  public void close() {
    timeouts.shutdownNow();
    callbacks.shutdownNow();
  }
}
