package io.github.newcache.near;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.FailurePolicy;
import io.github.newcache.NearCacheStatisticsMXBean;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.MutableConfiguration;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The near cache on real memcached: what this JVM does is seen at once, what another manager (its
 * own connection, standing for another JVM) does is seen within δ plus one operation timeout,
 * measured over many keys; hits cost no command at the server.
 */
@ExtendWith(MemcachedExtension.class)
class NearCacheTest {

  static final long DELTA = 300;
  static final long OP_TIMEOUT = 1000;
  static final int KEYS = 200;

  static NewcacheConfiguration<String, String> near() {
    NewcacheConfiguration<String, String> c = new NewcacheConfiguration<>();
    c.setTypes(String.class, String.class);
    return c.setNearCacheMaxEntries(10_000).setNearCacheStalenessMillis(DELTA);
  }

  static MutableConfiguration<String, String> plain() {
    return new MutableConfiguration<String, String>().setTypes(String.class, String.class);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anotherManagersWritesAreSeenWithinTheBound(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> reader = managers.open(p, "opTimeout=" + OP_TIMEOUT).createCache("c", near());
    Cache<String, String> writer = managers.open(p, "opTimeout=" + (OP_TIMEOUT + 1)).createCache("c", plain());
    Staleness s = new Staleness(KEYS);
    for (String k : s.keys()) {
      writer.put(k, "v0");
      assertEquals("v0", reader.get(k));
    }
    Thread t = s.reader(reader, "v1", 30_000);
    t.start();
    long[] written = new long[KEYS];
    for (int i = 0; i < KEYS; i++) {
      writer.put(s.keys()[i], "v1");
      written[i] = System.currentTimeMillis();
      Thread.sleep(2); // spread the writes over several δ windows
    }
    Staleness.join(t, 40_000);
    long max = Staleness.report("two managers, " + p, s.staleness(written), DELTA, DELTA + OP_TIMEOUT);
    NearCacheStatisticsMXBean stats = reader.unwrap(NewcacheCache.class).nearCacheStatistics();
    assertTrue(stats.getNearHits() > stats.getRevalidationsChanged() + stats.getRevalidationsUnchanged(),
        "most reads were near hits: " + stats.getNearHits());
    assertTrue(stats.getRevalidationsChanged() >= KEYS, "every key was revalidated and found changed");
    assertTrue(max > 0, "the reader did serve stale values for a while (a near cache, not a pass-through)");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anotherManagersClearIsSeenWithinTheBound(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> reader = managers.open(p, "opTimeout=" + OP_TIMEOUT).createCache("c", near());
    Cache<String, String> writer = managers.open(p, "opTimeout=" + (OP_TIMEOUT + 1)).createCache("c", plain());
    Staleness s = new Staleness(KEYS);
    for (String k : s.keys()) {
      writer.put(k, "v0");
      assertEquals("v0", reader.get(k));
    }
    NotNull absent = new NotNull(reader);
    Thread t = absent.reader(s, 30_000);
    t.start();
    writer.clear();
    long cleared = System.currentTimeMillis();
    long[] written = new long[KEYS];
    java.util.Arrays.fill(written, cleared);
    Staleness.join(t, 40_000);
    Staleness.report("clear in another manager, " + p, absent.staleness(s, written), DELTA, DELTA + OP_TIMEOUT);
  }

  /** Polls for keys to read as absent. */
  private static final class NotNull {
    private final Cache<String, String> cache;
    private long[] seen;

    NotNull(Cache<String, String> cache) {
      this.cache = cache;
    }

    Thread reader(Staleness s, long deadlineMillis) {
      String[] keys = s.keys();
      seen = new long[keys.length];
      Thread t = new Thread(() -> {
        long deadline = System.currentTimeMillis() + deadlineMillis;
        int left = keys.length;
        while (left > 0 && System.currentTimeMillis() < deadline) {
          for (int i = 0; i < keys.length; i++) {
            if (seen[i] == 0 && cache.get(keys[i]) == null) {
              seen[i] = System.currentTimeMillis();
              left--;
            }
          }
        }
      });
      t.setDaemon(true);
      return t;
    }

    long[] staleness(Staleness s, long[] clearedAt) {
      long[] late = new long[seen.length];
      for (int i = 0; i < seen.length; i++) {
        assertTrue(seen[i] != 0, "never saw " + s.keys()[i] + " cleared");
        late[i] = Math.max(0, seen[i] - clearedAt[i]);
      }
      return late;
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void thisJvmsChangesAreSeenAtOnceAndHitsSendNothing(Protocol p, TestManagers managers) {
    // δ of a minute: anything this test sees at once is this JVM's own bookkeeping, not a revalidation.
    Cache<String, String> c = managers.open(p).createCache("c", near().setNearCacheStalenessMillis(60_000));
    c.put("k", "1");
    long gets = cmdGet(managers.server());
    for (int i = 0; i < 20; i++) {
      assertEquals("1", c.get("k"));
    }
    assertEquals(Map.of("k", "1"), c.getAll(Set.of("k")));
    assertTrue(c.containsKey("k"));
    assertEquals(gets, cmdGet(managers.server()), "near hits send no command to memcached");
    assertTrue(c.replace("k", "2"));
    assertEquals("2", c.get("k"));
    assertEquals(3, (int) c.invoke("k", (e, a) -> {
      e.setValue("3");
      return 3;
    }));
    assertEquals("3", c.get("k"));
    assertTrue(c.remove("k"));
    assertNull(c.get("k"));
    c.putAll(Map.of("a", "1", "b", "2"));
    assertEquals(Map.of("a", "1", "b", "2"), c.getAll(Set.of("a", "b")));
    c.removeAll(Set.of("a"));
    assertNull(c.get("a"));
    c.clear();
    assertNull(c.get("b"));
    c.put("b", "3");
    assertEquals("3", c.get("b"));
    c.removeAll();
    assertFalse(c.containsKey("b"));
  }

  @Test
  void countersAreAnMXBeanBesideTheStatistics(TestManagers managers) throws Exception {
    CacheManager m = managers.open(Protocol.BINARY);
    Cache<String, String> c = m.createCache("beans", near().setStatisticsEnabled(true));
    c.put("k", "v");
    c.get("k");
    c.get("absent");
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    ObjectName name = new ObjectName("io.github.newcache:type=CacheNear,CacheManager="
        + m.getURI().toString().replaceAll("[,:=\n?*]", ".") + ",Cache=beans");
    assertEquals(1L, server.getAttribute(name, "NearHits"));
    assertEquals(1L, server.getAttribute(name, "NearMisses"));
    assertEquals(1L, server.getAttribute(name, "NearEntries"));
    m.close();
    assertFalse(server.isRegistered(name), "gone when the manager closes");
  }

  @Test
  void aCacheDeclaredWithANearCacheInTheFileHasOne(TestManagers managers) {
    Properties declared = new Properties();
    declared.setProperty("cache.users.keyType", "java.lang.String");
    declared.setProperty("cache.users.valueType", "java.lang.String");
    declared.setProperty("cache.users.nearCache.maxEntries", "100");
    declared.setProperty("cache.users.nearCache.staleness", "5s");
    CacheManager m = managers.open(managers.uri(Protocol.TEXT), NearCacheTest.class.getClassLoader(), declared);
    Cache<String, String> users = m.getCache("users", String.class, String.class);
    users.put("k", "v");
    long gets = cmdGet(managers.server());
    assertEquals("v", users.get("k"));
    assertEquals(gets, cmdGet(managers.server()));
    assertEquals(5000, users.getConfiguration(NewcacheConfiguration.class).getNearCacheStalenessMillis());
  }

  /**
   * The reviewer's case on real memcached: a reader interrupted while its fetch waits for a stalled
   * server fails alone, and the reader that was waiting for that fetch (never interrupted) gets the
   * value once the server answers. Before, it failed with "interrupted during memcached get".
   */
  @Test
  void aReaderInterruptedDuringItsFetchFailsAloneItsWaiterGetsTheValue(TestManagers managers) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      String base = server.uri(false) + "&flavor=" + managers.flavor();
      Cache<String, String> reader = managers.open(URI.create(base + "&opTimeout=5000")).createCache("c", near());
      // written by another manager: nothing is held, so the reads below fetch
      managers.open(URI.create(base + "&opTimeout=5001")).createCache("c", plain()).put("k", "v");
      try {
        Readers readers = interruptTheFetcherOfASharedFetch(server, reader);
        ExecutionException e = assertThrows(
            ExecutionException.class, () -> readers.interrupted().get(10, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains("interrupted"), "the interrupted reader's own failure: " + e.getCause());
        server.resume();
        assertEquals("v", readers.waiter().get(10, TimeUnit.SECONDS), "the reader that was not interrupted");
      } finally {
        server.resume();
      }
    }
  }

  /**
   * The same under {@code failures=miss}, revalidating a held entry older than δ: the policy turns
   * the interrupted reader's failure into a miss before the near cache sees it, and that miss is
   * the interrupted reader's alone. The reader waiting for its fetch fetches for itself and gets
   * the value, and the held entry is not dropped as if memcached had answered "no item". Before,
   * the waiter got null (a false miss) and the entry was dropped, counted as changed.
   */
  @Test
  void underFailuresMissAnInterruptedFetchIsAMissForItsReaderAlone(TestManagers managers) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      NewcacheConfiguration<String, String> config = near();
      config.setFailurePolicy(FailurePolicy.MISS);
      Cache<String, String> reader = managers.open(
          URI.create(server.uri(false) + "&flavor=" + managers.flavor() + "&opTimeout=5000")).createCache("c", config);
      long heldSince = System.nanoTime();
      reader.put("k", "v"); // held from here
      long stale = heldSince + TimeUnit.MILLISECONDS.toNanos(DELTA + 50);
      while (System.nanoTime() < stale) { // the reads below revalidate it
        Thread.sleep(5);
      }
      NearCacheStatisticsMXBean stats = reader.unwrap(NewcacheCache.class).nearCacheStatistics();
      try {
        Readers readers = interruptTheFetcherOfASharedFetch(server, reader);
        assertNull(readers.interrupted().get(10, TimeUnit.SECONDS), "the interrupted reader's failure: a miss, by the policy");
        server.resume();
        assertEquals("v", readers.waiter().get(10, TimeUnit.SECONDS), "the reader that was not interrupted");
        assertEquals(0, stats.getRevalidationsChanged(), "the held entry was not dropped");
        assertEquals(1, stats.getRevalidationsUnchanged(), "the waiter's own fetch found the held bytes");
      } finally {
        server.resume();
      }
    }
  }

  /**
   * Whether {@code t} waits for memcached: parked for spymemcached's answer, or in the wait of a
   * get read on its own thread (a selector's, where the thread counts as running).
   */
  private static boolean waitsForMemcached(Thread t) {
    if (t.getState() == Thread.State.TIMED_WAITING || t.getState() == Thread.State.WAITING) {
      return true;
    }
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().endsWith(".DirectConnection") && e.getMethodName().equals("await")) {
        return true;
      }
    }
    return false;
  }

  /** Two readers of "k": the one whose fetch the other joined, and that other. */
  private record Readers(CompletableFuture<String> interrupted, CompletableFuture<String> waiter) {}

  /**
   * Pauses {@code server}, starts a reader of "k" whose fetch then waits for it, a second reader that
   * joins that fetch, and interrupts the first; the server stays paused.
   */
  private static Readers interruptTheFetcherOfASharedFetch(LocalMemcached server, Cache<String, String> reader)
      throws InterruptedException {
    NearCacheStatisticsMXBean stats = reader.unwrap(NewcacheCache.class).nearCacheStatistics();
    long shared = stats.getSharedFetches();
    server.pause();
    CompletableFuture<String> first = new CompletableFuture<>();
    Thread a = new Thread(() -> read(reader, first));
    a.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!waitsForMemcached(a)) {
      assertTrue(System.nanoTime() < deadline, "the first read never waited for memcached");
      Thread.sleep(1);
    }
    CompletableFuture<String> second = new CompletableFuture<>();
    Thread b = new Thread(() -> read(reader, second));
    b.start();
    while (stats.getSharedFetches() == shared) {
      assertTrue(System.nanoTime() < deadline, "the second read never joined the first one's fetch");
      Thread.sleep(1);
    }
    a.interrupt();
    return new Readers(first, second);
  }

  private static void read(Cache<String, String> c, CompletableFuture<String> out) {
    try {
      out.complete(c.get("k"));
    } catch (Throwable e) {
      out.completeExceptionally(e);
    }
  }

  /** memcached's own count of get commands (a multi-get counts once per key). */
  static long cmdGet(LocalMemcached server) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(server.host(), server.port()), 2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("stats\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      String line;
      while ((line = in.readLine()) != null && !line.equals("END")) {
        if (line.startsWith("STAT cmd_get ")) {
          return Long.parseLong(line.substring("STAT cmd_get ".length()).trim());
        }
      }
      throw new IllegalStateException("no cmd_get in memcached's stats");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
