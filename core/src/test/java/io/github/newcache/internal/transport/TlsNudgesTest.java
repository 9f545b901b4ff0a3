package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link TlsNudges} against a server frozen for good: a connection waiting in silence gets at most
 * {@link NudgeCount#MAX_UNANSWERED} no-ops until they are answered. Before, it got one every 50 to
 * 100 ms, each waiting without a timeout and counted against the server's queue budget.
 */
class TlsNudgesTest {

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aFrozenServerIsNudgedOnceAtATime(boolean binary) throws Exception {
    try (TlsFixture tls = TlsFixture.create(); LocalMemcached server = tls.startServer()) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + binary + "&opTimeout=1000");
      SpyTransport t = new SpyTransport(
          SettingsParser.parse(uri, getClass().getClassLoader(), TlsFixture.properties(tls.clientSettings())).transport());
      try {
        t.set("k", 0, "v".getBytes(StandardCharsets.UTF_8));
        long before = t.tlsNudges();
        server.pause();
        try {
          CompletableFuture<byte[]> waiting = t.getAsync("k");
          // the get's timeout is the window: 20 nudge intervals of 50 ms
          assertThrows(ExecutionException.class, () -> waiting.get(10, TimeUnit.SECONDS));
          long sent = t.tlsNudges() - before;
          assertTrue(sent <= NudgeCount.MAX_UNANSWERED, sent + " nudges to the frozen server while one get waited");
        } finally {
          server.resume();
        }
      } finally {
        t.close();
      }
    }
  }

  /**
   * A nudge counts until it is answered, cancelled with its connection, or dropped unsent: sent and
   * unanswered (a frozen server), it keeps counting, so at most {@link NudgeCount#MAX_UNANSWERED}
   * are ever sent; still unsent after a while (spymemcached drops an operation that waited unsent
   * past its timeout without completing it), it is forgotten, so nudging never stops for good.
   */
  @org.junit.jupiter.api.Test
  void aNudgeCountsUntilAnsweredCancelledOrDroppedUnsent() {
    net.spy.memcached.OperationFactory ops = new net.spy.memcached.protocol.ascii.AsciiOperationFactory();
    net.spy.memcached.ops.OperationCallback none = new net.spy.memcached.ops.OperationCallback() {
      @Override
      public void receivedStatus(net.spy.memcached.ops.OperationStatus status) {}

      @Override
      public void complete() {}
    };
    NudgeCount count = new NudgeCount();
    long t = 1_000_000_000L;
    net.spy.memcached.ops.Operation sent = ops.noop(none);
    net.spy.memcached.ops.Operation cancelled = ops.noop(none);
    net.spy.memcached.ops.Operation unsent = ops.noop(none);
    assertTrue(count.tryStart(sent, t));
    assertTrue(count.tryStart(cancelled, t));
    assertTrue(count.tryStart(unsent, t));
    sendOut(sent); // out, waiting for an answer that does not come
    assertTrue(!count.tryStart(ops.noop(none), t + 1), "at most " + NudgeCount.MAX_UNANSWERED + " wait");
    cancelled.cancel();
    net.spy.memcached.ops.Operation next = ops.noop(none);
    assertTrue(count.tryStart(next, t + 2), "a cancelled nudge no longer counts");
    sendOut(next);
    assertTrue(!count.tryStart(ops.noop(none), t + NudgeCount.FORGOTTEN_NANOS), "nothing forgotten yet");
    net.spy.memcached.ops.Operation after = ops.noop(none);
    assertTrue(count.tryStart(after, t + NudgeCount.FORGOTTEN_NANOS + 1), "the unsent one is forgotten");
    sendOut(after);
    assertTrue(!count.tryStart(ops.noop(none), t + 10 * NudgeCount.FORGOTTEN_NANOS),
        "a sent, unanswered nudge counts however long it waits");
    count.answered(sent);
    assertTrue(count.tryStart(ops.noop(none), t + 10 * NudgeCount.FORGOTTEN_NANOS + 1), "an answered one no longer counts");
  }

  /** What spymemcached does to an operation it writes: it then waits for its answer. */
  private static void sendOut(net.spy.memcached.ops.Operation o) {
    o.initialize();
    o.writing();
    o.writeComplete();
  }
}
