package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.transport.tls.TlsContext;
import io.github.newcache.internal.transport.tls.TlsHandshakeException;
import io.github.newcache.internal.transport.tls.TlsSocketChannel;
import io.github.newcache.testing.TestTls;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.CASValue;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.KetamaConnectionFactory;
import net.spy.memcached.KetamaNodeKeyFormatter;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.protocol.ascii.AsciiOperationFactory;
import net.spy.memcached.protocol.binary.BinaryOperationFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * spymemcached 2.12.3, unchanged, over TLS with {@link TlsMemcachedNode} and {@link
 * TlsSocketChannel}: operations in both protocols, large values, pipelining, reconnects, mutual
 * TLS, and a server that never finishes its handshake stalling only itself.
 */
class SpyTlsTest {

  private static TlsFixture tls;
  private static LocalMemcached server;
  private static LocalMemcached mutual;

  @BeforeAll
  static void start() {
    tls = TlsFixture.create();
    server = tls.startServer();
    mutual = LocalMemcached.start(tls.mutualArgs());
  }

  @AfterAll
  static void stop() {
    TlsFixture.closeAll(server, mutual, tls);
  }

  /** A ketama factory (libmemcached format, as the library's) whose nodes speak TLS. */
  static class TlsFactory extends KetamaConnectionFactory {
    final TlsContext context;
    final boolean binary;
    final long timeoutMillis;
    final List<TlsMemcachedNode> nodes = new CopyOnWriteArrayList<>();

    TlsFactory(TlsContext context, boolean binary, long timeoutMillis) {
      super(16384, DEFAULT_READ_BUFFER_SIZE, 100, DefaultHashAlgorithm.KETAMA_HASH,
          KetamaNodeKeyFormatter.Format.LIBMEMCACHED, new HashMap<>());
      this.context = context;
      this.binary = binary;
      this.timeoutMillis = timeoutMillis;
    }

    @Override
    public MemcachedNode createMemcachedNode(SocketAddress sa, SocketChannel c, int bufSize) {
      InetSocketAddress server = (InetSocketAddress) sa;
      TlsMemcachedNode n = new TlsMemcachedNode(
          ch -> super.createMemcachedNode(sa, ch, bufSize), c,
          raw -> new TlsSocketChannel(raw, context, server, timeoutMillis));
      nodes.add(n);
      return n;
    }

    @Override
    public OperationFactory getOperationFactory() {
      return binary ? new BinaryOperationFactory() : new AsciiOperationFactory();
    }

    @Override
    public long getOperationTimeout() {
      return timeoutMillis;
    }

    @Override
    public FailureMode getFailureMode() {
      return FailureMode.Cancel;
    }

    @Override
    public long getMaxReconnectDelay() {
      return 1;
    }

    @Override
    public boolean isDaemon() {
      return true;
    }
  }

  private static MemcachedClient client(TlsFactory f, LocalMemcached... servers) throws Exception {
    int[] ports = new int[servers.length];
    for (int i = 0; i < servers.length; i++) {
      ports[i] = servers[i].port();
    }
    return client(f, ports);
  }

