package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import io.github.newcache.testing.Threads;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * getCacheManager with a server down or frozen at start: it returns in about a second whatever the
 * operation timeout (before, it waited the whole opTimeout, up to ten minutes), says which server
 * is unreachable, and the other server works at once.
 */
class StartupTest {

  private static final int OP_TIMEOUT = 10_000;

  /** Collects what the library logs about failures. */
  private static final class Captured extends Handler {
    final List<String> messages = new ArrayList<>();

    @Override
    public synchronized void publish(LogRecord r) {
      messages.add(r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}

    synchronized boolean mentions(String... words) {
      return messages.stream().anyMatch(m -> List.of(words).stream().allMatch(m::contains));
    }
  }

  private static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort(); // nothing listens once it is closed
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aServerDownAtStartCostsAboutASecondAndIsNamed(Protocol p) throws Exception {
    int dead = closedPort();
    try (LocalMemcached live = LocalMemcached.start(); LocalMemcached frozen = LocalMemcached.start()) {
      frozen.pause();
      Logger log = Logger.getLogger("io.github.newcache.failures");
      Captured captured = new Captured();
      log.addHandler(captured);
      CacheManager m = null;
      try {
        URI uri = URI.create("memcached://" + live.address() + ",127.0.0.1:" + dead + "," + frozen.address()
            + "/?binary=" + p.binary() + "&flavor=start&opTimeout=" + OP_TIMEOUT);
        long start = System.nanoTime();
        m = Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
        long millis = (System.nanoTime() - start) / 1_000_000;
        System.out.printf("%s: getCacheManager with a dead and a frozen server took %d ms%n", p, millis);
        assertTrue(millis < 2500, "getCacheManager took " + millis + " ms with opTimeout " + OP_TIMEOUT);
        assertTrue(captured.mentions("127.0.0.1:" + dead, "unreachable"), "names the dead server: " + captured.messages);
        assertTrue(captured.mentions(frozen.address(), "does not answer"), "names the frozen server: " + captured.messages);
        assertTrue(!captured.mentions(live.address()), "the live server is fine: " + captured.messages);
        frozen.resume(); // its keys would each wait opTimeout: thawed, they are served

        Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>());
        int served = 0;
        int failedFast = 0;
        for (int i = 0; i < 60; i++) {
          String key = "k" + i;
          try {
            c.put(key, "v");
            assertEquals("v", c.get(key));
            served++;
          } catch (CacheException e) {
            if (e.getMessage().contains("127.0.0.1:" + dead)) {
              failedFast++; // the dead server's keys fail at once, naming it
            }
          }
          if (served > 3 && failedFast > 3) {
            break;
          }
        }
        assertTrue(served > 3 && failedFast > 3, served + " served, " + failedFast + " failed naming the dead server");
      } finally {
        frozen.resume();
        log.removeHandler(captured);
        if (m != null) {
          m.close();
        }
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void everyServerDownStillOpensInAboutASecond(Protocol p) throws Exception {
    URI uri = URI.create("memcached://127.0.0.1:" + closedPort() + ",127.0.0.1:" + closedPort()
        + "/?binary=" + p.binary() + "&flavor=down&opTimeout=" + OP_TIMEOUT);
    long start = System.nanoTime();
    CacheManager m = Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader());
    try {
      long millis = (System.nanoTime() - start) / 1_000_000;
      assertTrue(millis < 2500, "getCacheManager took " + millis + " ms");
      Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>());
      long op = System.nanoTime();
      CacheException e = assertThrows(CacheException.class, () -> c.get("k"));
      assertTrue((System.nanoTime() - op) / 1_000_000 < 1000, "fails fast: " + e.getMessage());
      assertTrue(e.getMessage().contains("not connected") && e.getMessage().contains("failureMode cancel"), e.getMessage());
    } finally {
      m.close();
    }
  }

  /**
   * A server name that does not resolve fails the start with an error that names it, and leaves
   * nothing running: spymemcached would throw its UnresolvedAddressException from connecting,
   * past the threads and sockets already started.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anUnresolvableServerNameFailsTheStartNamingItAndLeavesNothingRunning(Protocol p) throws Exception {
    try (LocalMemcached live = LocalMemcached.start()) {
      Set<Thread> before = new HashSet<>(Thread.getAllStackTraces().keySet());
      URI uri = URI.create("memcached://" + live.address() + ",nothing.invalid:11211/?binary=" + p.binary()
          + "&flavor=unresolved&opTimeout=" + OP_TIMEOUT);
      CacheException e = assertThrows(CacheException.class,
          () -> Caching.getCachingProvider().getCacheManager(uri, getClass().getClassLoader()));
      assertTrue(e.getMessage().contains("nothing.invalid") && e.getMessage().contains("resolve"), e.getMessage());
      assertEquals(List.of(), Threads.awaitGone("newcache-", before, Duration.ofSeconds(5)), "threads left");
      assertEquals(List.of(), Threads.awaitGone("Memcached IO", before, Duration.ofSeconds(5)), "threads left");
    }
  }
}
