package io.github.newcache.internal.transport;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.CacheException;
import net.spy.memcached.CASResponse;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.internal.CheckedOperationTimeoutException;
import net.spy.memcached.internal.OperationFuture;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationException;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;

/**
 * The life of one operation between {@link SpyTransport}'s commands and spymemcached: admitted by
 * the stall breakers ({@link NodeBreakers}) and the servers' item limits ({@link ItemLimits}),
 * enqueued within the queue bounds, awaited without counting the client's pauses ({@link
 * OperationWait}), its answer or timeout reported to the breakers, and every failure turned into
 * one {@link CacheException} that names the server, the operation and, where it matters, the
 * failure mode in force. A timed-out write may still be applied when its server answers; the
 * message says so, because the client cannot know.
 */
final class Flights {

  private final NodeBreakers breakers;
  private final ItemLimits limits;
  private final OperationWait wait;
  private final Function<String, MemcachedNode> nodes;
  private final long timeoutMillis;
  private final String failureMode;
  private final String queueLimits;

  Flights(NodeBreakers breakers, ItemLimits limits, OperationWait wait, Function<String, MemcachedNode> nodes,
      long timeoutMillis, String failureMode, String queueLimits) {
    this.breakers = breakers;
    this.limits = limits;
    this.wait = wait;
    this.nodes = nodes;
    this.timeoutMillis = timeoutMillis;
    this.failureMode = failureMode;
    this.queueLimits = queueLimits;
  }

  private MemcachedNode nodeOf(String key) {
    return nodes.apply(key);
  }

  /** The address of the server that holds {@code key}, as {@code host:port}. */
  String serverFor(String key) {
    MemcachedNode node = nodeOf(key);
    return node == null ? "?" : NodeBreakers.name(node.getSocketAddress());
  }

  /** Fails at once when the key's server is connected but stalled. */
  void admit(String key, String op) {
    if (breakers.anySuspect()) {
      MemcachedNode node = nodeOf(key);
      if (node != null && node.isActive()) {
        breakers.admit(node.getSocketAddress(), op + " of " + key);
      }
    }
  }

  /**
   * For a batch: each connected server of the keys is admitted once, so a batch may carry a probe
   * and still send its other keys for that server. Returns the servers admitted (empty when all
   * servers are healthy).
   */
  Set<SocketAddress> admitAll(Collection<String> keys, String op) {
    if (!breakers.anySuspect()) {
      return Set.of();
    }
    Set<SocketAddress> out = new LinkedHashSet<>();
    for (String key : keys) {
      MemcachedNode node = nodeOf(key);
      if (node != null && node.isActive() && out.add(node.getSocketAddress())) {
        breakers.admit(node.getSocketAddress(), op + " of " + keys.size() + " keys");
      }
    }
    return out;
  }

  /** Refuses a write its server would refuse as too large, before anything is sent. */
  void checkSize(String op, String key, byte[] value) {
    checkSize(op, key, value.length);
  }

  /** {@link #checkSize(String, String, byte[])} of an item of {@code length} bytes. */
  void checkSize(String op, String key, int length) {
    if (limits.mayExceed(key, length)) {
      MemcachedNode node = nodeOf(key);
      limits.check(node == null ? null : node.getSocketAddress(), op, key, length);
    }
  }

  /**
   * Issues an operation. spymemcached encodes and enqueues inside the call, so a full queue
   * ({@link IllegalStateException}) and an oversized item ({@link IllegalArgumentException}) come
   * from here, not from the future.
   */
  <T> Future<T> enqueue(String op, String key, Supplier<Future<T>> issue) {
    try {
      return issue.get();
    } catch (IllegalStateException e) {
      throw queueFull(op, key, e);
    }
  }

  /** {@link #enqueue} of an operation that reports to a callback of ours instead of a future. */
  void send(String op, String key, Runnable send) {
    try {
      send.run();
    } catch (IllegalStateException e) {
      throw queueFull(op, key, e);
    }
  }

  private CacheException queueFull(String op, String key, IllegalStateException e) {
    if (Thread.currentThread().isInterrupted()) {
      // spymemcached refuses to enqueue for an interrupted thread (and sets its flag again)
      return new CacheException("memcached " + op + " of " + key + " not sent: the calling thread is interrupted"
          + " (spymemcached sends nothing for an interrupted thread; clear its flag to send)", e);
    }
    return new CacheException(
        "memcached " + op + " of " + key + " refused: the queue for server " + serverFor(key)
            + " is full (" + queueLimits + ") or the client is shut down: " + e.getMessage(), e);
  }

