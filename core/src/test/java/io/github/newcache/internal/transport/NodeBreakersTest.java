package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.List;
import javax.cache.CacheException;
import org.junit.jupiter.api.Test;

/** The breaker's rules on their own, with the defaults' count and window shrunk to test speed. */
class NodeBreakersTest {

  private static final SocketAddress A = InetSocketAddress.createUnresolved("a", 1);
  private static final SocketAddress B = InetSocketAddress.createUnresolved("b", 1);

  @Test
  void aBurstOfTimeoutsShorterThanTheWindowBlamesNoOne() {
    NodeBreakers b = new NodeBreakers(3, 200, 100, 100);
    for (int i = 0; i < 16; i++) { // every operation in flight when the client paused
      b.timedOut(A);
    }
    assertDoesNotThrow(() -> b.admit(A, "get of k"));
    b.answered(A);
    assertFalse(b.anySuspect(), "one answer clears the suspicion");
  }

  @Test
  void timeoutsSpanningTheWindowWithoutAnAnswerMakeAStall() throws Exception {
    NodeBreakers b = new NodeBreakers(3, 100, 60_000, 100);
    b.timedOut(A);
    b.timedOut(A);
    Thread.sleep(120);
    assertDoesNotThrow(() -> b.admit(A, "get of k"), "two timeouts are not enough");
    b.timedOut(A);
    CacheException e = assertThrows(CacheException.class, () -> b.admit(A, "get of k"));
    assertTrue(e.getMessage().contains("is stalled") && e.getMessage().contains("3 operations timed out"), e.getMessage());
    assertDoesNotThrow(() -> b.admit(B, "get of j"), "other servers are untouched");
    assertEquals(List.of(A), b.stalled());
  }

  @Test
  void anUnreportedProbeIsReplacedAfterItsLease() throws Exception {
    NodeBreakers b = new NodeBreakers(1, 0, 50, 100);
    b.timedOut(A);
    assertThrows(CacheException.class, () -> b.admit(A, "x"));
    Thread.sleep(60);
    assertDoesNotThrow(() -> b.admit(A, "probe"), "the probe goes");
    assertThrows(CacheException.class, () -> b.admit(A, "x"), "one probe at a time");
    Thread.sleep(110); // the probe's caller never reported
    assertDoesNotThrow(() -> b.admit(A, "second probe"));
    b.answered(A);
    assertDoesNotThrow(() -> b.admit(A, "x"));
    assertEquals(List.of(), b.stalled());
  }

  @Test
  void aProbeThatTimesOutOpensAnotherCooldownAndAReconnectStartsOver() throws Exception {
    NodeBreakers b = new NodeBreakers(1, 0, 50, 1000);
    b.timedOut(A);
    Thread.sleep(60);
    b.admit(A, "probe");
    b.timedOut(A);
    assertThrows(CacheException.class, () -> b.admit(A, "x"));
    b.reconnected(A);
    assertDoesNotThrow(() -> b.admit(A, "x"));
  }

  @Test
  void zeroTimeoutsTurnsDetectionOff() {
    NodeBreakers b = new NodeBreakers(0, 0, 50, 100);
    for (int i = 0; i < 100; i++) {
      b.timedOut(A);
    }
    assertFalse(b.anySuspect());
  }
}
