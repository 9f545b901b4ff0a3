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
   * Nudges never answered (spymemcached drops an operation that waited unsent past its timeout
   * without completing it) are forgotten after a while, so the nudges of a connection never stop
   * for good.
   */
  @org.junit.jupiter.api.Test
  void nudgesNeverAnsweredAreForgotten() {
    NudgeCount count = new NudgeCount();
    long t = 1_000_000_000L;
    for (int i = 0; i < NudgeCount.MAX_UNANSWERED; i++) {
      assertTrue(count.tryStart(t));
    }
    assertTrue(!count.tryStart(t + 1), "at most " + NudgeCount.MAX_UNANSWERED + " wait");
    assertTrue(!count.tryStart(t + NudgeCount.FORGOTTEN_NANOS), "not yet forgotten");
    assertTrue(count.tryStart(t + NudgeCount.FORGOTTEN_NANOS + 1), "forgotten: nudging goes on");
    count.answered();
    count.answered();
    count.answered(); // more answers than waiting nudges (cancelled after being forgotten)
    for (int i = 0; i < NudgeCount.MAX_UNANSWERED; i++) {
      assertTrue(count.tryStart(t + NudgeCount.FORGOTTEN_NANOS + 2));
    }
    assertTrue(!count.tryStart(t + NudgeCount.FORGOTTEN_NANOS + 3), "the count never went below zero");
  }
}