  /**
   * One operation as messages and the breakers see it.
   *
   * @param name the command ({@code get}, {@code set}, …)
   * @param key its key, or a batch's first key: which server it went to
   * @param what what to call it in a message: the key, or "n keys"
   * @param valueLength the bytes written, or -1 for a read
   * @param admitted a batch's servers, to report the answer to; null for the server of {@code key}
   */
  record Op(String name, String key, Object what, int valueLength, Set<SocketAddress> admitted) {
    static Op read(String name, String key) {
      return new Op(name, key, key, -1, null);
    }

    /** The same, for the part of it sent to the server of {@code key} (a batch of a multi-get). */
    Op on(String key) {
      return key.equals(this.key) ? this : new Op(name, key, what, valueLength, admitted);
    }

    static Op write(String name, String key, byte[] value) {
      return write(name, key, value.length);
    }

    static Op write(String name, String key, int length) {
      return new Op(name, key, key, length, null);
    }
  }

  /** Waits for {@code f}, reports the outcome to the breakers, and translates failures. */
  <T> T finish(Future<T> f, Op op) {
    boolean done;
    try {
      done = wait.await(f);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.cancel(false);
      throw new CacheException("interrupted during memcached " + op.name + " of " + op.what, e);
    }
    return outcome(f, op, done);
  }

  /**
   * Waits for an operation sent with {@code answer} as its callback, and throws as {@link
   * #finish(Future, Op)} does when it failed or got no answer in time; its answer is then in
   * {@code answer}.
   */
  void finish(Operation sent, Awaited answer, Op op) {
    finish(sent, answer, op, System.nanoTime());
  }

  /** {@link #finish(Operation, Awaited, Op)} of a call begun at {@code start}: its timeout counts from then. */
  void finish(Operation sent, Awaited answer, Op op, long start) {
    boolean done;
    try {
      done = wait.await(answer::done, start);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      sent.cancel();
      throw new CacheException("interrupted during memcached " + op.name + " of " + op.what, e);
    }
    if (!done && !answer.done()) {
      throw expired(sent, op);
    }
    landed(sent, answer, op);
  }

  /**
   * Sends the operations of a batch ({@link GetBatches}), each for its key's server with {@code
   * enqueue}; when one is refused, cancels those sent before it and throws as {@link #send} does.
   */
  void sendAll(String name, List<GetBatches.Send> sends, BiConsumer<String, Operation> enqueue) {
    for (int i = 0; i < sends.size(); i++) {
      GetBatches.Send s = sends.get(i);
      try {
        send(name, s.key(), () -> enqueue.accept(s.key(), s.op()));
      } catch (RuntimeException e) {
        for (int j = 0; j < i; j++) {
          sends.get(j).op().cancel();
        }
        throw e;
      }
    }
  }

  /**
   * {@link #finish(Operation, Awaited, Op)} of a batch of operations that report to one {@code
   * answer}: waits for all of them, then throws for the first that failed.
   */
  void finishAll(List<GetBatches.Send> sent, Awaited answer, Op op) {
    finishAll(sent, answer, op, System.nanoTime());
  }

  /** {@link #finishAll(List, Awaited, Op)} of a call begun at {@code start}: its timeout counts from then. */
  void finishAll(List<GetBatches.Send> sent, Awaited answer, Op op, long start) {
    boolean done;
    try {
      done = wait.await(answer::done, start);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      for (GetBatches.Send s : sent) {
        s.op().cancel();
      }
      throw new CacheException("interrupted during memcached " + op.name + " of " + op.what, e);
    }
    if (!done && !answer.done()) {
      Operation late = pending(sent);
      if (late != null) {
        throw expired(late, op);
      }
    }
    landedAll(sent, answer, op);
  }

  /** The first of {@code sent} still waiting for its answer (not answered, cancelled or timed out), or null. */
  static Operation pending(List<GetBatches.Send> sent) {
    for (GetBatches.Send s : sent) {
      Operation o = s.op();
      if (o.getState() != OperationState.COMPLETE && !o.isCancelled() && !o.isTimedOut()) {
        return o;
      }
    }
    return null;
  }

  /**
   * Checks and reports the operations that sent a batch, all of which reported to {@code answer},
   * now complete: throws the first one's failure, naming that operation's server; or, when none
   * failed but {@code answer} heard of a cancellation or timeout, that of a clone spymemcached sent
   * to another server in its place ({@link BatchClones}).
   */
  void landedAll(List<GetBatches.Send> sent, Awaited answer, Op op) {
    for (GetBatches.Send s : sent) {
      if (answer.abandoned() || s.op().hasErrored()) {
        landed(s.op(), op.on(s.key()), null);
      } else {
        answeredCleanly(s.op(), op);
      }
    }
    if (answer.abandoned()) { // a part spymemcached moved: name the server it was sent to first
      String key = op.key;
      for (GetBatches.Send s : sent) {
        if (s.op().getState() != OperationState.COMPLETE) {
          key = s.key();
          break;
        }
      }
      throw movedAndLost(op.on(key));
    }
  }

