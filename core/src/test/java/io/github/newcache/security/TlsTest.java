package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NewcacheCache;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TlsFixture;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * TLS through the whole library, against memcached started with {@code -Z} and certificates made
 * at test time: cache operations, the non-blocking view, the iterator, {@code clear()} and {@code
 * removeAll()} (key listing) in both protocols; mutual TLS; and handshake failures that fail
 * {@code getCacheManager} at once with errors naming the server and the cause.
 */
class TlsTest {

  /** A manager must fail well before the operation timeout it was given. */
  private static final long AT_ONCE_MILLIS = 2000;

  private static final AtomicInteger FLAVORS = new AtomicInteger();

  private static TlsFixture tls;
  private static LocalMemcached server;
  private static LocalMemcached wrongHost;
  private static LocalMemcached mutual;
  private static LocalMemcached plain;

  @BeforeAll
  static void start() {
    tls = TlsFixture.create();
    server = tls.startServer();
    wrongHost = tls.startWrongHostServer();
    mutual = tls.startMutualServer();
    plain = LocalMemcached.start();
  }

  @AfterAll
  static void stop() {
    TlsFixture.closeAll(server, wrongHost, mutual, plain, tls);
  }

  private static CacheManager manager(LocalMemcached m, Protocol protocol, Map<String, String> settings, String query) {
    URI uri = URI.create("memcached://" + m.address() + "/?binary=" + protocol.binary() + "&flavor=tls"
        + FLAVORS.incrementAndGet() + (query.isEmpty() ? "" : "&" + query));
    return Caching.getCachingProvider().getCacheManager(uri, TlsTest.class.getClassLoader(), TlsFixture.properties(settings));
  }

  private static Map<String, String> with(Map<String, String> base, String key, String value) {
    Map<String, String> m = new LinkedHashMap<>(base);
    m.put(key, value);
    return m;
  }

