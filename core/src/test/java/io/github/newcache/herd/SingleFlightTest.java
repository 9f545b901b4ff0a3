package io.github.newcache.herd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.HerdStatisticsMXBean;
import io.github.newcache.NewcacheCache;
import io.github.newcache.NewcacheConfiguration;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheLoaderException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** One load per missing key: within a JVM, across managers, across JVMs, and when a holder dies. */
@ExtendWith(MemcachedExtension.class)
class SingleFlightTest {

  private ExecutorService pool;

  @BeforeEach
  void resetLoads() {
    HerdChild.LOADS.set(0);
    HerdChild.die = false;
    pool = Executors.newFixedThreadPool(64);
  }

  @AfterEach
  void stopPool() throws InterruptedException {
    pool.shutdownNow();
    assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void concurrentMissesInOneJvmShareOneLoad(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = managers.open(p).createCache("herd", HerdChild.config());
    List<String> values = all(race(16, () -> c.get("hot")));
    assertEquals(1, HerdChild.LOADS.get(), "loads");
    values.forEach(v -> assertEquals("loaded:hot", v));
    HerdStatisticsMXBean stats = c.unwrap(NewcacheCache.class).herdStatistics();
    assertEquals(1, stats.getLeaderLoads());
    assertEquals(15, stats.getLoadsSaved());
  }

  /**
   * A loader slower than the lease timeout: past twice the timeout the threads still waiting for
   * this JVM's flight give up on it together and form one new flight (whose leader finds the
   * first load's value, or loads once more if the first lease has expired). Before, each of the 15
   * ran the loader itself at that moment: 16 loads in one JVM.
   */
  @Test
  void aLoaderSlowerThanTheLeaseTimeoutRunsAtMostOnceMorePerTimeout(TestManagers managers) throws Exception {
    Slow.LOADS.set(0);
    NewcacheConfiguration<String, String> config = HerdChild.config();
    config.setLeaseTimeoutMillis(1000);
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(Slow.class));
    Cache<String, String> c = managers.open(Protocol.TEXT).createCache("slow", config);
    all(race(16, () -> c.get("hot"))).forEach(v -> assertEquals("loaded:hot", v));
    assertTrue(Slow.LOADS.get() <= 2, "loads in one JVM, 2.5 s loader, 1 s lease timeout: " + Slow.LOADS.get());
  }