  /**
   * The failure of an operation that spymemcached moved to another server ({@link BatchClones}),
   * where it was cancelled, timed out or failed: its own state is clean, its callback heard.
   */
  private CacheException movedAndLost(Op op) {
    return notConnected(op, new CancellationException("moved to another server, where it was cancelled, timed out or failed"));
  }

  /**
   * {@link #landed(Operation, Op, Object)} of an operation that reported to {@code answer}, which
   * completed: when spymemcached neither cancelled nor timed it out, only its error is left to
   * check, which needs no lock on the operation (see {@link Awaited}).
   */
  private void landed(Operation sent, Awaited answer, Op op) {
    if (answer.abandoned() || sent.hasErrored()) {
      landed(sent, op, null);
      if (answer.abandoned()) {
        throw movedAndLost(op);
      }
    } else {
      answeredCleanly(sent, op);
    }
  }

  /**
   * {@link #landed(Operation, Op, Object)} of a get whose callback heard spymemcached cancel or
   * time out ({@code abandoned}): that was the get itself, or a clone of it spymemcached sent to
   * another server in its place, whose loss the get's own state does not show.
   */
  <T> T landed(Operation sent, Op op, T value, boolean abandoned) {
    T out = landed(sent, op, value);
    if (abandoned) {
      throw movedAndLost(op);
    }
    return out;
  }

  /**
   * The outcome of {@code f} now that the wait is over: its value when it is done ({@code done}),
   * else a timeout, charged to the servers it waited for; answers are reported to the breakers and
   * failures translated.
   */
  <T> T outcome(Future<T> f, Op op, boolean done) {
    try {
      T value = done ? f.get() : f.get(0, TimeUnit.NANOSECONDS);
      answered(op);
      return value;
    } catch (TimeoutException e) {
      throw timedOut(() -> f.cancel(false), e, op);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CacheException("interrupted during memcached " + op.name + " of " + op.what, e);
    } catch (ExecutionException e) {
      throw failed(e.getCause(), () -> f.cancel(false), op);
    } catch (CancellationException e) {
      throw notConnected(op, e);
    } catch (RuntimeException e) {
      throw new CacheException("memcached " + op.name + " of " + op.what + " failed: " + e, e);
    }
  }

  /**
   * The outcome of an operation sent with a callback of ours instead of spymemcached's future,
   * now that the callback heard it complete: {@code value}, what the callback was given, unless
   * spymemcached marked the operation failed, in the order its futures check.
   */
  <T> T landed(Operation sent, Op op, T value) {
    if (sent.hasErrored()) {
      throw failed(sent.getException(), sent::cancel, op);
    }
    if (sent.isCancelled()) {
      throw notConnected(op, new CancellationException("Cancelled"));
    }
    if (sent.isTimedOut()) {
      throw failed(new CheckedOperationTimeoutException("Operation timed out.", sent), sent::cancel, op);
    }
    answeredCleanly(sent, op);
    return value;
  }

  /** Reports an answered operation: to its node, as spymemcached's future does, and to the breakers. */
  private void answeredCleanly(Operation sent, Op op) {
    MemcachedNode node = sent.getHandlingNode();
    if (node != null && node.getContinuousTimeout() != 0) {
      node.setContinuousTimeout(false); // as spymemcached's future does, without its logger lookup per call
    }
    answered(op);
  }

  /**
   * Gives up on an operation sent with a callback of ours that got no answer in time: as
   * spymemcached's future does on a timed-out wait, and then as {@link #outcome} does.
   */
  CacheException expired(Operation sent, Op op) {
    MemcachedConnection.opTimedOut(sent);
    sent.timeOut();
    return timedOut(sent::cancel, new CheckedOperationTimeoutException("Timed out waiting for operation", sent), op);
  }

  /** What spymemcached reported as an operation's failure, translated. */
  private CacheException failed(Throwable cause, Runnable cancel, Op op) {
    if (cause instanceof CheckedOperationTimeoutException timeout) {
      return timedOut(cancel, timeout, op);
    }
    if (cause instanceof CancellationException) {
      return notConnected(op, cause);
    }
    answered(op);
    if (cause instanceof OperationException) {
      String answer = String.valueOf(cause.getMessage());
      if (answer.contains("too large")) {
        return tooLarge(op, answer);
      }
      return new CacheException("memcached at " + serverFor(op.key) + " answered " + op.name + " of "
          + op.what + " with an error: " + answer, cause);
    }
    return new CacheException("memcached " + op.name + " of " + op.what + " failed: " + cause, cause);
  }

