package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.Secret;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import io.github.newcache.internal.transport.tls.ServerConnector;
import io.github.newcache.internal.transport.tls.TlsContext;
import io.github.newcache.testing.TestTls;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.cache.CacheException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The library's own short connections over TLS: key listing ({@code lru_crawler metadump hash})
 * and the server check with SASL, against memcached with {@code -Z} (and {@code -S}).
 */
class TlsSocketsTest {

  private static TlsFixture tls;
  private static LocalMemcached server;
  private static TlsContext context;

  @BeforeAll
  static void start() {
    tls = TlsFixture.create();
    server = tls.startServer();
    context = TestTls.context(tls.clientSettings());
  }

  @AfterAll
  static void stop() {
    TlsFixture.closeAll(server, tls);
  }

  private static InetSocketAddress at(int port) {
    return new InetSocketAddress("127.0.0.1", port);
  }

  @Test
  void keyListerListsKeysOverTls() throws IOException {
    List<String> written = new ArrayList<>();
    try (Socket s = ServerConnector.tls(context).open(at(server.port()), 3000)) {
      OutputStream out = s.getOutputStream();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      for (int i = 0; i < 500; i++) {
        String key = "tlslist:" + i + (i % 7 == 0 ? "%20with%20escapes" : "");
        out.write(("set " + key + " 0 0 1\r\nx\r\n").getBytes(StandardCharsets.US_ASCII));
        written.add(key); // memcached escapes '%' in the dump; the lister decodes it back
      }
      out.flush();
      for (int i = 0; i < 500; i++) {
        assertEquals("STORED", in.readLine());
      }
    }
    KeyLister lister = new KeyLister(5000, ServerConnector.tls(context));
    List<String> keys = lister.keys(at(server.port()), "tlslist:");
    Collections.sort(keys);
    Collections.sort(written);
    assertEquals(written.size(), keys.size());
    assertTrue(written.equals(keys), "listed keys differ from written keys");
  }

  @Test
  void keyListerOverTlsNamesTheServerWhenTheCaIsWrong() {
    TlsContext other = TestTls.context(Map.of("tls", "true",
        "tlsTrustStore", tls.otherTrustStore().toString(), "tlsTrustStorePassword", TlsFixture.PASSWORD));
    KeyLister lister = new KeyLister(3000, ServerConnector.tls(other));
    CacheException e = assertThrows(CacheException.class, () -> lister.keys(at(server.port()), "x"));
    assertTrue(e.getMessage().contains("memcached at 127.0.0.1:" + server.port()), e.getMessage());
    assertTrue(e.getMessage().contains("not trusted"), e.getMessage());
  }

  @Test
  void serverCheckWithSaslOverTls() throws Exception {
    Path dir = Files.createTempDirectory("newcache-sasl-tls");
    Path db = dir.resolve("sasldb2");
    Process p = new ProcessBuilder("/usr/sbin/saslpasswd2", "-p", "-a", "memcached", "-c", "-f", db.toString(), "app")
        .redirectErrorStream(true).start();
    p.getOutputStream().write("right-password".getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0,
        "saslpasswd2 failed (apt-get install -y sasl2-bin)");
    Files.writeString(dir.resolve("memcached.conf"), "mech_list: plain\nsasldb_path: " + db + "\n");
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    List<String> cmd = new ArrayList<>(List.of(LocalMemcached.executable(), "-S", "-l", "127.0.0.1", "-p",
        Integer.toString(port), "-U", "0", "-u", "root"));
    cmd.addAll(List.of(tls.serverArgs()));
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("SASL_CONF_PATH", dir.toString());
    Process memcached = pb.start();
    try {
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (true) {
        try (Socket s = new Socket()) {
          s.connect(at(port), 200);
          break;
        } catch (IOException notYet) {
          assertTrue(memcached.isAlive() && System.nanoTime() < deadline, "memcached -S -Z did not start");
          Thread.sleep(20);
        }
      }
      ServerConnector connector = ServerConnector.tls(context);
      ServerCheck.Result ok = ServerCheck.check(at(port), true, "app", Secret.of("right-password"), connector);
      assertTrue(ok.reachable(), ok.problem());
      assertTrue(ok.itemSizeMax() > 0, "the limit is read over TLS after authenticating");
      CacheException wrong = assertThrows(CacheException.class,
          () -> ServerCheck.check(at(port), true, "app", Secret.of("wrong-password"), connector));
      assertTrue(wrong.getMessage().contains("rejected the SASL credentials of user 'app'"), wrong.getMessage());
    } finally {
      memcached.destroy();
      if (!memcached.waitFor(5, TimeUnit.SECONDS)) {
        memcached.destroyForcibly();
      }
      try (var files = Files.walk(dir)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
      }
    }
  }
}
