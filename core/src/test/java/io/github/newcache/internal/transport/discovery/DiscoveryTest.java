package io.github.newcache.internal.transport.discovery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.transport.tls.ServerConnector;
import io.github.newcache.internal.transport.tls.TlsContext;
import io.github.newcache.testing.TestTls;
import io.github.newcache.testkit.ConfigEndpointStub;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.cache.CacheException;
import org.junit.jupiter.api.Test;

/** The client side of ElastiCache auto discovery against {@link ConfigEndpointStub}. */
class DiscoveryTest {

  private static final int TIMEOUT = 2000;

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void parsesTheDocumentedFormat() {
    ClusterConfig c = ClusterConfig.parse(
        bytes("12\nmycluster.0001.cache.amazonaws.com|10.82.235.120|11211 mycluster.0002.cache.amazonaws.com|10.80.249.27|11211\n"),
        "cfg:11211");
    assertEquals(12, c.version());
    assertEquals(2, c.nodes().size());
    ClusterConfig.Node n = c.nodes().get(1);
    assertEquals("mycluster.0002.cache.amazonaws.com", n.host());
    assertEquals("10.80.249.27", n.ip());
    assertEquals(11211, n.port());
    InetSocketAddress a = n.address();
    assertEquals("mycluster.0002.cache.amazonaws.com", a.getHostString());
    assertEquals("10.80.249.27", a.getAddress().getHostAddress());
    assertEquals(List.of("mycluster.0001.cache.amazonaws.com:11211", "mycluster.0002.cache.amazonaws.com:11211"), c.identities());
    // no IP: reached by name; CRLF line ends are accepted too
    ClusterConfig noIp = ClusterConfig.parse(bytes("3\r\nlocalhost||11211\r\n"), "x");
    assertEquals("", noIp.nodes().get(0).ip());
  }

  @Test
  void refusesMalformedAnswersQuotingTheEndpoint() {
    for (String bad : new String[] {"", "12\n", "x\nh|1.2.3.4|11211\n", "1\nh|1.2.3.4\n", "1\nh|1.2.3.4|0\n",
        "1\nh|not-an-ip|11211\n", "1\nh|1.2.3.4|11211\nextra\n"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ClusterConfig.parse(bytes(bad), "cfg.example:11211"), bad);
      assertTrue(e.getMessage().startsWith("configuration endpoint cfg.example:11211 sent an unreadable"), e.getMessage());
    }
  }

  /**
   * A version line and an empty node list is an answer of no nodes: refused at start as such, and
   * a failed poll after it (the list is kept). Before, it was "expected two lines", an unreadable
   * answer, and the poller's check for no nodes was never reached.
   */
  @Test
  void anEndpointThatListsNoNodesIsToldAsSuch() throws Exception {
    ClusterConfig none = ClusterConfig.parse(bytes("12\n\n"), "cfg:11211");
    assertEquals(12, none.version());
    assertEquals(List.of(), none.nodes());
    try (ConfigEndpointStub stub = ConfigEndpointStub.start()) {
      stub.setNodes(List.of());
      CacheException e = assertThrows(CacheException.class,
          () -> DiscoveryPoller.start("127.0.0.1", stub.port(), ServerConnector.plain(), 3_600_000, TIMEOUT, (a, b) -> {}));
      assertEquals("configuration endpoint 127.0.0.1:" + stub.port() + " lists no nodes", e.getMessage());

      stub.setNodes(List.of("a|127.0.0.1|1001"));
      try (DiscoveryPoller p = DiscoveryPoller.start("127.0.0.1", stub.port(), ServerConnector.plain(), 3_600_000, TIMEOUT,
          (a, b) -> {})) {
        stub.setNodes(List.of());
        p.poll();
        assertEquals(1, p.failures());
        assertTrue(p.lastError().contains("lists no nodes"), p.lastError());
        assertEquals(List.of("a:1001"), p.current().identities(), "the list is kept");
      }
    }
  }

  @Test
  void fetchesFromTheEndpointAndFallsBackToTheLegacyKey() throws IOException {
    try (ConfigEndpointStub stub = ConfigEndpointStub.start();
        ConfigEndpointStub legacy = ConfigEndpointStub.start(null, true)) {
      stub.setNodes(List.of("a|127.0.0.1|1001", "b|127.0.0.1|1002"));
      legacy.setNodes(List.of("c|127.0.0.1|1003"));
      ClusterConfig c = ConfigEndpoint.fetch(stub.address(), ServerConnector.plain(), TIMEOUT);
      assertEquals(1, c.version());
      assertEquals(List.of("a:1001", "b:1002"), c.identities());
      assertEquals(List.of("c:1003"), ConfigEndpoint.fetch(legacy.address(), ServerConnector.plain(), TIMEOUT).identities());
    }
  }

