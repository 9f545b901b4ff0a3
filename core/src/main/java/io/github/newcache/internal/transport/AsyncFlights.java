package io.github.newcache.internal.transport;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.CacheException;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.protocol.BaseOperationImpl;

/**
 * The non-blocking form of an operation's life ({@link Flights}): no thread waits while it is in
 * flight. Its future is completed when spymemcached's completion listener fires (for a single
 * {@linkplain #get get}, when the operation's own callback, ours, hears the answer), or failed by
 * {@link Deadlines} when no answer comes within the operation timeout; like a blocking wait, the
 * deadline moves out by the longest pause of the client meanwhile ({@link ClientPauses}). Whichever
 * comes first settles it, with the same admission, size checks, breaker reports and messages as the
 * blocking form.
 *
 * <p>Where it completes: a get, or a read issued {@linkplain #issueRead inline}, whose answer is at most
 * {@value #INLINE_BYTES} bytes completes on the IO thread itself, which then runs only the store's
 * own steps (decoding the envelope) before the caller's future, a {@link HandOffFuture}, wakes a
 * waiting caller or hands its stages to the callback threads. Every other operation, and a large
 * answer, completes on the callback threads: their continuations may run the user's expiry policy
 * or {@code equals}, decode large values, or send the next command, none of which may hold up the
 * thread that reads every answer. A timed-out operation fails on the thread of {@link Deadlines},
 * which times out every operation, so that it fails even while stages hold both callback threads
 * waiting for it. An operation issued from the IO thread is sent from a callback thread, since
 * sending may wait for room in the queue that only the IO thread drains. What is handed to the
 * callback threads on the way (a large answer, a value the store decodes there, see {@link
 * MemcachedTransport#continueRead}, an operation issued from the IO thread) keeps the operation's
 * deadline until a callback thread takes it ({@link Relay}): held by such stages, they would
 * otherwise never take it, and its future would stay pending for ever.
 */
final class AsyncFlights implements AutoCloseable {

  /** The largest answer of an inline read completed on the IO thread (its decoding runs there). */
  static final int INLINE_BYTES = 16 * 1024;

  private final Flights flights;
  private final ClientPauses pauses;
  private final long timeoutNanos;
  private final ExecutorService callbacks;
  private final Executor stages;
  private final Deadlines timeouts;

  AsyncFlights(Flights flights, ClientPauses pauses, long timeoutMillis) {
    this.flights = flights;
    this.pauses = pauses;
    this.timeoutNanos = timeoutMillis * 1_000_000L;
    this.callbacks = CallbackThreads.pool();
    this.stages = CallbackThreads.orInline(callbacks);
    this.timeouts = new Deadlines(timeoutNanos);
  }

  /** What a command makes of memcached's answer, given the spymemcached future it came from. */
  @FunctionalInterface
  interface Reading<T, R> {
    R read(Future<T> f, T answer);
  }

  /** The threads that run completions, and the stages callers add to the futures handed out. */
  ExecutorService callbacks() {
    return callbacks;
  }

  /** Where the stages callers add to the futures handed out run: {@link CallbackThreads#orInline} of the callback threads. */
  Executor stages() {
    return stages;
  }

  /** {@link #issue(Flights.Op, byte[], Supplier, Reading)} of a command whose answer is its result. */
  <T> CompletableFuture<T> issue(Flights.Op op, byte[] value, Supplier<? extends Future<T>> issue) {
    return issue(op, value, issue, (f, answer) -> answer, false);
  }

  /**
   * A read whose answer, when at most {@value #INLINE_BYTES} bytes, completes the future on the IO
   * thread: only for reads whose continuations are the store's own quick steps (see the class
   * comment).
   */
  <T> CompletableFuture<T> issueRead(Flights.Op op, Supplier<? extends Future<T>> issue) {
    return issue(op, null, issue, (f, answer) -> answer, true);
  }

