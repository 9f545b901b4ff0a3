package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SASL against memcached started with {@code -S} and a sasldb made in a temporary directory:
 * right credentials work (binary protocol), a wrong password fails the manager at once with an
 * error naming the server and user, key listing fails with a clear message.
 */
class SaslTest {

  private static final String SASLPASSWD = "/usr/sbin/saslpasswd2";
  private static final String USER = "app";
  private static final String PASSWORD = "right-password";
  /**
   * A generous operation timeout for a manager that must work: a new manager waits for its
   * connections to be made and authenticated before its first operation, for at least a second and
   * at most {@code opTimeout} (the default's 1 s), returning as soon as they are. On a loaded
   * machine SASL authentication can take longer than 1 s, and an operation sent before it is done is
   * refused.
   */
  private static final String GENEROUS_TIMEOUT = "&opTimeout=15000";

  private static Path dir;
  private static Process memcached;
  private static int port;

  @BeforeAll
  static void start() throws Exception {
    assertTrue(new File(SASLPASSWD).canExecute(), "saslpasswd2 missing: apt-get install -y sasl2-bin (./run test installs it)");
    dir = Files.createTempDirectory("newcache-sasl");
    Path db = dir.resolve("sasldb2");
    Process p = new ProcessBuilder(SASLPASSWD, "-p", "-a", "memcached", "-c", "-f", db.toString(), USER)
        .redirectErrorStream(true).start();
    p.getOutputStream().write(PASSWORD.getBytes(StandardCharsets.UTF_8));
    p.getOutputStream().close();
    assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, "saslpasswd2 failed");
    Files.writeString(dir.resolve("memcached.conf"), "mech_list: plain\nsasldb_path: " + db + "\n");
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    ProcessBuilder pb = new ProcessBuilder(LocalMemcached.executable(), "-S", "-l", "127.0.0.1", "-p",
        Integer.toString(port), "-U", "0", "-u", "root").redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.environment().put("SASL_CONF_PATH", dir.toString());
    memcached = pb.start();
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress("127.0.0.1", port), 200);
        break;
      } catch (IOException notYet) {
        assertTrue(memcached.isAlive() && System.nanoTime() < deadline, "memcached -S did not start");
        Thread.sleep(20);
      }
    }
  }

  @AfterAll
  static void stop() throws IOException {
    if (memcached != null) {
      memcached.destroyForcibly();
    }
    if (dir != null) {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path f : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(f);
        }
      }
    }
  }

  private static CacheManager manager(String password, String query) {
    Properties p = new Properties();
    p.setProperty("username", USER);
    p.setProperty("password", password);
    return Caching.getCachingProvider()
        .getCacheManager(URI.create("memcached://127.0.0.1:" + port + "/?" + query), SaslTest.class.getClassLoader(), p);
  }

  @Test
  void rightCredentialsWorkAndListingIsRefusedClearly() {
    try (CacheManager m = manager(PASSWORD, "binary=true" + GENEROUS_TIMEOUT)) {
      Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>());
      c.put("k", "v");
      assertEquals("v", c.get("k"));
      CacheException e = assertThrows(CacheException.class, () -> c.iterator().hasNext());
      assertTrue(e.getMessage().contains("SASL"), e.getMessage());
      assertEquals("v", c.get("k"), "the cache still works");
    }
  }

  @Test
  void aWrongPasswordFailsTheManagerAtOnce() {
    long start = System.nanoTime();
    CacheException e = assertThrows(CacheException.class, () -> manager("wrong-password", "binary=true&opTimeout=15000"));
    long millis = (System.nanoTime() - start) / 1_000_000;
    // well before the 15 s the manager would wait for an answer; a loaded machine's slow start is not a failure
    assertTrue(millis < 5000, "reported after " + millis + " ms, not at the refusal");
    assertTrue(e.getMessage().contains("127.0.0.1:" + port) && e.getMessage().contains("'" + USER + "'")
        && e.getMessage().contains("authentication failed"), e.getMessage());
    assertFalse(e.getMessage().contains("wrong-password"), e.getMessage());
  }

  @Test
  void saslNeedsTheBinaryProtocol() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> manager(PASSWORD, "binary=false"));
    assertTrue(e.getMessage().contains("binary=true"), e.getMessage());
    assertTrue(List.of(e.getMessage()).stream().noneMatch(m -> m.contains(PASSWORD)));
  }
}
