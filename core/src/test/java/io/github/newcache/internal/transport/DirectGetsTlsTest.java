package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.cache.CacheException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Blocking reads on the calling thread ({@link DirectGets}) over TLS, on a real memcached that
 * speaks only TLS: every value comes back as stored (sizes around TLS's 16 KB records), single and
 * multi-gets use one connection of the caller's own, the handshake is done once per connection, a
 * close ends a get waiting on a frozen server and leaves no connection.
 */
class DirectGetsTlsTest {

  private static TlsFixture tls;

  @BeforeAll
  static void certificates() {
    tls = TlsFixture.create();
  }

  @AfterAll
  static void removeCertificates() {
    tls.close();
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void getsAndMultiGetsOverTlsReturnEveryValueOverOneConnectionOfTheirOwn(boolean binary) throws Exception {
    try (LocalMemcached server = tls.startServer()) {
      long handshakeErrors = tls.stat(server, "ssl_handshake_errors"); // the launcher's readiness check's
      SpyTransport transport = transport(server, binary, "");
      try {
        Random random = new Random(13);
        int[] sizes = {0, 1, 100, 16_383, 16_384, 16_385, 32_768, 100_000, 600_000};
        List<String> keys = new ArrayList<>();
        Map<String, byte[]> stored = new HashMap<>();
        for (int i = 0; i < sizes.length; i++) {
          byte[] v = new byte[sizes[i]];
          random.nextBytes(v);
          transport.set("size" + i, 0, v);
          stored.put("size" + i, v);
          keys.add("size" + i);
        }
        keys.add("absent");
        for (int round = 0; round < 3; round++) {
          for (int i = 0; i < sizes.length; i++) {
            assertArrayEquals(stored.get("size" + i), transport.get("size" + i), sizes[i] + " bytes");
            Parts parts = transport.getParts("size" + i, 3);
            assertArrayEquals(stored.get("size" + i), parts.whole(), sizes[i] + " bytes in parts");
          }
          assertNull(transport.get("absent"));
          Map<String, byte[]> all = transport.getAll(keys);
          assertEquals(stored.keySet(), all.keySet(), "the hits, and only them");
          stored.forEach((k, v) -> assertArrayEquals(v, all.get(k), k));
        }
        assertEquals(1, transport.directConnections(), "one thread's reads use one connection of their own");
        // the shared one and this thread's, each with one handshake (the start check's ended meanwhile)
        assertTrue(DirectGetsTest.await(() -> tls.stat(server, "curr_connections") - 1 == 2, 5_000),
            "memcached sees one more connection: " + (tls.stat(server, "curr_connections") - 1));
        assertEquals(handshakeErrors, tls.stat(server, "ssl_handshake_errors"), "no failed handshake");
      } finally {
        transport.close();
      }
      assertTrue(DirectGetsTest.await(() -> tls.stat(server, "curr_connections") - 1 == 0, 5_000),
          "close closed every connection: " + (tls.stat(server, "curr_connections") - 1));
    }
  }

  @Test
  void aBinaryMultiGetLongerThanATlsRecordIsAnsweredWithinItsTimeout() throws Exception {
    // memcached before 1.6.39 leaves pipelined binary requests that span TLS records half read
    try (LocalMemcached server = tls.startServer()) {
      SpyTransport transport = transport(server, true, "&opTimeout=3000");
      try {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 235; i++) { // 235 quiet gets of 115-byte keys: a request of 32,689 bytes
          String key = ("k" + i + "_" + "x".repeat(115)).substring(0, 115);
          keys.add(key);
          transport.set(key, 0, ("v" + i).getBytes(StandardCharsets.US_ASCII));
        }
        for (int n : new int[] {1, 20, 40, 58, 59, 100, 235}) { // 58 keys: the largest request sent on the caller's connection
          for (int round = 0; round < 5; round++) {
            Map<String, byte[]> all = transport.getAll(keys.subList(0, n));
            assertEquals(n, all.size(), n + " keys");
          }
        }
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void aServerThatRefusesTheClientsCertificateAfterTheHandshakeIsLeftToTheSharedConnection() throws Exception {
    LocalMemcached first = tls.startServer();
    LocalMemcached second = null;
    SpyTransport transport = transport(first, false, "&opTimeout=2000&maxReconnectDelay=1");
    try {
      transport.set("k", 0, "v".getBytes(StandardCharsets.US_ASCII));
      assertArrayEquals("v".getBytes(StandardCharsets.US_ASCII), transport.get("k"));
      int port = first.port();
      first.close();
      // TLS 1.3: the client's handshake ends before the server refuses its (missing) certificate,
      // which it says at the first read
      second = LocalMemcached.startAt("127.0.0.1", port, tls.mutualArgs());
      for (int i = 0; i < 3; i++) {
        Throwable t = assertThrows(CacheException.class, () -> transport.get("k"));
        if (i > 0) { // within the second the server is left to the shared connection, which says what it says
          for (Throwable c = t; c != null; c = c.getCause()) {
            assertFalse(c instanceof DirectConnection.Lost, "reported as a lost connection of the caller's: " + t);
          }
        }
      }
    } finally {
      transport.close();
      first.close();
      if (second != null) {
        second.close();
      }
    }
  }

  /** With its connection open (waiting for an answer), or with a new one in its handshake. */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void closeEndsATlsGetWaitingOnAFrozenServerAndLeavesNoConnection(boolean connected) throws Exception {
    try (LocalMemcached server = tls.startServer()) {
      SpyTransport transport = transport(server, false, "&opTimeout=20000");
      transport.set("k", 0, "v".getBytes(StandardCharsets.US_ASCII));
      if (connected) {
        assertArrayEquals("v".getBytes(StandardCharsets.US_ASCII), transport.get("k"));
      }
      assertEquals(connected ? 1 : 0, transport.directConnections());
      server.pause();
      try {
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread caller = DirectGetsTest.getting(transport, "k", outcome);
        assertTrue(DirectGetsTest.await(() -> DirectGetsTest.waitsOnItsConnection(caller)
            && (connected || DirectGetsTest.waitsIn(caller, "handshake")), 5_000), "the get waits on its own connection");
        long start = System.nanoTime();
        transport.close(); // throws nothing although the caller's thread is in the TLS engine's hands
        Throwable t = outcome.get(10, TimeUnit.SECONDS);
        assertTrue(t instanceof CacheException, String.valueOf(t));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(millis < 5_000, "ended " + millis + " ms after close");
        assertEquals(0, transport.directConnections());
      } finally {
        server.resume();
      }
      assertTrue(DirectGetsTest.await(() -> tls.stat(server, "curr_connections") - 1 == 0, 5_000),
          "no connection left: " + (tls.stat(server, "curr_connections") - 1));
    }
  }

  private static SpyTransport transport(LocalMemcached server, boolean binary, String more) {
    URI uri = URI.create("memcached://" + server.address() + "/?binary=" + binary + more);
    return new SpyTransport(SettingsParser.parse(uri, DirectGetsTlsTest.class.getClassLoader(),
        TlsFixture.properties(tls.clientSettings())).transport());
  }
}