  /**
   * A loader slower than the lease timeout that finds nothing (null: nothing is stored, so no
   * round of waiting finds a value): each caller waits at most two rounds, then loads by itself.
   * Before, every round took one thread out of the waiting set and started one more: with 8
   * callers the last one came back after about seven rounds of twice the lease timeout (16 s).
   */
  @Test
  void aSlowLoaderThatFindsNothingHoldsNoCallerForManyRounds(TestManagers managers) throws Exception {
    NewcacheConfiguration<String, String> config = HerdChild.config();
    config.setLeaseTimeoutMillis(1000);
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(SlowNull.class));
    Cache<String, String> c = managers.open(Protocol.TEXT).createCache("slownull", config);
    long start = System.nanoTime();
    all(race(8, () -> c.get("hot"))).forEach(v -> assertNull(v));
    long millis = (System.nanoTime() - start) / 1_000_000;
    // two rounds of twice the lease timeout, the lease wait and one load: about 9 s at most
    assertTrue(millis < 12_000, "8 callers of a 2.5 s loader that finds nothing took " + millis + " ms");
  }

  /** Takes 2.5 s per load and finds nothing ({@link Slow}'s loads count both). */
  public static final class SlowNull extends Slow {
    @Override
    String found(String key) {
      return null;
    }
  }

  /** Takes 2.5 s per load: longer than twice a lease timeout of 1 s. */
  public static class Slow implements CacheLoader<String, String> {
    static final AtomicInteger LOADS = new AtomicInteger();

    @Override
    public String load(String key) {
      LOADS.incrementAndGet();
      try {
        Thread.sleep(2500);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return found(key);
    }

    String found(String key) {
      return "loaded:" + key;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aThrowingLoaderRunsOnceForEveryWaiterOfItsFlight(Protocol p, TestManagers managers) throws Exception {
    Failing.LOADS.set(0);
    NewcacheConfiguration<String, String> config = HerdChild.config();
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(Failing.class));
    Cache<String, String> c = managers.open(p).createCache("failing", config);
    List<Future<String>> results = race(8, () -> c.get("hot"));
    for (Future<String> f : results) {
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(30, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof CacheLoaderException, "the leader's exception: " + e.getCause());
    }
    assertEquals(1, Failing.LOADS.get(), "one load for the 8 callers of one flight");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aLoaderThatFindsNothingRunsOnceForEveryWaiter(Protocol p, TestManagers managers) throws Exception {
    Failing.LOADS.set(0);
    NewcacheConfiguration<String, String> config = HerdChild.config();
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(Nothing.class));
    Cache<String, String> c = managers.open(p).createCache("nothing", config);
    all(race(8, () -> c.get("hot"))).forEach(v -> assertEquals(null, v));
    assertEquals(1, Failing.LOADS.get(), "one load for the 8 callers of one flight");
  }

  /**
   * Another client's lease outlives the lease timeout (a slow or dead holder): this JVM's leader
   * loads at the timeout, and the threads waiting for its flight take its outcome. Before, each of
   * them loaded too, at the same moment: 16 loads where the README promises one per JVM.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void pastAnotherClientsLeaseOneJvmStillLoadsOnce(Protocol p, TestManagers managers) throws Exception {
    NewcacheConfiguration<String, String> config = HerdChild.config();
    config.setLeaseTimeoutMillis(1000);
    Cache<String, String> c = managers.open(p).createCache("outlived", config);
    try (io.github.newcache.testkit.RawMemcached raw = io.github.newcache.testkit.RawMemcached.of(managers.server())) {
      raw.set(lease(managers, "outlived", "hot"), "a slow client's".getBytes(StandardCharsets.UTF_8));
    }
    all(race(16, () -> c.get("hot"))).forEach(v -> assertEquals("loaded:hot", v));
    assertEquals(1, HerdChild.LOADS.get(), "loads in this JVM");
    HerdStatisticsMXBean stats = c.unwrap(NewcacheCache.class).herdStatistics();
    // Before, the load past the lease timeout was counted as a leader's load too.
    assertEquals(0, stats.getLeaderLoads(), "no load ran under the lease: another client held it throughout");
    assertEquals(1, stats.getLeaseTimeouts(), "the leader's load, past the lease timeout");
  }

  /**
   * An entry processor on an absent key waits for others one lease timeout in all. Another client
   * holds the key's lease for good, and another thread of this JVM runs a processor on the key (it
   * went ahead without the lease at the timeout, and holds this JVM's turn). A second invoke waits
   * the lease timeout for the turn and then goes on without the lease, counting one lease timeout.
   * Before, it waited for the turn and then for the lease, each its own lease timeout (3 s here),
   * and counted two.
   */
  @Test
  void anEntryProcessorWaitsForOthersOneLeaseTimeoutInAll(TestManagers managers) throws Exception {
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setLeaseTimeoutMillis(1500);
    Cache<String, String> c = managers.open(Protocol.TEXT).createCache("processed", config);
    try (io.github.newcache.testkit.RawMemcached raw = io.github.newcache.testkit.RawMemcached.of(managers.server())) {
      raw.set(lease(managers, "processed", "k"), "another client's".getBytes(StandardCharsets.UTF_8));
    }
    HerdStatisticsMXBean stats = c.unwrap(NewcacheCache.class).herdStatistics();
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Future<String> holder = pool.submit(() -> c.invoke("k", (e, args) -> {
      entered.countDown();
      try {
        assertTrue(release.await(60, TimeUnit.SECONDS));
      } catch (InterruptedException x) {
        Thread.currentThread().interrupt();
      }
      e.setValue("first");
      return "first";
    }));
    try {
      assertTrue(entered.await(30, TimeUnit.SECONDS), "the first processor runs, past the lease timeout");
      assertEquals(1, stats.getLeaseTimeouts(), "the first processor's wait for the lease");
      long start = System.nanoTime();
      c.invoke("k", (e, args) -> {
        e.setValue("second");
        return null;
      });
      long took = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(took >= 1400, "it waited for the other processor's turn: " + took + " ms");
      assertTrue(took < 2500, "an invoke with a 1.5 s lease timeout waited " + took + " ms for others");
      assertEquals(2, stats.getLeaseTimeouts(), "the second invoke's one wait past the bound, counted once");
    } finally {
      release.countDown();
    }
    assertEquals("first", holder.get(30, TimeUnit.SECONDS));
  }

  /** The memcached key of the lease of a cache's key, under the default key mangler. */
  private static String lease(TestManagers managers, String cache, String key) {
    return managers.flavor() + "-1-" + cache + "-"
        + io.github.newcache.internal.key.Hashing.md5Hex(key.getBytes(StandardCharsets.UTF_8)) + ".lease";
  }

  /**
   * The entry appears while this JVM's leader waits for another client's lease, and is gone again
   * at once: its expiry policy ends it on access, so the read that saw it appear also removed it.
   * The leader answers the value it saw appear, as a caller that got another's load (LoadsSaved),
   * and runs no loader. Before, it read the entry again, found nothing, and ran the loader without
   * the lease, a load counted neither as a leader's load nor as a lease timeout.
   */
  @Test
  void anEntryThatAppearsAndVanishesAgainAnswersTheValueThatAppeared(TestManagers managers) throws Exception {
    NewcacheConfiguration<String, String> config = HerdChild.config();
    config.setLeaseTimeoutMillis(10_000);
    config.setExpiryPolicyFactory(FactoryBuilder.factoryOf(GoneOnAccess.class));
    Cache<String, String> c = managers.open(Protocol.TEXT).createCache("vanishing", config);
    Cache<String, String> other = managers.open(Protocol.TEXT, "opTimeout=2001").createCache("vanishing", config);
    Future<String> leader;
    try (io.github.newcache.testkit.RawMemcached raw = io.github.newcache.testkit.RawMemcached.of(managers.server())) {
      raw.set(lease(managers, "vanishing", "hot"), "another client's".getBytes(StandardCharsets.UTF_8));
      long gets = raw.stat("cmd_get");
      leader = pool.submit(() -> c.get("hot"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (raw.stat("cmd_get") < gets + 6) { // the miss, then the leader's polls of the entry and the lease
        assertTrue(System.nanoTime() < deadline, "the leader never polled");
        Thread.sleep(1);
      }
      other.put("hot", "stored by another client");
      assertEquals("stored by another client", leader.get(30, TimeUnit.SECONDS));
    }
    HerdStatisticsMXBean stats = c.unwrap(NewcacheCache.class).herdStatistics();
    assertEquals(0, HerdChild.LOADS.get(), "loads");
    assertEquals(0, stats.getLeaderLoads());
    assertEquals(0, stats.getLeaseTimeouts());
    assertEquals(1, stats.getLoadsSaved(), "the value that appeared");
  }

  /** Entries live until they are read: the read that finds one ends it. */
  public static final class GoneOnAccess implements ExpiryPolicy {
    @Override
    public Duration getExpiryForCreation() {
      return Duration.ETERNAL;
    }

    @Override
    public Duration getExpiryForAccess() {
      return Duration.ZERO;
    }

    @Override
    public Duration getExpiryForUpdate() {
      return null;
    }
  }

  /** Restores the interrupt flag, as a loader that was interrupted should, and returns a value. */
  public static final class Interrupted implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      Thread.currentThread().interrupt();
      return "loaded:" + key;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }
  }

  /**
   * A lease holder whose thread is interrupted releases its lease all the same. Before, the release
   * failed at once on the interrupt flag and other clients waited for the lease's TTL.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anInterruptedHolderStillReleasesItsLease(Protocol p, TestManagers managers) throws Exception {
    NewcacheConfiguration<String, String> config = HerdChild.config();
    config.setCacheLoaderFactory(FactoryBuilder.factoryOf(Interrupted.class));
    Cache<String, String> c = managers.open(p).createCache("interrupted", config);
    String lease = lease(managers, "interrupted", "hot");
    Future<Object> done = pool.submit(() -> {
      try {
        return c.get("hot");
      } catch (RuntimeException e) {
        return e; // the store may fail on the flag; the lease must go either way
      }
    });
    done.get(30, TimeUnit.SECONDS);
    try (io.github.newcache.testkit.RawMemcached raw = io.github.newcache.testkit.RawMemcached.of(managers.server())) {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); // released without blocking: wait for it
      while (raw.get(lease) != null && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertEquals(null, raw.get(lease), "the lease was released, long before its 3 s timeout");
    }
  }

  /** Fails once the race's other callers wait for its flight. */
  public static final class Failing implements CacheLoader<String, String> {
    static final AtomicInteger LOADS = new AtomicInteger();

    @Override
    public String load(String key) {
      LOADS.incrementAndGet();
      pause();
      throw new IllegalStateException("the database is down");
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }

    /**
     * Holds the load until the race's 7 other callers wait for this flight (10 s at most): a
     * caller the busy machine starts after the load ended forms a flight of its own, which is
     * right, and made the one-load assertion fail by timing alone.
     */
    static void pause() {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      try {
        while (waitingForAFlight() < 7 && System.nanoTime() < deadline) {
          Thread.sleep(1);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    /** Threads waiting for another thread's flight of a key (in LoadCoordinator's join). */
    private static long waitingForAFlight() {
      return Thread.getAllStackTraces().values().stream()
          .filter(stack -> java.util.Arrays.stream(stack).anyMatch(f ->
              f.getClassName().equals("io.github.newcache.internal.herd.LoadCoordinator") && f.getMethodName().equals("join")))
          .count();
    }
  }

  /** Finds nothing once the race's other callers wait for its flight. */
  public static final class Nothing implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      Failing.LOADS.incrementAndGet();
      Failing.pause();
      return null;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new UnsupportedOperationException();
    }
  }

  @Test
  void fourManagersTimesSixteenThreadsLoadOnce(TestManagers managers) throws Exception {
    List<Cache<String, String>> caches = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      // A distinct URI per manager: four managers, four connections, like four JVMs.
      CacheManager m = managers.open(Protocol.BINARY, "opTimeout=" + (2000 + i));
      caches.add(m.createCache("herd", HerdChild.config()));
    }
    CountDownLatch start = new CountDownLatch(1);
    List<Future<String>> futures = new ArrayList<>();
    for (Cache<String, String> c : caches) {
      for (int t = 0; t < 16; t++) {
        futures.add(pool.submit(() -> {
          start.await();
          return c.get("hot");
        }));
      }
    }
    start.countDown();
    for (String v : all(futures)) {
      assertEquals("loaded:hot", v);
    }
    assertEquals(1, HerdChild.LOADS.get(), "the loader ran once for 64 callers in 4 managers");
  }

  @Test
  void separateJvmsLoadOnce(TestManagers managers, @TempDir Path dir) throws Exception {
    URI uri = managers.uri(Protocol.BINARY);
    Path go = dir.resolve("go");
    List<Process> children = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      children.add(child(uri, "cold", go, false));
    }
    for (Process child : children) {
      assertEquals("READY", readLine(child), "child started");
    }
    Cache<String, String> mine = managers.open(uri).createCache("herd", HerdChild.config());
    CountDownLatch start = new CountDownLatch(1);
    List<Future<String>> futures = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      futures.add(pool.submit(() -> {
        start.await();
        return mine.get("cold");
      }));
    }
    Files.createFile(go);
    start.countDown();
    for (String v : all(futures)) {
      assertEquals("loaded:cold", v);
    }
    int loads = HerdChild.LOADS.get();
    for (Process child : children) {
      String line = readLine(child);
      assertTrue(line.startsWith("LOADS="), line);
      loads += Integer.parseInt(line.substring(6, line.indexOf(' ')));
      assertEquals(("loaded:cold,").repeat(16), line.substring(line.indexOf("VALUES=") + 7));
      assertTrue(child.waitFor(20, TimeUnit.SECONDS));
    }
    assertEquals(1, loads, "one load across 4 JVMs x 16 threads");
  }

  @Test
  void aLeaseHolderThatDiesMidLoadIsTakenOver(TestManagers managers, @TempDir Path dir) throws Exception {
    URI uri = managers.uri(Protocol.BINARY);
    Path go = dir.resolve("go");
    Files.createFile(go);
    Process dying = child(uri, "orphan", go, true);
    assertEquals("READY", readLine(dying));
    assertTrue(dying.waitFor(30, TimeUnit.SECONDS), "the child halted in its loader");
    assertEquals(3, dying.exitValue(), "halted mid-load, lease left behind");
    Cache<String, String> c = managers.open(uri).createCache("herd", HerdChild.config());
    long started = System.nanoTime();
    assertEquals("loaded:orphan", c.get("orphan"));
    long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
    assertTrue(millis < 3000 + 1500, "took over within the lease timeout, took " + millis + " ms");
    assertEquals(1, HerdChild.LOADS.get());
  }

  private Process child(URI uri, String key, Path go, boolean die) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> cmd = new ArrayList<>(List.of(java, "-cp", System.getProperty("java.class.path"),
        HerdChild.class.getName(), uri.toString(), key, go.toString()));
    if (die) {
      cmd.add("die");
    }
    return new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }

  private static String readLine(Process p) throws Exception {
    BufferedReader r = readers.computeIfAbsent(p, k -> new BufferedReader(
        new InputStreamReader(k.getInputStream(), StandardCharsets.UTF_8)));
    Future<String> line = Executors.newSingleThreadExecutor(d -> {
      Thread t = new Thread(d);
      t.setDaemon(true);
      return t;
    }).submit(r::readLine);
    String s = line.get(60, TimeUnit.SECONDS);
    return s == null ? "<child exited " + (p.isAlive() ? "?" : p.exitValue()) + ">" : s;
  }

  private static final java.util.Map<Process, BufferedReader> readers = new java.util.concurrent.ConcurrentHashMap<>();

  private <T> List<Future<T>> race(int threads, Callable<T> task) {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      futures.add(pool.submit(() -> {
        start.await();
        return task.call();
      }));
    }
    start.countDown();
    return futures;
  }

  private static <T> List<T> all(List<Future<T>> futures) throws Exception {
    List<T> out = new ArrayList<>();
    for (Future<T> f : futures) {
      out.add(f.get(30, TimeUnit.SECONDS));
    }
    return out;
  }
}