  /** Every kind of command and the key listing, over the given manager. */
  private static void exercise(CacheManager m) throws Exception {
    Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    c.put("k", "v");
    assertEquals("v", c.get("k"));
    assertTrue(c.putIfAbsent("absent", "1"));
    assertFalse(c.putIfAbsent("k", "other"));
    assertTrue(c.replace("k", "v", "v2"));
    assertEquals("v2", c.getAndPut("k", "v3"));
    assertEquals(7, (int) c.invoke("k", (e, args) -> {
      e.setValue(e.getValue() + "-done");
      return e.getValue().length();
    }));
    Map<String, String> many = new HashMap<>();
    for (int i = 0; i < 200; i++) {
      many.put("m" + i, "value " + i);
    }
    c.putAll(many);
    assertEquals(many, c.getAll(many.keySet()));
    assertEquals("value 7", c.unwrap(NewcacheCache.class).async().get("m7").toCompletableFuture().get(5, TimeUnit.SECONDS));

    Set<String> listed = new HashSet<>();
    for (Cache.Entry<String, String> e : c) {
      listed.add(e.getKey());
    }
    Set<String> expected = new HashSet<>(many.keySet());
    expected.add("k");
    expected.add("absent");
    assertEquals(expected, listed, "the iterator lists every entry (lru_crawler metadump over TLS)");

    c.removeAll(Set.of("m1", "m2"));
    assertNull(c.get("m1"));
    c.removeAll();
    assertNull(c.get("m3"));
    c.put("again", "x");
    c.clear();
    assertNull(c.get("again"));
    assertFalse(c.iterator().hasNext(), "clear() removed everything");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void cacheOperationsIteratorAndClearOverTls(Protocol protocol) throws Exception {
    try (CacheManager m = manager(server, protocol, tls.clientSettings(), "tls=true")) {
      exercise(m);
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void mutualTlsWithAClientCertificate(Protocol protocol) throws Exception {
    try (CacheManager m = manager(mutual, protocol, tls.mutualClientSettings(), "")) {
      exercise(m);
    }
  }

  /**
   * Batches of pipelined sets complete over TLS. memcached before 1.6.39 can leave the commands
   * behind a set's value in OpenSSL's buffer and wait for the socket (fixed there by "tls: fix
   * potential hang when pipelining sets"); with Debian's 1.6.18 about one putAll in three hung
   * until its timeout before the client nudged such connections ({@code TlsNudges}).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void pipelinedBatchesOverTlsComplete(Protocol protocol) {
    try (CacheManager m = manager(server, protocol, tls.clientSettings(), "")) {
      Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
      for (int round = 0; round < 30; round++) {
        Map<String, String> many = new HashMap<>();
        for (int i = 0; i < 200; i++) {
          many.put("r" + round + "k" + i, "x".repeat(10 + (i * 37 + round * 11) % 300));
        }
        c.putAll(many);
        assertEquals(many, c.getAll(many.keySet()), "round " + round);
      }
    }
  }

  @Test
  void aWrongCaFailsTheManagerAtOnceSayingSo() {
    Map<String, String> otherCa = with(tls.clientSettings(), "tlsTrustStore", tls.otherTrustStore().toString());
    long start = System.nanoTime();
    CacheException e = assertThrows(CacheException.class, () -> manager(server, Protocol.BINARY, otherCa, "opTimeout=10000"));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < AT_ONCE_MILLIS, "reported after " + millis + " ms");
    String m = e.getMessage();
    assertTrue(m.contains("TLS with memcached at " + server.address() + " failed"), m);
    assertTrue(m.contains("not trusted by tlsTrustStore " + tls.otherTrustStore()), m);
    assertTrue(m.contains("issued by CN=Newcache Test CA"), m);
    assertFalse(m.contains(TlsFixture.PASSWORD), m);
  }

  @Test
  void aWrongHostNameFailsTheManagerAtOnceSayingSo() {
    long start = System.nanoTime();
    CacheException e = assertThrows(CacheException.class,
        () -> manager(wrongHost, Protocol.TEXT, tls.clientSettings(), "opTimeout=10000"));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertTrue(millis < AT_ONCE_MILLIS, "reported after " + millis + " ms");
    String m = e.getMessage();
    assertTrue(m.contains("TLS with memcached at " + wrongHost.address() + " failed"), m);
    assertTrue(m.contains("does not name '127.0.0.1'"), m);
    assertTrue(m.contains("DNS:wrong.example"), m);
    // the same server is accepted when told which name to expect
    try (CacheManager ok = manager(wrongHost, Protocol.TEXT, with(tls.clientSettings(), "tlsHostname", "wrong.example"), "")) {
      Cache<String, String> c = ok.createCache("c", new MutableConfiguration<>());
      c.put("k", "v");
      assertEquals("v", c.get("k"));
    }
  }

  /**
   * {@code tlsHostname=*.d} (documented as allowed) accepts a server whose certificate carries the
   * wildcard name {@code *.d}, in the start check and in the client's connections, and refuses one
   * whose certificate does not, naming the wildcard. The JDK refuses a wildcard as the name to
   * verify, so before, such a manager never connected.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aWildcardTlsHostnameAcceptsTheWildcardCertificateOnly(Protocol p) {
    try (LocalMemcached wildcard = LocalMemcached.start(tls.wildcardArgs());
        CacheManager ok = manager(wildcard, p, with(tls.clientSettings(), "tlsHostname", "*.cache.example.net"), "")) {
      Cache<String, String> c = ok.createCache("c", new MutableConfiguration<>());
      c.put("k", "v");
      assertEquals("v", c.get("k"));
      CacheException e = assertThrows(CacheException.class,
          () -> manager(wrongHost, p, with(tls.clientSettings(), "tlsHostname", "*.cache.example.net"), ""));
      assertTrue(e.getMessage().contains("does not name '*.cache.example.net'"), e.getMessage());
      assertThrows(CacheException.class,
          () -> manager(wildcard, p, with(tls.clientSettings(), "tlsHostname", "*.other.example.net"), ""));
    }
  }

  /**
   * A server that accepts TCP and then says nothing (a host gone after it accepted, a frozen
   * proxy) is connected to again once the handshake has outlived its timeout. Before, the
   * handshake's deadline was checked only when the socket became ready, which a silent server
   * never makes it: the client kept the dead connection for good and never connected again.
   */
  @Test
  void aServerSilentInTheHandshakeIsConnectedToAgainAfterTheHandshakeTimeout() throws Exception {
    try (SilentServer silent = new SilentServer()) {
      AtomicInteger accepted = silent.accepted;
      URI uri = URI.create("memcached://127.0.0.1:" + silent.port() + "/?flavor=silent&opTimeout=1000&maxReconnectDelay=1");
      try (CacheManager m = Caching.getCachingProvider().getCacheManager(uri, TlsTest.class.getClassLoader(),
          TlsFixture.properties(tls.clientSettings()))) {
        // At start: the start check, the client's connection, and the check of its item limit on
        // connecting (3). Each handshake that times out is followed by a new connection (and its check).
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (accepted.get() < 5 && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
        assertTrue(accepted.get() >= 5, accepted.get() + " connections accepted in 20 s");
      }
    }
  }

  /**
   * A server that accepts TCP and then stays silent in the TLS handshake is still stalled after the
   * client connects to it again: the connection counts as made once its handshake is done, not at
   * TCP connect. Before, every new TCP connection reset the stall breaker, so each handshake
   * timeout let operations wait their full timeout on the silent server again.
   */
  @Test
  void aServerSilentInTheHandshakeStaysStalledAcrossReconnects() throws Exception {
    try (SilentServer silent = new SilentServer()) {
      AtomicInteger accepted = silent.accepted;
      URI uri = URI.create("memcached://127.0.0.1:" + silent.port()
          + "/?flavor=silentstall&opTimeout=200&stallTimeouts=2&stallWindow=0&stallCooldown=60000&maxReconnectDelay=1");
      try (CacheManager m = Caching.getCachingProvider().getCacheManager(uri, TlsTest.class.getClassLoader(),
          TlsFixture.properties(tls.clientSettings()))) {
        Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        String failure = "";
        while (!failure.contains("stalled") && System.nanoTime() < deadline) {
          failure = failureOf(() -> c.get("k"));
        }
        assertTrue(failure.contains("stalled"), "the silent server never counted as stalled: " + failure);
        int before = accepted.get();
        while (accepted.get() < before + 2 && System.nanoTime() < deadline) {
          Thread.sleep(20); // two handshake timeouts: the client connected again meanwhile
        }
        assertTrue(accepted.get() >= before + 2, "no new connection in 20 s");
        // A get landing just as a timed-out handshake's connection is dropped fails as not connected
        // (cancelled at once); the first get that reaches the connection tells whether it is stalled.
        String after = failureOf(() -> c.get("k"));
        for (int i = 0; i < 50 && after.contains("not connected") && System.nanoTime() < deadline; i++) {
          Thread.sleep(20);
          after = failureOf(() -> c.get("k"));
        }
        assertTrue(after.contains("stalled"), "after a new TCP connection: " + after);
      }
    }
  }

  /** A server that accepts TCP and then says nothing: each connection is kept open, never answered. */
  private static final class SilentServer implements AutoCloseable {
    final AtomicInteger accepted = new AtomicInteger();
    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> held = new CopyOnWriteArrayList<>();

    SilentServer() throws IOException {
      Thread acceptor = new Thread(() -> {
        try {
          while (true) {
            held.add(socket.accept());
            accepted.incrementAndGet();
          }
        } catch (IOException closed) {
          // the test is over
        }
      });
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return socket.getLocalPort();
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket s : held) {
        s.close();
      }
    }
  }

  /** The messages of what {@code op} throws, causes included; empty when it returns. */
  private static String failureOf(Runnable op) {
    try {
      op.run();
      return "";
    } catch (CacheException e) {
      StringBuilder messages = new StringBuilder();
      for (Throwable t = e; t != null; t = t.getCause()) {
        messages.append(t.getMessage()).append(" / ");
      }
      return messages.toString();
    }
  }

  @Test
  void aServerWithoutTlsFailsTheManagerAtOnceSayingSo() {
    long start = System.nanoTime();
    CacheException e = assertThrows(CacheException.class,
        () -> manager(plain, Protocol.BINARY, tls.clientSettings(), "opTimeout=10000"));
    assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < AT_ONCE_MILLIS);
    assertTrue(e.getMessage().contains("memcached at " + plain.address()), e.getMessage());
    assertTrue(e.getMessage().contains("plain text, not TLS"), e.getMessage());
  }

  /**
   * A TLS node at its connection limit ({@code -c}) answers every new connection in plain text
   * ({@code ERROR Too many open connections}) and closes it: that is a server not serving now, left
   * to the failure mode as over plain TCP, not a TLS setup error that fails the start (before, the
   * start failed saying the server did not speak TLS).
   */
  @Test
  void aTlsServerAtItsConnectionLimitIsLeftToTheFailureMode() throws Exception {
    String[] args = java.util.stream.Stream.concat(java.util.Arrays.stream(tls.serverArgs()), java.util.stream.Stream.of("-c", "40"))
        .toArray(String[]::new);
    try (LocalMemcached full = LocalMemcached.start(args)) {
      java.util.List<java.net.Socket> held = new java.util.ArrayList<>();
      try {
        boolean atLimit = false;
        for (int i = 0; i < 200 && !atLimit; i++) {
          java.net.Socket s = new java.net.Socket("127.0.0.1", full.port());
          held.add(s);
          s.setSoTimeout(200);
          try {
            byte[] b = new byte[64];
            int n = s.getInputStream().read(b);
            atLimit = n > 0 && new String(b, 0, n, java.nio.charset.StandardCharsets.US_ASCII).startsWith("ERROR Too many");
          } catch (java.net.SocketTimeoutException stillServing) {
            // a connection the server keeps: it counts towards the limit
          }
        }
        assertTrue(atLimit, "the server never reached its connection limit");
        CacheManager m = manager(full, Protocol.BINARY, tls.clientSettings(), "opTimeout=1000");
        m.close();
      } finally {
        for (java.net.Socket s : held) {
          s.close();
        }
      }
    }
  }

  @Test
  void mutualTlsWithoutAClientCertificateFailsTheManagerAtOnce() {
    CacheException e = assertThrows(CacheException.class,
        () -> manager(mutual, Protocol.BINARY, tls.clientSettings(), "opTimeout=10000"));
    assertTrue(e.getMessage().contains("memcached at " + mutual.address()), e.getMessage());
    assertTrue(e.getMessage().contains("tlsKeyStore"), e.getMessage());
    CacheException stranger = assertThrows(CacheException.class, () -> manager(mutual, Protocol.TEXT,
        with(tls.mutualClientSettings(), "tlsKeyStore", tls.untrustedClientKeyStore().toString()), "opTimeout=10000"));
    assertTrue(stranger.getMessage().contains(tls.untrustedClientKeyStore().toString()), stranger.getMessage());
  }

  @Test
  void aManagerReconnectsOverTlsAfterItsServerRestarts() throws Exception {
    try (LocalMemcached own = tls.startServer();
        CacheManager m = manager(own, Protocol.BINARY, tls.clientSettings(), "maxReconnectDelay=1")) {
      Cache<String, String> c = m.createCache("c", new MutableConfiguration<>());
      c.put("k", "before");
      own.kill();
      own.restart();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      boolean back = false;
      while (!back && System.nanoTime() < deadline) {
        try {
          c.put("k", "after");
          back = true;
        } catch (CacheException notYet) {
          Thread.sleep(50);
        }
      }
      assertTrue(back, "no TLS reconnect within 10 s");
      assertEquals("after", c.get("k"));
    }
  }

  @Test
  void aBadStoreIsNamedWhenTheManagerStarts() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> manager(server, Protocol.BINARY,
        with(tls.clientSettings(), "tlsTrustStorePassword", "s3cret-wrong"), ""));
    assertTrue(e.getMessage().contains("tlsTrustStore " + tls.trustStore() + ": wrong tlsTrustStorePassword"), e.getMessage());
    assertFalse(e.getMessage().contains("s3cret-wrong"), e.getMessage());
    Properties none = TlsFixture.properties(with(tls.clientSettings(), "tlsTrustStore", "/nonexistent/ca.p12"));
    IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> Caching.getCachingProvider()
        .getCacheManager(URI.create("memcached://" + server.address() + "/?flavor=missing"), TlsTest.class.getClassLoader(), none));
    assertTrue(missing.getMessage().contains("tlsTrustStore /nonexistent/ca.p12: no such file"), missing.getMessage());
  }
}