  /** A client of the TLS servers on these loopback ports, once it is connected to them all (5 s at most). */
  static MemcachedClient client(TlsFactory f, int... ports) throws Exception {
    List<InetSocketAddress> addrs = new ArrayList<>();
    for (int port : ports) {
      addrs.add(new InetSocketAddress("127.0.0.1", port));
    }
    MemcachedClient c = new MemcachedClient(f, addrs);
    long deadline = System.nanoTime() + 5_000_000_000L;
    while (c.getAvailableServers().size() < ports.length && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    return c;
  }

  private static TlsContext context(Map<String, String> settings) {
    return TestTls.context(settings);
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void operationsOverTls(boolean binary) throws Exception {
    MemcachedClient c = client(new TlsFactory(context(tls.clientSettings()), binary, 3000), server);
    try {
      String p = binary ? "bin" : "txt";
      assertTrue(c.set(p + "k1", 0, "v1").get(3, TimeUnit.SECONDS));
      assertEquals("v1", c.get(p + "k1"));
      CASValue<Object> cv = c.gets(p + "k1");
      assertEquals(net.spy.memcached.CASResponse.OK, c.cas(p + "k1", cv.getCas(), "v2"));
      assertEquals(net.spy.memcached.CASResponse.EXISTS, c.cas(p + "k1", cv.getCas(), "v3"));
      byte[] big = new byte[900_000];
      new Random(7).nextBytes(big);
      assertTrue(c.set(p + "big", 0, big).get(5, TimeUnit.SECONDS));
      assertArrayEquals(big, (byte[]) c.get(p + "big"));
      List<String> keys = new ArrayList<>();
      for (int i = 0; i < 300; i++) {
        keys.add(p + "m" + i);
        c.set(p + "m" + i, 0, "val" + i);
      }
      Map<String, Object> bulk = c.getBulk(keys);
      assertEquals(300, bulk.size());
      assertEquals("val299", bulk.get(p + "m299"));
      List<Future<Object>> fs = new ArrayList<>();
      for (int i = 0; i < 5000; i++) {
        fs.add(c.asyncGet(p + "m" + (i % 300)));
      }
      for (int i = 0; i < 5000; i++) {
        assertEquals("val" + (i % 300), fs.get(i).get(5, TimeUnit.SECONDS));
      }
      assertTrue(c.delete(p + "k1").get(3, TimeUnit.SECONDS));
    } finally {
      c.shutdown(1, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void mutualTls(boolean binary) throws Exception {
    MemcachedClient c = client(new TlsFactory(context(tls.mutualClientSettings()), binary, 3000), mutual);
    try {
      assertTrue(c.set("mtls" + binary, 0, "yes").get(3, TimeUnit.SECONDS));
      assertEquals("yes", c.get("mtls" + binary));
    } finally {
      c.shutdown(1, TimeUnit.SECONDS);
    }
  }

  /** SASL (binary protocol) over TLS: memcached started with -S and -Z, spymemcached's own auth. */
  @Test
  void saslOverTls() throws Exception {
    java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("newcache-sasl-tls");
    java.nio.file.Path db = dir.resolve("sasldb2");
    Process p = new ProcessBuilder("/usr/sbin/saslpasswd2", "-p", "-a", "memcached", "-c", "-f", db.toString(), "app")
        .redirectErrorStream(true).start();
    p.getOutputStream().write("right-password".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "saslpasswd2 failed (apt-get install -y sasl2-bin)");
    java.nio.file.Files.writeString(dir.resolve("memcached.conf"), "mech_list: plain\nsasldb_path: " + db + "\n");
    int port;
    try (java.net.ServerSocket ss = new java.net.ServerSocket(0)) {
      port = ss.getLocalPort();
    }
    List<String> cmd = new ArrayList<>(List.of(LocalMemcached.executable(), "-S", "-l", "127.0.0.1", "-p",
        Integer.toString(port), "-U", "0", "-u", "root"));
    cmd.addAll(List.of(tls.serverArgs()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("SASL_CONF_PATH", dir.toString());
    Process memcached = pb.start();
    MemcachedClient c = null;
    try {
      Thread.sleep(300);
      TlsFactory f = new TlsFactory(context(tls.clientSettings()), true, 3000) {
        @Override
        public net.spy.memcached.auth.AuthDescriptor getAuthDescriptor() {
          return new net.spy.memcached.auth.AuthDescriptor(new String[] {"PLAIN"},
              new net.spy.memcached.auth.PlainCallbackHandler("app", "right-password"));
        }
      };
      c = new MemcachedClient(f, List.of(new InetSocketAddress("127.0.0.1", port)));
      boolean stored = false;
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (!stored && System.nanoTime() < deadline) {
        try {
          stored = c.set("sasl-tls", 0, "ok").get(1, TimeUnit.SECONDS);
        } catch (Exception notYet) {
          Thread.sleep(50);
        }
      }
      assertTrue(stored, "no authenticated set over TLS within 5 s");
      assertEquals("ok", c.get("sasl-tls"));
    } finally {
      if (c != null) {
        c.shutdown(1, TimeUnit.SECONDS);
      }
      memcached.destroy();
      memcached.waitFor(5, TimeUnit.SECONDS);
      try (var files = java.nio.file.Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
      }
    }
  }

  @Test
  void wrongCaKeepsTheNodeDownAndSaysWhy() throws Exception {
    Map<String, String> s = new HashMap<>(tls.clientSettings());
    s.put("tlsTrustStore", tls.otherTrustStore().toString());
    TlsFactory f = new TlsFactory(context(s), true, 1000);
    MemcachedClient c = client(f, server);
    try {
      long t0 = System.nanoTime();
      try {
        c.set("x", 0, "y").get(2, TimeUnit.SECONDS);
      } catch (Exception expected) {
        // cancelled or timed out: the node never got a connection
      }
      assertTrue(System.nanoTime() - t0 < 2_500_000_000L);
      Exception failure = null;
      for (int i = 0; i < 200 && failure == null; i++) {
        for (TlsMemcachedNode n : f.nodes) {
          if (n.failure() != null) {
            failure = n.failure();
          }
        }
        Thread.sleep(10);
      }
      assertNotNull(failure, "the node keeps its TLS failure");
      assertTrue(failure.getMessage().contains("not trusted"), failure.getMessage());
      assertEquals(TlsHandshakeException.Kind.UNTRUSTED, ((TlsHandshakeException) failure).kind());
    } finally {
      c.shutdown(1, TimeUnit.SECONDS);
    }
  }

  @Test
  void reconnectsOverTlsAfterARestart() throws Exception {
    LocalMemcached m = tls.startServer();
    MemcachedClient c = client(new TlsFactory(context(tls.clientSettings()), true, 1000), m);
    try {
      assertTrue(c.set("r", 0, "before").get(2, TimeUnit.SECONDS));
      m.kill();
      m.restart();
      boolean back = false;
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (!back && System.nanoTime() < deadline) {
        try {
          back = c.set("r", 0, "after").get(1, TimeUnit.SECONDS);
        } catch (Exception notYet) {
          Thread.sleep(50);
        }
      }
      assertTrue(back, "no reconnect within 10 s");
      assertEquals("after", c.get("r"));
    } finally {
      c.shutdown(1, TimeUnit.SECONDS);
      m.close();
    }
  }

  /**
   * A restarted server that accepts TCP but is frozen before it can answer the handshake: only its
   * own keys wait; the other server's operations keep their latency (the fork, whose IO thread spins
   * in the handshake for the operation timeout, stalled every server for about a second per
   * reconnect attempt in the same scenario).
   */
  @Test
  void aServerStuckInTheHandshakeStallsOnlyItself() throws Exception {
    LocalMemcached a = tls.startServer();
    LocalMemcached b = tls.startServer();
    MemcachedClient c = client(new TlsFactory(context(tls.clientSettings()), true, 1000), a, b);
    try {
      String keyA = null;
      List<String> keysB = new ArrayList<>();
      for (int i = 0; keyA == null || keysB.size() < 20; i++) {
        int port = ((InetSocketAddress) c.getNodeLocator().getPrimary("s" + i).getSocketAddress()).getPort();
        if (port == a.port() && keyA == null) {
          keyA = "s" + i;
        } else if (port == b.port() && keysB.size() < 20) {
          keysB.add("s" + i);
        }
      }
      for (String k : keysB) {
        c.set(k, 0, "v").get(2, TimeUnit.SECONDS);
      }
      a.kill();
      a.restart();
      a.pause(); // listening, accepting TCP, never answering
      long worst = 0;
      int n = 0;
      long end = System.nanoTime() + 4_000_000_000L;
      while (System.nanoTime() < end) {
        if (n % 50 == 0) {
          c.asyncGet(keyA); // keeps the client reconnecting to a
        }
        long t = System.nanoTime();
        assertEquals("v", c.asyncGet(keysB.get(n % keysB.size())).get(2, TimeUnit.SECONDS));
        worst = Math.max(worst, System.nanoTime() - t);
        n++;
      }
      System.out.printf("handshake stall: %d gets on the healthy server, worst %.1f ms%n", n, worst / 1e6);
      assertTrue(worst < 300_000_000L, "worst get on the healthy server took " + worst / 1_000_000 + " ms");
    } finally {
      a.resume();
      c.shutdown(1, TimeUnit.SECONDS);
      a.close();
      b.close();
    }
  }
}