  @Test
  void aPlainMemcachedIsNotAConfigurationEndpoint() {
    try (LocalMemcached m = LocalMemcached.start()) {
      IOException e = assertThrows(IOException.class,
          () -> ConfigEndpoint.fetch(new InetSocketAddress("127.0.0.1", m.port()), ServerConnector.plain(), TIMEOUT));
      assertTrue(e.getMessage().contains("is not an ElastiCache configuration endpoint"), e.getMessage());
    }
  }

  @Test
  void pollerReportsChangesIgnoresStaleAnswersAndKeepsTheListWhenPollsFail() throws Exception {
    try (ConfigEndpointStub stub = ConfigEndpointStub.start()) {
      stub.setNodes(List.of("a|127.0.0.1|1001", "b|127.0.0.1|1002"));
      BlockingQueue<ClusterConfig[]> changes = new LinkedBlockingQueue<>();
      // a long interval: the test polls by hand
      try (DiscoveryPoller p = DiscoveryPoller.start("127.0.0.1", stub.port(), ServerConnector.plain(), 3_600_000, TIMEOUT,
          (before, after) -> changes.add(new ClusterConfig[] {before, after}))) {
        assertEquals(List.of("a:1001", "b:1002"), p.current().identities());
        p.poll();
        assertNull(changes.poll(), "no change, no call");

        stub.setNodes(List.of("a|127.0.0.1|1001", "b|127.0.0.1|1002", "c|127.0.0.1|1003"));
        p.poll();
        ClusterConfig[] added = changes.poll();
        assertNotNull(added);
        assertEquals(List.of("a:1001", "b:1002"), added[0].identities());
        assertEquals(List.of("a:1001", "b:1002", "c:1003"), added[1].identities());

        stub.setNodes(List.of("a|127.0.0.1|1001"), 1); // older version: a node that lags behind
        p.poll();
        assertNull(changes.poll(), "a stale answer is ignored");
        assertEquals(3, p.current().nodes().size());

        stub.setNodes(List.of("a|127.0.0.1|1001", "c|127.0.0.1|1003"), 10);
        p.poll();
        assertEquals(List.of("a:1001", "c:1003"), changes.poll()[1].identities());

        stub.setNodes(List.of("a|127.0.0.2|1001", "c|127.0.0.1|1003"), 11); // a moved to another IP
        p.poll();
        assertEquals("127.0.0.2", changes.poll()[1].nodes().get(0).ip());

        stub.setSilent(true);
        p.poll();
        assertEquals(1, p.failures());
        assertNotNull(p.lastError());
        assertEquals(List.of("a:1001", "c:1003"), p.current().identities(), "a failed poll keeps the list");
        stub.setSilent(false);
        p.poll();
        assertNull(p.lastError());

        // a cluster created again under the same endpoint: its versions start over
        stub.setNodes(List.of("d|127.0.0.1|1004"), 1);
        for (int i = 1; i < DiscoveryPoller.POLLS_TO_GO_BACK; i++) {
          p.poll();
          assertNull(changes.poll(), "a lower version is taken as stale at first");
        }
        p.poll();
        assertEquals(List.of("d:1004"), changes.poll()[1].identities(), "the same lower version, poll after poll, is followed");
        assertEquals(1, p.current().version());
        stub.setNodes(List.of("d|127.0.0.1|1004", "e|127.0.0.1|1005"), 2);
        p.poll();
        assertEquals(List.of("d:1004", "e:1005"), changes.poll()[1].identities(), "and its next versions too");
      }
    }
  }

  @Test
  void aChangeTheListenerCannotApplyIsOfferedAgain() throws Exception {
    try (ConfigEndpointStub stub = ConfigEndpointStub.start()) {
      stub.setNodes(List.of("a|127.0.0.1|1001"));
      java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
      try (DiscoveryPoller p = DiscoveryPoller.start("127.0.0.1", stub.port(), ServerConnector.plain(), 3_600_000, TIMEOUT,
          (before, after) -> {
            if (calls.incrementAndGet() == 1) {
              throw new CacheException("TLS with memcached at b:1002 failed");
            }
          })) {
        stub.setNodes(List.of("a|127.0.0.1|1001", "b|127.0.0.1|1002"));
        p.poll();
        assertEquals(List.of("a:1001"), p.current().identities(), "not applied, not taken over");
        assertTrue(p.lastError().contains("b:1002"), p.lastError());
        p.poll();
        assertEquals(2, calls.get());
        assertEquals(List.of("a:1001", "b:1002"), p.current().identities());
      }
    }
  }

