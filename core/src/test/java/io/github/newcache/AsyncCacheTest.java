package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ModifiedExpiryPolicy;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.event.CacheEntryUpdatedListener;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheWriter;
import javax.cache.processor.EntryProcessor;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/** The non-blocking view: the blocking call's results, bounded in time and threads, one load per fleet. */
@ExtendWith(MemcachedExtension.class)
class AsyncCacheTest {

  private static Cache<String, String> strings(TestManagers managers, Protocol p, String name, String extra) {
    return managers.open(p, extra).createCache(name, new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).setStatisticsEnabled(true));
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(10, TimeUnit.SECONDS);
  }

  /** The configurations under which the non-blocking calls take different paths. */
  enum Setup {
    /** No listener, eternal, no writer or loader: blind sets and deletes. */
    PLAIN,
    /** A listener of every event: every write reads first. */
    LISTENED,
    /** Expiry moved by reads: every read touches, every update keeps the old expiry. */
    ACCESSED,
    /** Expiry set by every write. */
    MODIFIED,
    /** Write-through and read-through, with a listener: writes run on the loader pool, misses load. */
    WRITER_AND_LOADER
  }

  static Stream<Arguments> protocolsAndSetups() {
    return Stream.of(Protocol.values()).flatMap(p -> Stream.of(Setup.values()).map(s -> Arguments.of(p, s)));
  }

  /** A cache of {@code setup}, its events told to {@code events}, its writer and loader {@code system}. */
  private static Cache<String, String> cache(
      TestManagers managers, Protocol p, String name, String extra, Setup setup, Events events, SystemOfRecord system) {
    MutableConfiguration<String, String> config =
        new MutableConfiguration<String, String>().setTypes(String.class, String.class).setStatisticsEnabled(true);
    switch (setup) {
      case ACCESSED -> config.setExpiryPolicyFactory(AccessedExpiryPolicy.factoryOf(Duration.ONE_HOUR));
      case MODIFIED -> config.setExpiryPolicyFactory(ModifiedExpiryPolicy.factoryOf(Duration.ONE_HOUR));
      case WRITER_AND_LOADER -> config.setWriteThrough(true).setReadThrough(true)
          .setCacheWriterFactory(FactoryBuilder.factoryOf(system)).setCacheLoaderFactory(FactoryBuilder.factoryOf(system));
      default -> { }
    }
    Cache<String, String> c = managers.open(p, extra).createCache(name, config);
    if (setup == Setup.LISTENED || setup == Setup.WRITER_AND_LOADER) {
      c.registerCacheEntryListener(events.configuration());
    }
    return c;
  }

  @ParameterizedTest
  @MethodSource("protocolsAndSetups")
  void everyOperationAnswersAsTheBlockingCallDoes(Protocol p, Setup setup, TestManagers managers) throws Exception {
    Events blockingEvents = new Events();
    Events asyncEvents = new Events();
    SystemOfRecord blockingSystem = new SystemOfRecord();
    SystemOfRecord asyncSystem = new SystemOfRecord();
    Cache<String, String> blocking = cache(managers, p, "blocking", null, setup, blockingEvents, blockingSystem);
    AsyncCache<String, String> async =
        async(cache(managers, p, "async", "opTimeout=3001", setup, asyncEvents, asyncSystem));
    EntryProcessor<String, String, Integer> length = (e, args) -> e.exists() ? e.getValue().length() : -1;
    List<Object> expected = new ArrayList<>();
    List<Object> actual = new ArrayList<>();
    // The same script on both caches: each step's answer must match.
    expected.add(blocking.get("a"));
    actual.add(await(async.get("a")));
    blocking.put("a", "1");
    await(async.put("a", "1"));
    expected.add(blocking.get("a"));
    actual.add(await(async.get("a")));
    expected.add(blocking.containsKey("a"));
    actual.add(await(async.containsKey("a")));
    expected.add(blocking.putIfAbsent("a", "x"));
    actual.add(await(async.putIfAbsent("a", "x")));
    expected.add(blocking.putIfAbsent("b", "2"));
    actual.add(await(async.putIfAbsent("b", "2")));
    expected.add(blocking.getAndPut("a", "3"));
    actual.add(await(async.getAndPut("a", "3")));
    expected.add(blocking.replace("a", "wrong", "4"));
    actual.add(await(async.replace("a", "wrong", "4")));
    expected.add(blocking.replace("a", "3", "4"));
    actual.add(await(async.replace("a", "3", "4")));
    expected.add(blocking.replace("missing", "5"));
    actual.add(await(async.replace("missing", "5")));
    expected.add(blocking.replace("b", "5"));
    actual.add(await(async.replace("b", "5")));
    expected.add(blocking.invoke("a", length));
    actual.add(await(async.invoke("a", length)));
    Map<String, String> more = new LinkedHashMap<>();
    more.put("c", "6");
    more.put("d", "7");
    blocking.putAll(more);
    await(async.putAll(more));
    expected.add(blocking.getAll(Set.of("a", "b", "c", "d", "e")));
    actual.add(await(async.getAll(Set.of("a", "b", "c", "d", "e"))));
    expected.add(blocking.remove("c", "wrong"));
    actual.add(await(async.remove("c", "wrong")));
    expected.add(blocking.remove("c", "6"));
    actual.add(await(async.remove("c", "6")));
    expected.add(blocking.remove("d"));
    actual.add(await(async.remove("d")));
    expected.add(blocking.remove("d"));
    actual.add(await(async.remove("d")));
    expected.add(blocking.getAndRemove("b"));
    actual.add(await(async.getAndRemove("b")));
    expected.add(blocking.getAll(Set.of("a", "b", "c", "d")));
    actual.add(await(async.getAll(Set.of("a", "b", "c", "d"))));
    assertEquals(expected, actual);

    var blockingStats = blocking.unwrap(NewcacheCache.class).stats;
    var asyncStats = ((NewcacheCache<?, ?>) async.synchronous()).stats;
    assertEquals(blockingStats.getCacheHits(), asyncStats.getCacheHits(), "hits");
    assertEquals(blockingStats.getCacheMisses(), asyncStats.getCacheMisses(), "misses");
    assertEquals(blockingStats.getCachePuts(), asyncStats.getCachePuts(), "puts");
    assertEquals(blockingStats.getCacheRemovals(), asyncStats.getCacheRemovals(), "removals");
    assertEquals(byKey(blockingEvents.seen), byKey(asyncEvents.seen), "each key's events");
    assertEquals(blockingSystem.held, asyncSystem.held, "the writer's records");
    boolean listened = setup == Setup.LISTENED || setup == Setup.WRITER_AND_LOADER;
    assertEquals(listened, !blockingEvents.seen.isEmpty(), "events told: " + blockingEvents.seen);
    assertEquals(setup == Setup.WRITER_AND_LOADER, !blockingSystem.held.isEmpty(), "records written: " + blockingSystem.held);
  }

  /** Events grouped by key, each key's in the order told (a putAll's keys may be told in any order). */
  private static Map<String, List<String>> byKey(List<String> events) {
    Map<String, List<String>> out = new java.util.TreeMap<>();
    for (String e : events) {
      out.computeIfAbsent(e.split("[ =]")[1], k -> new ArrayList<>()).add(e);
    }
    return out;
  }

  /** A writer into a map: each write, writeAll, delete and deleteAll applied to {@link #records()}. */
  abstract static class MapWriter implements CacheWriter<String, String>, java.io.Serializable {
    private static final long serialVersionUID = 1L;

    abstract Map<String, String> records();

    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {
      records().put(entry.getKey(), entry.getValue());
    }

    @Override
    public void writeAll(java.util.Collection<Cache.Entry<? extends String, ? extends String>> entries) {
      for (var it = entries.iterator(); it.hasNext(); ) {
        write(it.next());
        it.remove();
      }
    }

    @Override
    public void delete(Object key) {
      records().remove(key);
    }

    @Override
    public void deleteAll(java.util.Collection<?> keys) {
      for (var it = keys.iterator(); it.hasNext(); ) {
        delete(it.next());
        it.remove();
      }
    }
  }

  /** One cache's system of record: its writer, and its loader, which loads "loaded:" + key. */
  static final class SystemOfRecord extends MapWriter implements CacheLoader<String, String> {
    private static final long serialVersionUID = 1L;
    final Map<String, String> held = new ConcurrentHashMap<>();

    @Override
    Map<String, String> records() {
      return held;
    }

    @Override
    public String load(String key) {
      return "loaded:" + key;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      Map<String, String> out = new LinkedHashMap<>();
      keys.forEach(k -> out.put(k, load(k)));
      return out;
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aLoadRunsOnceForManyCallersAndManagersWithoutBlocking(Protocol p, TestManagers managers) throws Exception {
    AtomicInteger loads = new AtomicInteger();
    ScheduledExecutorService later = Executors.newSingleThreadScheduledExecutor();
    try {
      Function<String, CompletableFuture<String>> slowLoad = k -> {
        loads.incrementAndGet();
        CompletableFuture<String> f = new CompletableFuture<>();
        later.schedule(() -> f.complete("loaded:" + k), 200, TimeUnit.MILLISECONDS);
        return f;
      };
      List<CompletableFuture<String>> all = new ArrayList<>();
      for (int m = 0; m < 2; m++) {
        AsyncCache<String, String> async =
            strings(managers, p, "flight", "opTimeout=" + (4000 + m)).unwrap(NewcacheCache.class).async();
        for (int i = 0; i < 8; i++) {
          all.add(async.get("hot", slowLoad));
        }
      }
      for (CompletableFuture<String> f : all) {
        assertEquals("loaded:hot", await(f));
      }
      assertEquals(1, loads.get(), "one load across 16 callers in two managers");
    } finally {
      later.shutdownNow();
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aLoaderThatNeverAnswersHoldsTheKeysOtherCallersTwiceTheLeaseTimeoutAtMost(Protocol p, TestManagers managers)
      throws Exception {
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setLeaseTimeoutMillis(300);
    AsyncCache<String, String> async = managers.open(p).createCache("stuck", config).unwrap(NewcacheCache.class).async();
    CompletableFuture<String> never = new CompletableFuture<>();
    CompletableFuture<String> stuck = async.get("hot", k -> never);
    AtomicInteger loads = new AtomicInteger();
    Function<String, CompletableFuture<String>> answers = k -> {
      loads.incrementAndGet();
      return CompletableFuture.completedFuture("loaded:" + k);
    };
    // Two callers join the stuck flight; past twice the lease timeout one of them loads, once.
    CompletableFuture<String> first = async.get("hot", answers);
    CompletableFuture<String> second = async.get("hot", answers);
    assertEquals("loaded:hot", await(first));
    assertEquals("loaded:hot", await(second));
    assertEquals(1, loads.get(), "the callers that gave up on the stuck flight loaded once");
    assertEquals("loaded:hot", await(async.get("hot", answers)), "a later caller reads what they stored");
    assertEquals(1, loads.get());
    assertFalse(stuck.isDone(), "the stuck loader's own caller still waits for its loader");
  }

  /**
   * A loader that throws an Error fails its caller's future with it and releases the key: the next
   * get loads at once. Its future stayed pending for ever, holding the key's flight in this JVM
   * (later callers waited twice the lease timeout) and its lease in the fleet until the lease's TTL.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aLoaderThrowingAnErrorFailsTheGetAndReleasesTheKey(Protocol p, TestManagers managers) throws Exception {
    loaderThatThrowsFailsTheGetAndReleasesTheKey(p, managers, "erring", new AssertionError("the loader's bug"));
  }

  /** So does a loader that throws a checked exception it does not declare (as a Kotlin loader may). */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aLoaderThrowingAnUndeclaredCheckedExceptionFailsTheGet(Protocol p, TestManagers managers) throws Exception {
    loaderThatThrowsFailsTheGetAndReleasesTheKey(p, managers, "sneaky", new java.io.IOException("undeclared"));
  }

  /** A get whose loader throws {@code thrown} fails with it, and the next get loads at once. */
  private static void loaderThatThrowsFailsTheGetAndReleasesTheKey(
      Protocol p, TestManagers managers, String cacheName, Throwable thrown) throws Exception {
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setLeaseTimeoutMillis(60_000);
    AsyncCache<String, String> async = managers.open(p).createCache(cacheName, config).unwrap(NewcacheCache.class).async();
    CompletableFuture<String> failed = async.get("k", k -> {
      throw io.github.newcache.testing.Undeclared.thrown(thrown);
    });
    ExecutionException e = assertThrows(ExecutionException.class, () -> failed.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() == thrown, String.valueOf(e.getCause()));
    assertEquals("loaded:k", await(async.get("k", k -> CompletableFuture.completedFuture("loaded:" + k))),
        "loaded at once, long before the 60 s lease timeout");
  }

  /**
   * A blocking call from an interrupted thread is not sent (spymemcached refuses to enqueue for it),
   * and says so: it said "the queue is full or the client is shut down".
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aBlockingCallOfAnInterruptedThreadSaysSo(Protocol p, TestManagers managers) {
    Cache<String, String> c = strings(managers, p, "interruptedBlocking", null);
    c.put("a", "1");
    Thread.currentThread().interrupt();
    try {
      javax.cache.CacheException e = assertThrows(javax.cache.CacheException.class, () -> c.get("a"));
      assertTrue(e.getMessage().contains("the calling thread is interrupted"), e.getMessage());
    } finally {
      assertTrue(Thread.interrupted(), "the caller's flag is still set");
    }
    assertEquals("1", c.get("a"));
  }

  /**
   * A non-blocking call does not depend on the caller's interrupt flag, and leaves it set: the
   * client refuses to enqueue for an interrupted thread, and every such call failed ("the queue is
   * full or the client is shut down").
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anInterruptedThreadsCallsAreSentAndKeepTheFlag(Protocol p, TestManagers managers) throws Exception {
    AsyncCache<String, String> async = strings(managers, p, "interrupted", null).unwrap(NewcacheCache.class).async();
    await(async.put("a", "1"));
    List<CompletableFuture<?>> calls = new ArrayList<>();
    Thread.currentThread().interrupt();
    try {
      calls.add(async.get("a"));
      calls.add(async.getAll(Set.of("a", "b")));
      calls.add(async.put("b", "2"));
      calls.add(async.containsKey("b"));
    } finally {
      assertTrue(Thread.interrupted(), "the caller's flag is still set");
    }
    List<Object> answers = new ArrayList<>();
    for (CompletableFuture<?> f : calls) {
      answers.add(await(f));
    }
    assertEquals(java.util.Arrays.asList("1", Map.of("a", "1"), null, true), answers);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void tenThousandOperationsInFlightAddNoThreads(Protocol p, TestManagers managers) throws Exception {
    AsyncCache<String, String> async = strings(managers, p, "many", null).unwrap(NewcacheCache.class).async();
    await(async.put("k", "v"));
    await(async.get("k")); // the client's threads are all started
    int before = Thread.activeCount();
    List<CompletableFuture<String>> inFlight = new ArrayList<>(10_000);
    int peak = before;
    for (int i = 0; i < 10_000; i++) {
      inFlight.add(async.get(i % 2 == 0 ? "k" : "absent" + i));
      if (i % 500 == 0) {
        peak = Math.max(peak, Thread.activeCount());
      }
    }
    peak = Math.max(peak, Thread.activeCount());
    for (int i = 0; i < inFlight.size(); i++) {
      assertEquals(i % 2 == 0 ? "v" : null, await(inFlight.get(i)));
    }
    assertTrue(peak - before <= 2, "threads before " + before + ", peak " + peak);
  }

  /**
   * A get's future may complete on the client's IO thread (small answers do); what the caller adds
   * to a pending future must still run on the callback threads (or, once done, in the caller's
   * thread), never on the IO thread, for every kind of stage (and those added to its {@code copy()}
   * and {@code minimalCompletionStage()}: before, those ran on the IO thread), for hits, misses,
   * multi-gets and values too large to complete inline.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void stagesAddedToPendingFuturesNeverRunOnTheClientsIoThread(Protocol p, TestManagers managers) throws Exception {
    AsyncCache<String, String> async = strings(managers, p, "stages", null).unwrap(NewcacheCache.class).async();
    String large = "x".repeat(40_000);
    await(async.put("k", "v"));
    await(async.put("large", large));
    Set<String> threads = ConcurrentHashMap.newKeySet();
    List<CompletableFuture<?>> stages = new ArrayList<>();
    int pending = 0;
    for (int i = 0; i < 400; i++) {
      String key = switch (i % 4) {
        case 0 -> "k";
        case 1 -> "absent" + i;
        case 2 -> "large";
        default -> "";
      };
      CompletableFuture<?> f = key.isEmpty() ? async.getAll(Set.of("k", "absent", "large")) : async.get(key);
      if (f.isDone()) {
        continue;
      }
      pending++;
      Runnable seen = () -> threads.add(Thread.currentThread().getName());
      switch (i % 7) {
        case 0 -> stages.add(f.thenApply(v -> { seen.run(); return v; }));
        case 1 -> stages.add(f.whenComplete((v, e) -> seen.run()));
        case 2 -> stages.add(f.thenCompose(v -> { seen.run(); return CompletableFuture.completedFuture(v); }));
        case 3 -> stages.add(f.handle((v, e) -> { seen.run(); return v; }));
        case 4 -> stages.add(f.thenCombine(CompletableFuture.completedFuture(1), (v, x) -> { seen.run(); return v; }));
        case 5 -> stages.add(f.copy().thenApply(v -> { seen.run(); return v; }));
        default -> stages.add(f.minimalCompletionStage().thenApply(v -> { seen.run(); return v; }).toCompletableFuture());
      }
    }
    for (CompletableFuture<?> s : stages) {
      await(s);
    }
    assertTrue(pending > 100, "only " + pending + " of 400 futures were pending when their stage was added");
    // a future that completed between isDone() and adding the stage runs it here, as CompletableFuture does
    String caller = Thread.currentThread().getName();
    assertTrue(threads.stream().allMatch(t -> t.startsWith("newcache-callback-") || t.equals(caller)), "stages ran on " + threads);
    assertEquals(large, await(async.get("large")));
  }

  /** Records the threads that deserialize it. */
  static final class Recorder implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static final Set<String> READ_ON = ConcurrentHashMap.newKeySet();

    private void readObject(java.io.ObjectInputStream in) throws java.io.IOException, ClassNotFoundException {
      in.defaultReadObject();
      READ_ON.add(Thread.currentThread().getName());
    }
  }

  /**
   * Small reads complete on the client's IO thread, but a value that needs Java deserialization
   * (which may be slow, or run an application's readObject) is decoded on a callback thread.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void javaSerializedValuesAreNeverDeserializedOnTheClientsIoThread(Protocol p, TestManagers managers) throws Exception {
    Cache<String, Object> c = managers.open(p, "deserializationAllow=io.github.newcache.*")
        .createCache("serialized", new MutableConfiguration<String, Object>().setTypes(String.class, Object.class));
    @SuppressWarnings("unchecked")
    AsyncCache<String, Object> async = c.unwrap(NewcacheCache.class).async();
    await(async.put("r", new Recorder()));
    Recorder.READ_ON.clear();
    for (int i = 0; i < 50; i++) {
      assertTrue(await(async.get("r")) instanceof Recorder);
      assertTrue(await(async.getAll(Set.of("r"))).get("r") instanceof Recorder);
    }
    assertFalse(Recorder.READ_ON.isEmpty(), "deserialized at all");
    assertTrue(Recorder.READ_ON.stream().noneMatch(t -> t.startsWith("Memcached IO")), "deserialized on " + Recorder.READ_ON);
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aFrozenServerFailsFuturesWithinTheOperationTimeout(Protocol p, TestManagers managers) throws Exception {
    try (LocalMemcached frozen = LocalMemcached.start()) {
      AsyncCache<String, String> async = asyncCacheWithV(managers, frozen, p, 300);
      await(async.put("k2", "v2"));
      frozen.pause();
      try {
        FailedGet failed = failedGet(async, 5);
        assertTrue(failed.message().contains("memcached get of ") && failed.message().contains(frozen.address())
            && failed.message().contains("timed out after 300 ms"), failed.message());
        assertTrue(failed.millis() < 300 + 1000, "failed after " + failed.millis() + " ms, within the 300 ms timeout plus scheduling");
        FailedGet multi = failed(() -> async.getAll(Set.of("k", "k2")), 5);
        assertTrue(multi.message().contains("memcached get (multi) of 2 keys") && multi.message().contains(frozen.address())
            && multi.message().contains("timed out after 300 ms"), multi.message());
        assertTrue(multi.millis() < 300 + 1000, "failed after " + multi.millis() + " ms, within the 300 ms timeout plus scheduling");
      } finally {
        frozen.resume();
      }
      assertEquals("v", await(async.get("k")), "the same client reads again once the server answers");
      assertEquals(Map.of("k", "v", "k2", "v2"), await(async.getAll(Set.of("k", "k2", "absent"))));
    }
  }

  /**
   * Writes that read first (a CREATED listener) hold their values outside the queues while a server
   * is frozen: past opQueueBytes of them the next is refused with the queue's error, after
   * opQueueWait; every charge is given back however the write ends (refused, timed out, behind the
   * key's earlier writes, its caller's future cancelled), so once the server answers again three
   * writes that fill the budget together are all accepted.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void writesHeldForAFrozenServerAreBoundedInBytesAndReleasedHoweverTheyEnd(Protocol p, TestManagers managers) throws Exception {
    try (LocalMemcached frozen = LocalMemcached.start()) {
      MutableConfiguration<String, String> config = new MutableConfiguration<String, String>().setTypes(String.class, String.class);
      config.addCacheEntryListenerConfiguration(
          new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(new Created()), null, false, false));
      AsyncCache<String, String> async = async(managers.open(java.net.URI.create("memcached://" + frozen.address()
              + "/?binary=" + p.binary() + "&opTimeout=300&stallTimeouts=0&opQueueBytes=65536&opQueueWait=20"))
          .createCache("held", config));
      String big = "x".repeat(10_000); // each put is charged about 21 KB: three fit in 64 KB
      await(async.put("warm", big));
      List<CompletableFuture<Void>> calls = new ArrayList<>();
      List<String> refused = new ArrayList<>();
      frozen.pause();
      try {
        for (int i = 0; i < 10; i++) {
          calls.add(async.put("k" + i, big));
          calls.add(async.put("hot", big));
        }
        calls.get(1).cancel(false);
        for (CompletableFuture<Void> f : calls) {
          try {
            f.get(10, TimeUnit.SECONDS);
          } catch (ExecutionException e) {
            String message = e.getCause().getMessage();
            if (message.contains("opQueueBytes")) {
              refused.add(message);
            } else {
              assertTrue(message.contains("timed out") || message.contains("leaseTimeout"), message);
            }
          } catch (java.util.concurrent.CancellationException cancelled) {
            // its write goes on, and ends on its own
          }
        }
      } finally {
        frozen.resume();
      }
      assertFalse(refused.isEmpty(), "the writes past 64 KB were refused");
      for (String message : refused) {
        assertTrue(message.contains("refused") && message.contains(frozen.address()) && message.contains("opQueueWait"), message);
      }
      for (int round = 0; round < 3; round++) {
        List<CompletableFuture<Void>> burst = List.of(async.put("a" + round, big), async.put("b" + round, big), async.put("hot", big));
        for (CompletableFuture<Void> f : burst) {
          await(f);
        }
      }
      assertEquals(big, await(async.get("hot")));
    }
  }

  /**
   * Writes through a writer and invokes run as blocking calls on the loader pool, holding their
   * values meanwhile: each is charged for them (a putAll through a writer for all of its values at
   * once), and released when done. Before, each was charged 400 bytes and its key (a putAll
   * nothing), so none of these was refused behind a frozen server however large its value.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void writesOnTheLoaderPoolAreChargedForTheirValuesAndReleased(Protocol p, TestManagers managers) throws Exception {
    try (LocalMemcached frozen = LocalMemcached.start()) {
      MutableConfiguration<String, String> config = new MutableConfiguration<String, String>().setTypes(String.class, String.class)
          .setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(new Records()));
      AsyncCache<String, String> async = async(managers.open(java.net.URI.create("memcached://" + frozen.address()
              + "/?binary=" + p.binary() + "&opTimeout=1000&stallTimeouts=0&opQueueBytes=65536&opQueueWait=20"))
          .createCache("pooled", config));
      String big = "x".repeat(20_000); // each write is charged about 40 KB: one fits in 64 KB, not two
      EntryProcessor<String, String, Void> storeArgument = (entry, args) -> {
        entry.setValue((String) args[0]);
        return null;
      };
      List<Supplier<CompletableFuture<?>>> writes = List.of(
          () -> async.put("b", big),
          () -> async.putAll(Map.of("c", "small", "d", big)),
          () -> async.replace("b", big),
          () -> async.getAndPut("e", big),
          () -> async.invoke("f", storeArgument, big));
      await(async.put("warm", big));
      frozen.pause();
      try {
        // holds its charge until the frozen server times it out; the writes below use other keys (its lease,
        // taken by the server when it resumes, is given back once it answers: see the test after this one)
        CompletableFuture<Void> first = async.put("a", big);
        for (Supplier<CompletableFuture<?>> write : writes) {
          ExecutionException refused = assertThrows(ExecutionException.class, () -> write.get().get(10, TimeUnit.SECONDS));
          String message = refused.getCause().getMessage();
          assertTrue(message.contains("refused") && message.contains(frozen.address()) && message.contains("opQueueBytes"), message);
        }
        ExecutionException timedOut = assertThrows(ExecutionException.class, () -> first.get(10, TimeUnit.SECONDS));
        assertTrue(timedOut.getCause() instanceof CacheException, String.valueOf(timedOut.getCause()));
      } finally {
        frozen.resume();
      }
      for (Supplier<CompletableFuture<?>> write : writes) { // every charge released: each fits again
        await(write.get());
      }
      assertEquals(big, await(async.get("f")));
      assertEquals(big, Records.SYSTEM.get("d"));
    }
  }

  /**
   * A write through a writer times out against a frozen server while it asks for its key's lease
   * (the fleet hold of write-through): the server takes the lease when it resumes, and nobody gave
   * it back, so the next write of the key waited for it for the whole lease timeout (4 s here).
   * Now the lease is given back once the server answers again, and the next write goes on at once.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aWriteThroughThatTimesOutOnAFrozenServerDoesNotLeaveItsKeysLeaseHeld(Protocol p, TestManagers managers) throws Exception {
    try (LocalMemcached frozen = LocalMemcached.start()) {
      NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
      config.setTypes(String.class, String.class);
      config.setWriteThrough(true);
      config.setCacheWriterFactory(FactoryBuilder.factoryOf(new Records()));
      config.setLeaseTimeoutMillis(4_000);
      Cache<String, String> c = managers.open(java.net.URI.create("memcached://" + frozen.address()
              + "/?binary=" + p.binary() + "&opTimeout=500&stallTimeouts=0"))
          .createCache("leased", config);
      AsyncCache<String, String> async = async(c);
      await(async.put("warm", "v"));
      frozen.pause();
      try {
        ExecutionException timedOut = assertThrows(ExecutionException.class, () -> async.put("a", "1").get(10, TimeUnit.SECONDS));
        assertTrue(timedOut.getCause() instanceof CacheException, String.valueOf(timedOut.getCause()));
      } finally {
        frozen.resume();
      }
      long start = System.nanoTime();
      await(async.put("a", "2"));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(millis < 2_500, "the next write of the key waited " + millis + " ms for its lease");
      assertEquals("2", c.get("a"));
      assertEquals("2", Records.SYSTEM.get("a"));
    }
  }

  static Stream<Arguments> protocolsAndPolicies() {
    return Stream.of(Protocol.values()).flatMap(p -> Stream.of(FailurePolicy.values()).map(f -> Arguments.of(p, f)));
  }

  /**
   * The store step of {@code get(key, loader)} holds the loaded value and its encoded copy until
   * memcached answers: it is charged to the server's pending writes as any write is. When that
   * budget is full it is refused at once, and the get still answers the loaded value, unstored,
   * under either failure policy (the store is a side effect of a read). Before, the store was not
   * charged at all: it went on past the full budget.
   */
  @ParameterizedTest
  @MethodSource("protocolsAndPolicies")
  void aLoadedValueWhoseStoreTheFullBudgetRefusesIsStillTheAnswer(Protocol p, FailurePolicy policy, TestManagers managers)
      throws Exception {
    javax.cache.CacheManager m = managers.open(p, "opQueueBytes=65536&opQueueWait=20");
    Cache<String, String> held = m.createCache("heldByWriter", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(new Stuck())));
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
    config.setTypes(String.class, String.class);
    config.setFailurePolicy(policy);
    Cache<String, String> loaded = m.createCache("loadedUnstored", config);
    AtomicInteger loads = new AtomicInteger();
    String padding = "y".repeat(20_000); // a store is charged about 40 KB: one fits in 64 KB, not two
    Function<String, CompletableFuture<String>> loader = k -> {
      loads.incrementAndGet();
      return CompletableFuture.completedFuture("loaded:" + k + padding);
    };
    Stuck.RELEASE.set(new java.util.concurrent.CountDownLatch(1));
    CompletableFuture<Void> holding;
    try {
      holding = async(held).put("big", "x".repeat(40_000)); // charged about 80 KB until its writer returns: the budget is full
      assertEquals("loaded:k" + padding, await(async(loaded).get("k", loader)), "the loaded value, though its store was refused");
      assertFalse(loaded.containsKey("k"), "the store was refused: nothing stored");
      assertEquals("loaded:k" + padding, await(async(loaded).get("k", loader)), "loaded again");
      assertEquals(2, loads.get());
    } finally {
      Stuck.RELEASE.get().countDown();
    }
    await(holding);
    for (String k : List.of("k2", "k3", "k4")) { // each store's charge released once it is done: the next one fits
      assertEquals("loaded:" + k + padding, await(async(loaded).get(k, loader)));
      assertTrue(loaded.containsKey(k), "with the budget free, the loaded value of " + k + " is stored");
    }
    assertEquals("loaded:k2" + padding, await(async(loaded).get("k2", loader)));
    assertEquals(5, loads.get(), "a stored value is read, not loaded again");
  }

  /**
   * A conditional remove or replace holds the value it expects until it is done, as a put holds its
   * value: it is charged to the server's budget of pending writes for it, with a writer and without.
   * With a 20 KB write held (a writer that does not return), one expecting a 60 KB value is refused
   * by the 64 KB budget. Before, the expected value was not counted, and each was accepted; once
   * the held write is done, each is accepted and released again.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void theExpectedValueOfAConditionalWriteIsCharged(Protocol p, TestManagers managers) throws Exception {
    javax.cache.CacheManager m = managers.open(p, "opQueueBytes=65536&opQueueWait=20");
    Cache<String, String> held = m.createCache("heldForExpected", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(new Stuck())));
    AsyncCache<String, String> plain =
        async(m.createCache("conditional", new MutableConfiguration<String, String>().setTypes(String.class, String.class)));
    AsyncCache<String, String> through = async(m.createCache("conditionalThrough", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(new Records()))));
    String expected = "e".repeat(30_000); // weighed 60 KB
    List<Supplier<CompletableFuture<Boolean>>> conditionals = List.of(
        () -> plain.remove("k", expected),
        () -> plain.replace("k", expected, "new"),
        () -> through.remove("k", expected),
        () -> through.replace("k", expected, "new"));
    Stuck.RELEASE.set(new java.util.concurrent.CountDownLatch(1));
    CompletableFuture<Void> holding;
    try {
      holding = async(held).put("big", "x".repeat(10_000)); // charged about 20 KB until its writer returns
      for (Supplier<CompletableFuture<Boolean>> conditional : conditionals) {
        ExecutionException refused = assertThrows(ExecutionException.class, () -> conditional.get().get(10, TimeUnit.SECONDS));
        String message = refused.getCause().getMessage();
        assertTrue(message.contains("refused") && message.contains("opQueueBytes"), message);
      }
    } finally {
      Stuck.RELEASE.get().countDown();
    }
    await(holding);
    for (Supplier<CompletableFuture<Boolean>> conditional : conditionals) { // alone, each fits, and is released
      assertFalse(await(conditional.get()), "no entry held the expected value");
    }
  }

  /** A writer that returns once the test lets it ({@link #RELEASE}): it holds its write's charge meanwhile. */
  public static final class Stuck extends MapWriter {
    private static final long serialVersionUID = 1L;
    static final java.util.concurrent.atomic.AtomicReference<java.util.concurrent.CountDownLatch> RELEASE =
        new java.util.concurrent.atomic.AtomicReference<>();

    @Override
    Map<String, String> records() {
      return new ConcurrentHashMap<>();
    }

    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {
      io.github.newcache.testing.Threads.awaitReleased(RELEASE.get());
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aGetOfAServerThatIsGoneFailsAtOnceAndSaysWhy(Protocol p, TestManagers managers) throws Exception {
    try (LocalMemcached doomed = LocalMemcached.start()) {
      AsyncCache<String, String> async = asyncCacheWithV(managers, doomed, p, 5000);
      doomed.kill();
      FailedGet failed = failedGet(async, 4);
      assertTrue(failed.message().contains("memcached get of ") && failed.message().contains("failed at once")
          && failed.message().contains(doomed.address()), failed.message());
      assertTrue(failed.millis() < 4000, "failed after " + failed.millis() + " ms, before the 5 s operation timeout");
      FailedGet multi = failed(() -> async.getAll(Set.of("k", "k2")), 4);
      assertTrue(multi.message().contains("memcached get (multi) of 2 keys") && multi.message().contains("failed at once")
          && multi.message().contains(doomed.address()), multi.message());
      assertTrue(multi.millis() < 4000, "failed after " + multi.millis() + " ms, before the 5 s operation timeout");
    }
  }

  /**
   * Closing the manager fails what is still in flight, saying so, rather than leaving its futures
   * pending for ever: a caller waiting in {@code join()} for a frozen server's answer must not hang
   * past the close (spymemcached's shutdown closes the connections without completing what waits).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void closingTheManagerFailsWhatIsInFlight(Protocol p, TestManagers managers) throws Exception {
    try (LocalMemcached frozen = LocalMemcached.start()) {
      Cache<String, String> c =
          managers.open(java.net.URI.create("memcached://" + frozen.address() + "/?binary=" + p.binary() + "&opTimeout=60000"))
              .createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
      @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache, typed <String, String>
      AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
      await(async.put("k", "v"));
      frozen.pause();
      try {
        List<CompletableFuture<?>> inFlight = List.of(
            async.get("k"), async.getAll(Set.of("k", "k2")), async.put("k", "w"), async.containsKey("k"));
        assertTrue(inFlight.stream().noneMatch(CompletableFuture::isDone), "pending: the server is stopped");
        long t0 = System.nanoTime();
        c.getCacheManager().close();
        for (CompletableFuture<?> f : inFlight) {
          ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
          assertTrue(e.getCause() instanceof CacheException && e.getCause().getMessage().contains("closed"),
              String.valueOf(e.getCause()));
        }
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0) < 5000, "failed at the close, long before the 60 s timeout");
      } finally {
        frozen.resume();
      }
    }
  }

  /**
   * A future that completes after the manager closed (its loader answered late) completes the
   * stages added to it before: the callback threads are gone, and the stage fails rather than
   * waiting for ever.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void stagesOfAFutureCompletedAfterTheCloseStillComplete(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = strings(managers, p, "late", "opTimeout=3002");
    @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache, typed <String, String>
    AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
    CompletableFuture<String> late = new CompletableFuture<>();
    CompletableFuture<String> read = async.get("k", k -> late);
    CompletableFuture<Integer> stage = read.thenApply(String::length);
    CompletableFuture<String> handled = read.handle((v, e) -> e == null ? v : "failed");
    c.getCacheManager().close();
    late.complete("value");
    assertThrows(ExecutionException.class, () -> stage.get(10, TimeUnit.SECONDS));
    assertEquals("failed", handled.get(10, TimeUnit.SECONDS));
  }

  /**
   * A putAll whose map holds a value that cannot be stored (too large for memcached's items) fails
   * with nothing written and no event, as the blocking putAll: it used to encode and send entry by
   * entry, so the entries before the bad one were stored.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aPutAllWithAValueTooLargeWritesNothing(Protocol p, TestManagers managers) throws Exception {
    Events events = new Events();
    Cache<String, String> listened = strings(managers, p, "listened", null);
    listened.registerCacheEntryListener(events.configuration());
    Cache<String, String> plain = strings(managers, p, "plain", null);
    Map<String, String> map = new LinkedHashMap<>();
    map.put("a", "small");
    map.put("b", "x".repeat(2 << 20));
    for (Cache<String, String> c : List.of(listened, plain)) {
      ExecutionException failed = assertThrows(ExecutionException.class, () -> await(async(c).putAll(map)));
      assertTrue(failed.getCause() instanceof IllegalArgumentException
          && failed.getCause().getMessage().contains("maxItemSize"), String.valueOf(failed.getCause()));
    }
    // The plain cache's set of a (a blind one) would be on the connection before this get.
    assertFalse(await(async(plain).containsKey("a")), "nothing of the failed putAll is stored");
    assertFalse(await(async(listened).containsKey("a")));
    assertEquals(List.of(), events.seen);
  }

  /** A putAll's time counts once per call, as the blocking putAll's (it counted once per entry). */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aPutAllCountsItsTimeOnce(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = strings(managers, p, "timed", null);
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < 200; i++) {
      map.put("k" + i, "v" + i);
    }
    long t0 = System.nanoTime();
    await(async(c).putAll(map));
    double micros = (System.nanoTime() - t0) / 1000.0;
    var stats = c.unwrap(NewcacheCache.class).stats;
    assertEquals(200, stats.getCachePuts());
    // Once per call: the time counted lies within the call's, so the sum of the puts' times does.
    assertTrue(stats.getAveragePutTime() * 200.0 <= micros + 1, stats.getAveragePutTime() * 200.0 + " µs counted in a call of " + micros + " µs");
  }

  /**
   * A put that must read first (a CREATED listener) and a remove called right after it, not waited
   * for, leave the key absent, as the blocking calls do. The put's gets went first, the remove's
   * blind delete right behind it, and the put's add landed after the delete: the remove found
   * nothing and the value stayed.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aRemoveCalledRightAfterAPutTakesEffectAfterIt(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c = strings(managers, p, "ordered", null);
    c.registerCacheEntryListener(new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(Created.class), null, false, true));
    AsyncCache<String, String> async = async(c);
    List<CompletableFuture<?>> puts = new ArrayList<>();
    List<CompletableFuture<Boolean>> removes = new ArrayList<>();
    Set<String> keys = new java.util.HashSet<>();
    for (int i = 0; i < 20; i++) {
      keys.add("k" + i);
      puts.add(async.put("k" + i, "v"));
      removes.add(async.remove("k" + i));
    }
    for (int i = 0; i < 20; i++) {
      await(puts.get(i));
      assertTrue(await(removes.get(i)), "the remove of k" + i + " found the put's value");
    }
    assertEquals(Map.of(), await(async.getAll(keys)));
    assertEquals(0, ((AsyncView<?, ?>) async).order.keysInFlight(), "no key is held once its writes are done");
  }

  /**
   * Blind writes (a plain cache's sets and deletes, one command each) of a hot key go out without
   * waiting for each other: the key's connection keeps them in order, so they take no turn. Mixed
   * with a write that must read first (a putIfAbsent), the order still holds.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void blindWritesOfAKeyTakeNoTurnAndStayInOrder(Protocol p, TestManagers managers) throws Exception {
    AsyncCache<String, String> async = async(strings(managers, p, "blind", null));
    AsyncView<?, ?> view = (AsyncView<?, ?>) async;
    List<CompletableFuture<?>> writes = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      writes.add(async.put("hot", "v" + i));
      writes.add(async.remove("hot"));
      assertEquals(0, view.order.keysInFlight(), "a blind write took a turn");
    }
    writes.add(async.put("hot", "last"));
    for (CompletableFuture<?> w : writes) {
      await(w);
    }
    assertEquals("last", await(async.get("hot")));
    // A blind write after one that reads first waits for it, then goes.
    CompletableFuture<Boolean> added = async.putIfAbsent("other", "first");
    CompletableFuture<Boolean> removed = async.remove("other");
    CompletableFuture<Void> put = async.put("other", "second");
    assertTrue(await(added));
    assertTrue(await(removed), "the remove waited for the putIfAbsent");
    await(put);
    assertEquals("second", await(async.get("other")));
    assertEquals(0, view.order.keysInFlight());
  }

  /**
   * Two puts of a key called back to back leave the second's value, on a cache whose puts read
   * first (their two add or cas steps went from two callback threads) and through a writer (both
   * ran on loader-pool threads in no fixed order).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void twoPutsOfAKeyLeaveTheSecondsValue(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> computed = strings(managers, p, "computed", null);
    computed.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(Created.class), null, false, true));
    Records.SYSTEM.clear();
    Cache<String, String> written = managers.open(p).createCache("written", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class)));
    for (Cache<String, String> c : List.of(computed, written)) {
      AsyncCache<String, String> async = async(c);
      List<CompletableFuture<?>> calls = new ArrayList<>();
      Map<String, String> expected = new LinkedHashMap<>();
      for (int i = 0; i < 200; i++) {
        calls.add(async.put("k" + i, "a"));
        calls.add(async.put("k" + i, "b"));
        expected.put("k" + i, "b");
      }
      for (CompletableFuture<?> f : calls) {
        await(f);
      }
      assertEquals(expected, await(async.getAll(expected.keySet())), c.getName());
    }
    assertEquals(200, Records.SYSTEM.size());
    assertTrue(Records.SYSTEM.values().stream().allMatch("b"::equals), "the writer was told b last for every key");
  }

  /** A write-through putAll (one call of the writer's batch method) takes its turn on every key it writes. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aWriteThroughPutAllTakesItsTurnOnEachOfItsKeys(Protocol p, TestManagers managers) throws Exception {
    Records.SYSTEM.clear();
    AsyncCache<String, String> async = async(managers.open(p).createCache("written", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(Records.class))));
    // Each key written in turn by putAlls of it and its neighbours, and a put.
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (int round = 0; round < 10; round++) {
      for (int i = 0; i < 20; i++) {
        calls.add(async.putAll(Map.of("k" + i, "putAll" + round, "k" + (i + 1) % 20, "putAll" + round)));
        calls.add(async.put("k" + i, "put" + round));
      }
    }
    Map<String, String> expected = new LinkedHashMap<>();
    for (int i = 0; i < 20; i++) {
      expected.put("k" + i, i == 0 ? "putAll9" : "put9"); // k0's last write: the putAll of k19 and k0
    }
    for (CompletableFuture<?> f : calls) {
      await(f);
    }
    assertEquals(expected, await(async.getAll(expected.keySet())));
    assertEquals(new java.util.TreeMap<>(expected), new java.util.TreeMap<>(Records.SYSTEM), "the writer was told the same, last");
    assertEquals(0, ((AsyncView<?, ?>) async).order.keysInFlight());
  }

  /** The listeners of one key's writes hear of them in the order the writes were called. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void theEventsOfAKeysWritesComeInTheOrderCalled(Protocol p, TestManagers managers) throws Exception {
    Events events = new Events();
    Cache<String, String> c = strings(managers, p, "events", null);
    c.registerCacheEntryListener(events.configuration());
    AsyncCache<String, String> async = async(c);
    List<CompletableFuture<?>> calls = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      calls.add(async.put("k" + i, "a"));
      calls.add(async.getAndPut("k" + i, "b"));
      calls.add(async.replace("k" + i, "b", "c"));
      calls.add(async.remove("k" + i));
    }
    for (CompletableFuture<?> f : calls) {
      await(f);
    }
    Map<String, List<String>> byKey = new LinkedHashMap<>();
    for (String e : events.seen) {
      byKey.computeIfAbsent(e.split("[ =]")[1], k -> new ArrayList<>()).add(e);
    }
    assertEquals(100, byKey.size(), "every key's events arrived");
    for (Map.Entry<String, List<String>> e : byKey.entrySet()) {
      String k = e.getKey();
      assertEquals(List.of("CREATED " + k + "=a", "UPDATED " + k + "=b old=a", "UPDATED " + k + "=c old=b", "REMOVED " + k + "=c old=c"),
          e.getValue());
    }
  }

  /** A listener of CREATED events only: puts read first (a compute), removals stay blind deletes. */
  public static final class Created implements CacheEntryCreatedListener<String, String>, java.io.Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}
  }

  /** A system of record. */
  public static final class Records extends MapWriter {
    private static final long serialVersionUID = 1L;
    static final Map<String, String> SYSTEM = new ConcurrentHashMap<>();

    @Override
    Map<String, String> records() {
      return SYSTEM;
    }
  }

  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache, typed <String, String>
  private static AsyncCache<String, String> async(Cache<String, String> c) {
    return c.unwrap(NewcacheCache.class).async();
  }

  /** A synchronous listener of every event of its cache, recorded as text in order of delivery. */
  static final class Events
      implements CacheEntryCreatedListener<String, String>, CacheEntryUpdatedListener<String, String>,
          CacheEntryRemovedListener<String, String>, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final List<String> seen = new CopyOnWriteArrayList<>();

    /** This listener's registration: synchronous, with old values. */
    MutableCacheEntryListenerConfiguration<String, String> configuration() {
      return new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(this), null, true, true);
    }

    private void record(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      for (CacheEntryEvent<? extends String, ? extends String> e : events) {
        seen.add(e.getEventType() + " " + e.getKey() + "=" + e.getValue()
            + (e.isOldValueAvailable() ? " old=" + e.getOldValue() : ""));
      }
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      record(events);
    }

    @Override
    public void onUpdated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      record(events);
    }

    @Override
    public void onRemoved(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      record(events);
    }
  }

  /** The async view of a cache on its own manager for {@code server}, holding k = v. */
  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is this cache, typed <String, String>
  private static AsyncCache<String, String> asyncCacheWithV(
      TestManagers managers, LocalMemcached server, Protocol p, int opTimeoutMillis) throws Exception {
    Cache<String, String> c =
        managers.open(java.net.URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&opTimeout=" + opTimeoutMillis))
            .createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    AsyncCache<String, String> async = c.unwrap(NewcacheCache.class).async();
    await(async.put("k", "v"));
    return async;
  }

  /** How a get of k failed: the CacheException's message, and how long after the call. */
  private record FailedGet(String message, long millis) {}

  /** Gets k, expecting its future to fail with a CacheException within {@code seconds}. */
  private static FailedGet failedGet(AsyncCache<String, String> async, int seconds) {
    return failed(() -> async.get("k"), seconds);
  }

  /** Calls {@code read}, expecting its future to fail with a CacheException within {@code seconds}. */
  private static FailedGet failed(Supplier<? extends Future<?>> read, int seconds) {
    long t0 = System.nanoTime();
    ExecutionException e = assertThrows(ExecutionException.class, () -> read.get().get(seconds, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof CacheException, String.valueOf(e.getCause()));
    return new FailedGet(e.getCause().getMessage(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
  }
}