  /** Whether an add that returned false found the key taken; throws when memcached refused it. */
  boolean addFoundKeyTaken(Future<Boolean> f, Op op) {
    StatusCode code = status(f).getStatusCode();
    if (code == StatusCode.ERR_EXISTS || code == StatusCode.ERR_NOT_STORED) {
      return true; // binary says EXISTS, text NOT_STORED
    }
    throw notStored(f, op);
  }

  /** memcached's answer to a cas, or the error when it answered something else. */
  CasOutcome casOutcome(Future<?> f, Op op, CASResponse r) {
    return switch (r == null ? CASResponse.OBSERVE_ERROR_IN_ARGS : r) {
      case OK -> CasOutcome.STORED;
      case EXISTS -> CasOutcome.CHANGED;
      case NOT_FOUND -> CasOutcome.GONE;
      default -> throw notStored(f, op);
    };
  }

  /** Reports an answer to the breakers of the servers {@code op} waited for. */
  void answered(Op op) {
    if (!breakers.anySuspect()) {
      return;
    }
    if (op.admitted != null) {
      op.admitted.forEach(breakers::answered);
    } else {
      MemcachedNode node = nodeOf(op.key);
      if (node != null) {
        breakers.answered(node.getSocketAddress());
      }
    }
  }

  /** Times the operation out, charges the servers it waited for, and says so. */
  private CacheException timedOut(Runnable cancel, TimeoutException e, Op op) {
    cancel.run();
    Set<SocketAddress> late = new LinkedHashSet<>();
    if (e instanceof CheckedOperationTimeoutException timeout) {
      for (Operation o : timeout.getOperations()) {
        if (o != null && o.getHandlingNode() != null) {
          late.add(o.getHandlingNode().getSocketAddress());
        }
      }
    }
    if (late.isEmpty()) {
      MemcachedNode node = nodeOf(op.key);
      if (node != null) {
        late.add(node.getSocketAddress());
      }
    }
    List<String> names = new ArrayList<>();
    for (SocketAddress a : late) {
      breakers.timedOut(a);
      names.add(NodeBreakers.name(a));
    }
    return new CacheException(
        "memcached " + op.name + " of " + op.what + " on " + String.join(", ", names) + " timed out after "
            + timeoutMillis + " ms (not counting time this JVM was paused)"
            + (op.valueLength >= 0 ? "; the server may still apply it when it answers" : ""), e);
  }

  /**
   * A get read on the calling thread ({@link DirectGets}) got no answer in time: charged to its
   * server and said as a timed-out get of the shared connection is.
   */
  CacheException directTimedOut(Op op, Throwable cause) {
    TimeoutException e = new TimeoutException("no answer in time on the caller's own connection");
    e.initCause(cause);
    return timedOut(() -> { }, e, op);
  }

  /** A get read on the calling thread got {@code answer} from its server, not a get's answer. */
  CacheException answeredWith(Op op, String answer, Throwable cause) {
    return new CacheException("memcached at " + serverFor(op.key) + " answered " + op.name + " of " + op.what
        + " with an error: " + answer, cause);
  }

  /** A get read on the calling thread was interrupted while it waited; the flag is kept. */
  CacheException interrupted(Op op, Throwable cause) {
    Thread.currentThread().interrupt();
    return new CacheException("interrupted during memcached " + op.name + " of " + op.what, cause);
  }

  /** A get read on the calling thread lost its connection late in its wait, or as the transport closed. */
  CacheException lost(Op op, Throwable cause) {
    return notConnected(op, cause);
  }

  private CacheException notConnected(Op op, Throwable cause) {
    return new CacheException(
        "memcached " + op.name + " of " + op.what + " failed at once: server " + serverFor(op.key)
            + " is not connected, or lost its connection with the operation in flight (failureMode "
            + failureMode + ")", cause);
  }

  /** A write memcached answered but did not store. */
  CacheException notStored(Future<?> f, Op op) {
    return notStored(status(f), op);
  }

  /** A write memcached answered with {@code s} but did not store. */
  CacheException notStored(OperationStatus s, Op op) {
    String answer = s == null ? "no answer" : s.getStatusCode() + " " + s.getMessage();
    if (s != null && (s.getStatusCode() == StatusCode.ERR_2BIG || String.valueOf(s.getMessage()).contains("too large"))) {
      return tooLarge(op, answer);
    }
    return new CacheException("memcached at " + serverFor(op.key) + " did not store the item under "
        + op.key + " (" + op.name + "): it answered " + answer);
  }

  private CacheException tooLarge(Op op, String answer) {
    MemcachedNode node = nodeOf(op.key);
    return limits.refused(node == null ? null : node.getSocketAddress(), op.name, op.key, Math.max(0, op.valueLength), answer);
  }

  static OperationStatus status(Future<?> f) {
    return f instanceof OperationFuture ? ((OperationFuture<?>) f).getStatus() : null;
  }
}
