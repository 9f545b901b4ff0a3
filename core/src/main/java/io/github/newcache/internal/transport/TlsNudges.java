package io.github.newcache.internal.transport;

import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationCallback;
import net.spy.memcached.ops.OperationStatus;

/**
 * Works around a memcached bug that hangs pipelined commands over TLS (memcached before 1.6.39,
 * fixed by "tls: fix potential hang when pipelining sets"): when memcached reads a set's value
 * straight from the connection, OpenSSL may have decrypted the commands behind it into its own
 * buffer; memcached then waits for the socket to become readable, which it never does, and the
 * buffered commands wait until the client sends anything else. A client that sent a batch of sets
 * and now waits for their answers sends nothing else: its operations time out (seen here as about
 * one {@code putAll} in three over TLS timing out with Debian's memcached 1.6.18).
 *
 * <p>The nudge: every {@link #QUIET_MILLIS}, a TLS connection whose operations wait for answers
 * while nothing has moved on it for that long gets one no-op operation ({@code version} in the
 * text protocol, {@code NOOP} in binary), an ordinary operation with its own answer. Its bytes
 * wake memcached, which then reads what OpenSSL holds. On a healthy connection answers keep
 * arriving, so nothing is sent; a slow server gets one small extra command per interval.
 *
 * <p>The same timer ends handshakes that outlived their timeout or failed without the server
 * saying so ({@link TlsMemcachedNode#wakeIfStuck}): nothing else would, since the socket of a
 * silent server never becomes ready.
 */
final class TlsNudges implements AutoCloseable {

  /** How long a connection may wait in silence before it is nudged. */
  static final long QUIET_MILLIS = 50;

  /** Frees a nudge's place in its node's count once it is answered (or cancelled with its connection). */
  private static final class Answered implements OperationCallback {
    private final TlsMemcachedNode node;
    volatile Operation nudge;

    Answered(TlsMemcachedNode node) {
      this.node = node;
    }

    @Override
    public void receivedStatus(OperationStatus status) {}

    @Override
    public void complete() {
      node.nudgeAnswered(nudge);
    }
  }

  private final Supplier<MemcachedConnection> connection;
  private final Supplier<NodeLocator> locator;
  private final OperationFactory operations;
  private final ScheduledThreadPoolExecutor timer;
  private final LongAdder nudges = new LongAdder();

  TlsNudges(Supplier<MemcachedConnection> connection, Supplier<NodeLocator> locator, OperationFactory operations) {
    this.connection = connection;
    this.locator = locator;
    this.operations = operations;
    this.timer = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "newcache-tls-nudge");
      t.setDaemon(true);
      return t;
    });
    Future<?> unused = timer.scheduleWithFixedDelay(this::check, QUIET_MILLIS, QUIET_MILLIS, TimeUnit.MILLISECONDS);
  }

  /** Nudges sent so far. */
  long nudges() {
    return nudges.sum();
  }

  private void check() {
    MemcachedConnection c = connection.get();
    NodeLocator l = locator.get();
    if (c == null || l == null) {
      return;
    }
    long now = System.nanoTime();
    long quiet = TimeUnit.MILLISECONDS.toNanos(QUIET_MILLIS);
    for (MemcachedNode node : l.getAll()) {
      if (node instanceof TlsMemcachedNode tls) {
        tls.wakeIfStuck(now);
      }
      if (node instanceof TlsMemcachedNode tls && tls.waitsInSilence(now, quiet)) {
        Answered answered = new Answered(tls);
        Operation nudge = operations.noop(answered);
        answered.nudge = nudge;
        if (!tls.startNudge(nudge, now)) {
          continue;
        }
        try {
          c.addOperations(Map.of(node, nudge));
          nudges.increment();
        } catch (RuntimeException e) {
          tls.nudgeAnswered(nudge); // the client is shutting down, or the queue is full: nothing to nudge then
        }
      }
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