  /**
   * A change whose applying throws an {@link Error} (no native thread left for the new generation's
   * connections) is offered again at the next poll: polling goes on. Before, the Error ended the
   * periodic poll for good, and the list was never followed again, without a word.
   */
  @Test
  void pollingGoesOnAfterAnErrorInAPoll() throws Exception {
    try (ConfigEndpointStub stub = ConfigEndpointStub.start()) {
      stub.setNodes(List.of("a|127.0.0.1|1001"));
      java.util.concurrent.atomic.AtomicInteger calls = new java.util.concurrent.atomic.AtomicInteger();
      BlockingQueue<ClusterConfig> applied = new LinkedBlockingQueue<>();
      try (DiscoveryPoller p = DiscoveryPoller.start("127.0.0.1", stub.port(), ServerConnector.plain(), 50, TIMEOUT,
          (before, after) -> {
            if (calls.incrementAndGet() == 1) {
              throw new OutOfMemoryError("unable to create native thread: possibly out of memory or process/resource limits reached");
            }
            applied.add(after);
          })) {
        stub.setNodes(List.of("a|127.0.0.1|1001", "b|127.0.0.1|1002"));
        ClusterConfig c = applied.poll(10, TimeUnit.SECONDS);
        assertNotNull(c, "the change was not offered again after the Error (" + calls.get() + " calls)");
        assertEquals(List.of("a:1001", "b:1002"), c.identities());
        assertTrue(p.failures() >= 1, "the Error counts as a failure");
      }
    }
  }

  @Test
  void pollerFollowsChangesOnItsInterval() throws Exception {
    try (ConfigEndpointStub stub = ConfigEndpointStub.start()) {
      stub.setNodes(List.of("a|127.0.0.1|1001"));
      BlockingQueue<ClusterConfig> changes = new LinkedBlockingQueue<>();
      try (DiscoveryPoller p = DiscoveryPoller.start("127.0.0.1", stub.port(), ServerConnector.plain(), 100, TIMEOUT,
          (before, after) -> changes.add(after))) {
        long t0 = System.nanoTime();
        stub.setNodes(List.of("a|127.0.0.1|1001", "b|127.0.0.1|1002"));
        ClusterConfig c = changes.poll(5, TimeUnit.SECONDS);
        assertNotNull(c, "no change seen within 5 s with a 100 ms interval");
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 2000, "took " + ms + " ms");
        assertEquals(2, c.nodes().size());
      }
    }
  }

  @Test
  void startFailsNamingTheEndpoint() throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    CacheException e = assertThrows(CacheException.class,
        () -> DiscoveryPoller.start("127.0.0.1", port, ServerConnector.plain(), 1000, TIMEOUT, (a, b) -> {}));
    assertTrue(e.getMessage().contains("configuration endpoint 127.0.0.1:" + port), e.getMessage());
  }

  @Test
  void discoveryOverTls() {
    try (TlsFixture tls = TlsFixture.create();
        ConfigEndpointStub stub = ConfigEndpointStub.start(tls.serverContext(), false)) {
      stub.setNodes(List.of("localhost|127.0.0.1|11211"));
      TlsContext ctx = TestTls.context(tls.clientSettings());
      try (DiscoveryPoller p = DiscoveryPoller.start("127.0.0.1", stub.port(), ServerConnector.tls(ctx), 60_000, TIMEOUT, (a, b) -> {})) {
        assertEquals(List.of("localhost:11211"), p.current().identities());
      }
      TlsContext wrongCa = TestTls.context(java.util.Map.of("tls", "true",
          "tlsTrustStore", tls.otherTrustStore().toString(), "tlsTrustStorePassword", TlsFixture.PASSWORD));
      CacheException e = assertThrows(CacheException.class,
          () -> DiscoveryPoller.start("127.0.0.1", stub.port(), ServerConnector.tls(wrongCa), 60_000, TIMEOUT, (a, b) -> {}));
      assertTrue(e.getMessage().contains("not trusted"), e.getMessage());
    }
  }
}