  /** {@link #issue(Flights.Op, byte[], Supplier, Reading, boolean)}, completed on the callback threads. */
  <T, R> CompletableFuture<R> issue(
      Flights.Op op, byte[] value, Supplier<? extends Future<T>> issue, Reading<T, R> reading) {
    return issue(op, value, issue, reading, false);
  }

  /**
   * Admits, checks and enqueues the operation {@code issue} sends (failing the future at once when
   * any of that refuses), then settles the future as the class comment says, with what {@code
   * reading} makes of the answer.
   */
  <T, R> CompletableFuture<R> issue(
      Flights.Op op, byte[] value, Supplier<? extends Future<T>> issue, Reading<T, R> reading, boolean inline) {
    if (Thread.currentThread() instanceof MemcachedConnection) {
      return onCallbackThread(op, () -> issue(op, value, issue, reading, inline));
    }
    Future<T> f;
    try {
      if (value != null) {
        flights.checkSize(op.name(), op.key(), value);
      }
      if (op.admitted() == null) { // a batch admitted its servers already
        flights.admit(op.key(), op.name());
      }
      f = uninterrupted(() -> flights.enqueue(op.name(), op.key(), issue::get));
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<R> result = new CompletableFuture<>();
    Issued<T, R> deadline = new Issued<>(op, result, f, reading);
    try {
      timeouts.add(deadline);
    } catch (RejectedExecutionException closed) {
      f.cancel(false);
      return CompletableFuture.failedFuture(new CacheException("the cache manager is closed"));
    }
    OperationWait.onComplete(f, inline ? deadline::answeredInline : deadline::answered);
    return result;
  }

  /**
   * The deadline of one {@link #issue}d operation, settled once: by its answer (spymemcached's
   * completion listener) or by the deadline. Whichever settles it lets go of the future, the result
   * and the reading, since a settled deadline may wait in the queue behind an unanswered one, up to
   * an operation timeout: spymemcached's future holds the operation, and a write's operation its
   * value; the result holds the answer.
   */
  private final class Issued<T, R> extends Deadlines.Deadline {
    final Flights.Op op;
    /** Set before it is queued or listened to; read, then cleared, by what settles it. */
    private CompletableFuture<R> result;
    private Future<T> f;
    private Reading<T, R> reading;

    Issued(Flights.Op op, CompletableFuture<R> result, Future<T> f, Reading<T, R> reading) {
      this.op = op;
      this.result = result;
      this.f = f;
      this.reading = reading;
    }

    /**
     * The operation completed: its answer is read on a callback thread; once those are gone with
     * the manager, it fails here as in flight at the close.
     */
    void answered() {
      try {
        callbacks.execute(() -> {
          if (settle()) {
            try {
              AsyncFlights.this.settle(result, f, op, true, reading);
            } finally {
              letGo();
            }
          }
        });
      } catch (RejectedExecutionException closed) {
        // the manager closed with the operation in flight: say so rather than never completing
        if (settle()) {
          try {
            result.completeExceptionally(inFlightAtClose(op));
          } finally {
            letGo();
          }
        }
      }
    }

    /** The operation completed: read on the IO thread ({@link #issueRead}). */
    void answeredInline() {
      if (settle()) {
        try {
          settleOnIoThread(result, f, op, reading, start);
        } finally {
          letGo();
        }
      }
    }

    @Override
    long expire(long now) {
      long later = later(this, now);
      if (later == 0 && settle()) {
        BiConsumer<R, Throwable> to = HandOffFuture.completing(result);
        try {
          fromSweep(to, reading.read(f, flights.outcome(f, op, false)), null);
        } catch (RuntimeException e) {
          fromSweep(to, null, e);
        } finally {
          letGo();
        }
      }
      return later;
    }

    @Override
    void closed() {
      if (settle()) {
        try {
          f.cancel(false);
          result.completeExceptionally(inFlightAtClose(op));
        } finally {
          letGo();
        }
      }
    }

    private void letGo() {
      result = null;
      f = null;
      reading = null;
    }
  }

  /**
   * Hands operations to spymemcached with this thread's interrupt flag cleared, then sets it again
   * if it was set. spymemcached refuses to enqueue for an interrupted thread (its node's {@code
   * addOp} awaits the authentication latch and offers to the queue interruptibly, and both throw on
   * the flag even when neither would wait); a non-blocking call waits for nothing that an interrupt
   * could cut short, so it must not depend on the flag, and leaves it for the caller.
   */
  private static <T> T uninterrupted(Supplier<T> send) {
    boolean interrupted = Thread.interrupted();
    try {
      return send.get();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** {@link #uninterrupted(Supplier)} of sends that answer nothing. */
  private static void uninterrupted(Runnable send) {
    uninterrupted(() -> {
      send.run();
      return null;
    });
  }

  /**
   * {@code issue} run on a callback thread, for a call made on the IO thread: sending may wait for
   * room in a queue that only the IO thread drains. Its future fails when no callback thread takes
   * it within the operation timeout ({@link Relay}).
   */
  private <R> CompletableFuture<R> onCallbackThread(Flights.Op op, Supplier<CompletableFuture<R>> issue) {
    CompletableFuture<R> sent = new CompletableFuture<>();
    boolean bestEffort = BestEffort.sending();
    Runnable send = () -> {
      try {
        Futures.forward(bestEffort ? BestEffort.send(issue) : issue.get(), sent);
      } catch (RuntimeException e) {
        sent.completeExceptionally(e);
      }
    };
    relay(new Relay(System.nanoTime(), calledOnIoThread(op), timeoutMillis(), this::later, send, sent::completeExceptionally),
        () -> sent.completeExceptionally(new CacheException("the cache manager is closed")));
    return sent;
  }

  /** What an operation called on the IO thread is, for {@link Relay}'s message. */
  private static String calledOnIoThread(Flights.Op op) {
    return "memcached " + op.name() + " of " + op.what() + ", called on the client's IO thread and so sent from a callback thread,";
  }

  /**
   * Runs {@code work}, what goes on from the answer of an operation sent at {@code start}, on a
   * callback thread, the operation's deadline still armed ({@link Relay}): {@code fail} gets the
   * failure if none takes it in time. In this thread when it is a callback thread already, or once
   * the manager closed.
   *
   * @param what the operation, for the message: "get of k"
   */
  void relay(long start, String what, Runnable work, Consumer<? super CacheException> fail) {
    if (CallbackThreads.isCurrent()) {
      work.run();
      return;
    }
    relay(new Relay(start, "the answer of memcached " + what, timeoutMillis(), this::later, work, fail), work);
  }

  /** Queues {@code r} for the callback threads and its deadline; runs {@code ifClosed} instead once the manager closed. */
  private void relay(Relay r, Runnable ifClosed) {
    try {
      timeouts.add(r);
    } catch (RejectedExecutionException closed) {
      if (r.settle()) {
        ifClosed.run();
      }
      return;
    }
    try {
      callbacks.execute(r);
    } catch (RejectedExecutionException closed) {
      r.closed(); // the close ran, or runs, what was in flight: settled once
    }
  }

  private long timeoutMillis() {
    return timeoutNanos / 1_000_000L;
  }

  /**
   * The deadline {@code d} waits for now that its first one passed: a later one when the client
   * was paused since it was sent, else 0 (it is due).
   */
  long later(Deadlines.Deadline d, long now) {
    long extended = d.start + timeoutNanos + pauses.longestSince(d.start, now);
    return now - extended < 0 ? extended : 0;
  }

  /**
   * A get of one key sent with a callback of ours ({@link Landing}) instead of through
   * spymemcached's future, its latch and its listeners: the value (null when absent) or the failure
   * is handed to {@code then} by the callback itself, on the IO thread when the value is at most
   * {@value #INLINE_BYTES} bytes (as {@link #issueRead}), else on the callback threads; or by the
   * deadline, on the callback threads; or, when refused before it is sent, at once in this thread.
   * Admission, timeouts, breaker reports and messages are those of {@link #issue}.
   *
   * @param create spymemcached's operation for the key, reporting to the callback given
   * @param send enqueues that operation for its server (throws as spymemcached's calls do)
   * @param then takes the answer once; must not throw
   */
  void get(Flights.Op op, Function<GetOperation.Callback, Operation> create, Consumer<Operation> send,
      BiConsumer<? super byte[], ? super Throwable> then) {
    if (Thread.currentThread() instanceof MemcachedConnection) {
      relay(new Relay(System.nanoTime(), calledOnIoThread(op), timeoutMillis(), this::later,
              () -> get(op, create, send, then), e -> hand(then, null, e)),
          () -> hand(then, null, new CacheException("the cache manager is closed")));
      return;
    }
    Landing landing = new Landing(op, then);
    try {
      flights.admit(op.key(), op.name());
      landing.sent = create.apply(landing);
      uninterrupted(() -> flights.send(op.name(), op.key(), () -> send.accept(landing.sent)));
    } catch (RuntimeException e) {
      hand(then, null, e);
      return;
    }
    try {
      timeouts.add(landing);
    } catch (RejectedExecutionException closed) {
      if (landing.settle()) {
        landing.sent.cancel();
        hand(then, null, new CacheException("the cache manager is closed"));
      }
    }
  }

  /** The failure of an operation still in flight when the manager closed. */
  private static CacheException inFlightAtClose(Flights.Op op) {
    return new CacheException("memcached " + op.name() + " of " + op.what() + " was in flight when the cache manager closed");
  }

  /**
   * A multi-get sent as several operations that report to one {@link Awaited.Gets} ({@link
   * GetBatches}), with no thread waiting: once the last of them completes, {@code read} makes the
   * result of the answers on the IO thread, which completes the future when the values are at most
   * {@value #INLINE_BYTES} bytes in all (as {@link #issueRead}); or the deadline fails it with the
   * timeout of the first operation still unanswered. {@code op} was admitted past the breakers
   * already; a send refused fails the future at once. Failures and messages are those of the
   * blocking multi-get ({@link Flights#finishAll}).
   *
   * @param keys how many keys the multi-get asks for (the answers' slots)
   * @param make the multi-get's operations, each reporting to the answers given; none sent yet
   * @param send enqueues one of them for the server of the key given (throws as spymemcached's calls do)
   */
  <R> CompletableFuture<R> gets(Flights.Op op, int keys, Function<Awaited.Gets, List<GetBatches.Send>> make,
      BiConsumer<String, Operation> send, Function<Awaited.Gets, R> read) {
    if (Thread.currentThread() instanceof MemcachedConnection) {
      return onCallbackThread(op, () -> gets(op, keys, make, send, read));
    }
    CompletableFuture<R> result = new CompletableFuture<>();
    Batch<R> batch = new Batch<>(op, result, read);
    batch.answers = new Awaited.Gets(keys, batch::landed);
    try {
      batch.sent = make.apply(batch.answers);
      uninterrupted(() -> flights.sendAll(op.name(), batch.sent, send));
    } catch (RuntimeException e) {
      if (batch.settle()) {
        result.completeExceptionally(e);
      }
      return result;
    }
    try {
      timeouts.add(batch);
    } catch (RejectedExecutionException closed) {
      if (batch.settle()) {
        batch.cancel();
        result.completeExceptionally(new CacheException("the cache manager is closed"));
      }
    }
    return result;
  }

  /**
   * The deadline of one {@link #gets}, settled once: when its answers complete (the last operation's
   * {@code complete}, which also follows a cancel or spymemcached's own timeout) or by the deadline.
   */
  private final class Batch<R> extends Deadlines.Deadline {
    final Flights.Op op;
    /**
     * All four set before any operation is sent, so before any callback or deadline; let go once
     * it is settled, since a settled deadline may wait in the queue behind an unanswered one (the
     * answers and the result hold the values read).
     */
    private CompletableFuture<R> result;
    private Function<Awaited.Gets, R> read;
    Awaited.Gets answers;
    List<GetBatches.Send> sent;

    Batch(Flights.Op op, CompletableFuture<R> result, Function<Awaited.Gets, R> read) {
      this.op = op;
      this.result = result;
      this.read = read;
    }

    /** Every operation completed: in the IO thread that completed the last. */
    void landed() {
      if (settle()) {
        finish();
      }
    }

    /** Reads the answers and completes the result: from the IO thread that heard the last, or from the sweep. */
    private void finish() {
      BiConsumer<R, Throwable> to = HandOffFuture.completing(result);
      R value;
      try {
        flights.landedAll(sent, answers, op);
        value = read.apply(answers);
      } catch (RuntimeException e) {
        hand(to, null, e);
        return;
      } finally {
        letGo();
      }
      handFromIoThread(to, value, start, op);
    }

    /** Cancels its operations, once it is settled, and lets go of what it holds. */
    void cancel() {
      for (GetBatches.Send s : sent) {
        s.op().cancel();
      }
      letGo();
    }

    private void letGo() {
      result = null;
      read = null;
      answers = null;
      sent = null;
    }

    @Override
    long expire(long now) {
      long later = later(this, now);
      if (later != 0 || !settle()) {
        return later;
      }
      Operation late = Flights.pending(sent);
      if (late == null) {
        // every operation completed, and lost the race to settle; what they answered is visible
        // (written before their state, which the check read, became COMPLETE)
        finish();
      } else {
        BiConsumer<R, Throwable> to = HandOffFuture.completing(result);
        letGo();
        fromSweep(to, null, flights.expired(late, op));
      }
      return 0;
    }

    @Override
    void closed() {
      if (settle()) {
        CompletableFuture<R> out = result;
        cancel();
        out.completeExceptionally(inFlightAtClose(op));
      }
    }
  }

  /**
   * The callback and deadline of one {@link #get}: settled once, by memcached's answer (the
   * operation's {@code complete}, which also follows a cancel or spymemcached's own timeout) or by
   * the deadline. Whichever settles it lets go of the operation, the value and {@code then} (which
   * holds what the value is handed to), since a settled deadline may wait in the queue behind an
   * unanswered one.
   */
  private final class Landing extends Deadlines.Deadline implements GetOperation.Callback {
    final Flights.Op op;
    private BiConsumer<? super byte[], ? super Throwable> then;
    /** Set before it is enqueued, so before any callback. */
    Operation sent;
    /** The value, when memcached found the key; written and read by the IO thread. */
    private byte[] value;
    /** spymemcached cancelled or timed out the get, or a clone of it; written before complete(). */
    private boolean abandoned;

    Landing(Flights.Op op, BiConsumer<? super byte[], ? super Throwable> then) {
      this.op = op;
      this.then = then;
    }

    @Override
    public void gotData(String key, int flags, byte[] data) {
      value = data;
    }

    @Override
    public void receivedStatus(OperationStatus status) {
      // found, not found or failed: complete() reads it from the operation, or from a clone's
      // status when spymemcached moved the get to another server (see Flights.landed)
      if (status == BaseOperationImpl.CANCELLED || status == BaseOperationImpl.TIMED_OUT) {
        abandoned = true;
      }
    }

    @Override
    public void complete() {
      if (!settle()) {
        return;
      }
      byte[] v = value;
      BiConsumer<? super byte[], ? super Throwable> to = then;
      Operation answered = sent;
      letGo();
      try {
        v = flights.landed(answered, op, v, abandoned);
      } catch (RuntimeException e) {
        hand(to, null, e);
        return;
      }
      handFromIoThread(to, v, start, op);
    }

    @Override
    long expire(long now) {
      long later = later(this, now);
      if (later == 0 && settle()) {
        BiConsumer<? super byte[], ? super Throwable> to = then;
        Operation late = sent;
        letGo();
        fromSweep(to, null, flights.expired(late, op));
      }
      return later;
    }

    @Override
    void closed() {
      if (settle()) {
        BiConsumer<? super byte[], ? super Throwable> to = then;
        Operation late = sent;
        letGo();
        late.cancel();
        hand(to, null, inFlightAtClose(op));
      }
    }

    private void letGo() {
      value = null;
      then = null;
      sent = null;
    }
  }

  /**
   * Hands an answer on; {@code then} must not throw, and if it does, what it threw stays here (as
   * with a future's stage) rather than reaching the IO thread's loop.
   */
  private static <T> void hand(BiConsumer<? super T, ? super Throwable> then, T value, Throwable failure) {
    try {
      then.accept(value, failure);
    } catch (RuntimeException ignored) {
      // the caller's own failure: as a stage's, it cannot reach the thread that answered
    }
  }

  /**
   * Reads the answer on the IO thread and completes {@code result} there when it is small, else on
   * a callback thread (or here, when those are gone with the manager), as {@link #handFromIoThread}.
   */
  private <T, R> void settleOnIoThread(
      CompletableFuture<R> result, Future<T> f, Flights.Op op, Reading<T, R> reading, long start) {
    R answer;
    try {
      answer = reading.read(f, flights.outcome(f, op, true));
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
      return;
    }
    handFromIoThread(HandOffFuture.completing(result), answer, start, op);
  }

  /**
   * Hands {@code answer} to {@code then} in this thread (the IO thread) when it is at most {@value
   * #INLINE_BYTES} bytes, else on a callback thread (or here, once those are gone with the manager),
   * failing it when none takes it by the deadline of {@code op}, sent at {@code start} ({@link
   * #relay(long, String, Runnable, Consumer)}).
   */
  private <R> void handFromIoThread(BiConsumer<? super R, ? super Throwable> then, R answer, long start, Flights.Op op) {
    if (bytes(answer) <= INLINE_BYTES) {
      hand(then, answer, null);
      return;
    }
    relay(start, op.name() + " of " + op.what(), () -> hand(then, answer, null), e -> hand(then, null, e));
  }

  /**
   * Completes what the sweep settled (a timeout), in the sweep's thread: the future then completes
   * even when both callback threads are held by stages that wait for it (a stage joining another
   * of the manager's futures), which a hand-off to them would leave pending for ever. Stages
   * callers add run on the callback threads all the same ({@link HandOffFuture}); the follow-ups
   * the store chains to a failure without waiting for them (a skipped write's delete, a lease's
   * release) never wait for room in a full queue ({@link BestEffort}).
   */
  private static <R> void fromSweep(BiConsumer<? super R, ? super Throwable> then, R value, Throwable failure) {
    hand(then, value, failure);
  }

  /** The value bytes an answer holds: a get's, a multi-get's (summed), 0 for anything else. */
  static long bytes(Object answer) {
    if (answer instanceof byte[] raw) {
      return raw.length;
    }
    if (answer instanceof Map<?, ?> found) {
      long sum = 0;
      for (Object v : found.values()) {
        sum += v instanceof byte[] raw ? raw.length : 0;
      }
      return sum;
    }
    return 0;
  }

  private <T, R> void settle(
      CompletableFuture<R> result, Future<T> f, Flights.Op op, boolean done, Reading<T, R> reading) {
    try {
      result.complete(reading.read(f, flights.outcome(f, op, done)));
    } catch (RuntimeException e) {
      result.completeExceptionally(e);
    }
  }

  /**
   * Fails what is in flight (see {@link Deadlines#close}), then stops the callback threads ({@link
   * CallbackThreads#stop}), so that no future handed out is left pending.
   */
  @Override
  public void close() {
    timeouts.close();
    CallbackThreads.stop(callbacks);
  }
}
