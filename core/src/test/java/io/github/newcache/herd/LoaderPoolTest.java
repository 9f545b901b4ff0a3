package io.github.newcache.herd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.Undeclared;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.Cache;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CacheLoaderException;
import javax.cache.integration.CacheWriter;
import javax.cache.integration.CacheWriterException;
import javax.cache.integration.CompletionListenerFuture;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import io.github.newcache.NewcacheCache;
import io.github.newcache.AsyncCache;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import static org.junit.jupiter.api.Assertions.assertThrows;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The manager's loader pool runs loads side by side, not one at a time. */
@ExtendWith(MemcachedExtension.class)
class LoaderPoolTest {

  /** Each loadAll waits until four of them run at once (bounded), then loads. */
  public static final class Meeting implements CacheLoader<String, String> {
    static volatile CountDownLatch together;
    static final AtomicInteger MET = new AtomicInteger();

    @Override
    public String load(String key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      together.countDown();
      try {
        if (together.await(10, TimeUnit.SECONDS)) {
          MET.incrementAndGet();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Map<String, String> out = new HashMap<>();
      keys.forEach(k -> out.put(k, "loaded:" + k));
      return out;
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void fourLoadAllCallsRunAtOnce(Protocol p, TestManagers managers) throws Exception {
    Meeting.together = new CountDownLatch(4);
    Meeting.MET.set(0);
    Cache<String, String> c =
        managers.open(p).createCache("pool", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class)
            .setCacheLoaderFactory(FactoryBuilder.factoryOf(Meeting.class)));
    List<CompletionListenerFuture> done = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      CompletionListenerFuture f = new CompletionListenerFuture();
      c.loadAll(Set.of("k" + i), false, f);
      done.add(f);
    }
    for (CompletionListenerFuture f : done) {
      f.get(30, TimeUnit.SECONDS);
    }
    assertEquals(4, Meeting.MET.get(), "all four loads ran at the same time");
    for (int i = 0; i < 4; i++) {
      assertEquals("loaded:k" + i, c.get("k" + i));
    }
    assertTrue(Meeting.together.getCount() == 0);
  }

  /** A loader with a bug: it throws an Error. */
  public static final class Erring implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      throw new AssertionError("the loader's bug");
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw new AssertionError("the loader's bug");
    }
  }

  /** A loader that throws a checked exception it does not declare (as a Kotlin loader may). */
  public static final class Sneaky implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      throw Undeclared.thrown(new java.io.IOException("the loader's undeclared failure"));
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      throw Undeclared.thrown(new java.io.IOException("the loader's undeclared failure"));
    }
  }

  /** So does one whose loader throws a checked exception it does not declare. */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aLoadAllWhoseLoaderThrowsAnUndeclaredCheckedExceptionTellsItsListener(Protocol p, TestManagers managers)
      throws Exception {
    Cache<String, String> c =
        managers.open(p).createCache("sneaky", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class)
            .setCacheLoaderFactory(FactoryBuilder.factoryOf(Sneaky.class)));
    CompletionListenerFuture f = new CompletionListenerFuture();
    c.loadAll(Set.of("a", "b"), true, f);
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof CacheLoaderException && e.getCause().getCause() instanceof java.io.IOException,
        String.valueOf(e.getCause()));
  }

  /** A loadAll whose loader throws an Error tells its listener so (it never heard back). */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aLoadAllWhoseLoaderThrowsAnErrorTellsItsListener(Protocol p, TestManagers managers) throws Exception {
    Cache<String, String> c =
        managers.open(p).createCache("erring", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class)
            .setCacheLoaderFactory(FactoryBuilder.factoryOf(Erring.class)));
    CompletionListenerFuture f = new CompletionListenerFuture();
    c.loadAll(Set.of("a", "b"), true, f);
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof CacheLoaderException && e.getCause().getCause() instanceof AssertionError,
        String.valueOf(e.getCause()));
  }

  /** A writer that holds every write until {@link #release} opens, or its thread is interrupted. */
  public static final class Holding implements CacheWriter<String, String> {
    static volatile CountDownLatch entered;
    static volatile CountDownLatch release;

    @Override
    public void write(javax.cache.Cache.Entry<? extends String, ? extends String> entry) {
      entered.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CacheWriterException("interrupted while held", e);
      }
    }

    @Override
    public void writeAll(java.util.Collection<javax.cache.Cache.Entry<? extends String, ? extends String>> entries) {
      entries.forEach(this::write);
      entries.clear();
    }

    @Override
    public void delete(Object key) {}

    @Override
    public void deleteAll(java.util.Collection<?> keys) {
      keys.clear();
    }
  }

  /** Loads every key as "loaded:" + key. */
  public static final class Loading implements CacheLoader<String, String> {
    @Override
    public String load(String key) {
      return "loaded:" + key;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      Map<String, String> out = new HashMap<>();
      keys.forEach(k -> out.put(k, load(k)));
      return out;
    }
  }

  /** Listens to creations and does nothing: a listener sends an async put's end to the pool. */
  public static final class Created implements CacheEntryCreatedListener<String, String> {
    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}
  }

  /** A cache whose writer, {@link Holding}, holds each pool thread that writes through it until released. */
  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is that cache, typed <String, String>
  private static AsyncCache<String, String> heldWrites(CacheManager manager) {
    return manager.createCache("held", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class)
            .setWriteThrough(true)
            .setCacheWriterFactory(FactoryBuilder.factoryOf(Holding.class)))
        .unwrap(NewcacheCache.class).async();
  }

  /** Counts creations, and the threads they were heard on. */
  public static final class Counted implements CacheEntryCreatedListener<String, String> {
    static final AtomicInteger CREATED = new AtomicInteger();
    static final Set<String> THREADS = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {
      events.forEach(e -> CREATED.incrementAndGet());
      THREADS.add(Thread.currentThread().getName().replaceAll("-[0-9]+$", ""));
    }
  }

  /**
   * A non-blocking write with listeners, applied while the loader pool's queue is full: its listener
   * step waits for a pool thread beyond the queue's bound instead of being refused. Before, the
   * caller was told the write failed, though memcached held it, and its listeners never heard of
   * it. New work is still refused while the queue is full.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is that cache, typed <String, String>
  void aListenedWriteAppliedWhileThePoolIsFullIsHeard(Protocol p, TestManagers managers) throws Exception {
    Holding.entered = new CountDownLatch(4);
    Holding.release = new CountDownLatch(1);
    Counted.CREATED.set(0);
    Counted.THREADS.clear();
    CacheManager manager = managers.open(p);
    AsyncCache<String, String> held = heldWrites(manager);
    Cache<String, String> listened = manager.createCache("listened", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<>(
            FactoryBuilder.factoryOf(Counted.class), null, false, true)));
    AsyncCache<String, String> async = listened.unwrap(NewcacheCache.class).async();
    List<CompletableFuture<Void>> queued = new ArrayList<>();
    CompletableFuture<Void> put;
    CompletableFuture<Boolean> putIfAbsent;
    try {
      for (int i = 0; i < 4; i++) {
        queued.add(held.put("k" + i, "v"));
      }
      assertTrue(Holding.entered.await(10, TimeUnit.SECONDS), "four writes hold the pool's four threads");
      for (int i = 4; i < 4 + 10_000; i++) {
        queued.add(held.put("k" + i, "v")); // the pool's whole queue
      }
      CompletableFuture<Void> full = held.put("one-too-many", "v");
      ExecutionException e = assertThrows(ExecutionException.class, () -> full.get(5, TimeUnit.SECONDS));
      assertTrue(e.getCause() instanceof CacheException && e.getCause().getMessage().contains("full"),
          "new work is still refused: " + e.getCause());
      put = async.put("l", "v");
      putIfAbsent = async.putIfAbsent("m", "v");
    } finally {
      Holding.release.countDown();
    }
    for (CompletableFuture<Void> f : queued) {
      f.get(60, TimeUnit.SECONDS);
    }
    put.get(10, TimeUnit.SECONDS);
    assertTrue(putIfAbsent.get(10, TimeUnit.SECONDS));
    assertEquals("v", listened.get("l"));
    assertEquals(2, Counted.CREATED.get(), "both creations heard");
    assertEquals(Set.of("newcache-loader"), Counted.THREADS, "on the pool's threads");
  }

  /**
   * Work queued on the loader pool when the manager closes is failed, not dropped: before, an
   * async put through a writer, an async put's listener step and a loadAll waiting behind four
   * held writers stayed pending for ever after the close.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is that cache, typed <String, String>
  void closingTheManagerFailsWhatWaitsForThePool(Protocol p, TestManagers managers) throws Exception {
    Holding.entered = new CountDownLatch(4);
    Holding.release = new CountDownLatch(1);
    CacheManager manager = managers.open(p);
    AsyncCache<String, String> held = heldWrites(manager);
    Cache<String, String> listened = manager.createCache("listened", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(Loading.class))
        .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<>(
            FactoryBuilder.factoryOf(Created.class), null, false, true)));
    try {
      List<CompletableFuture<Void>> running = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        running.add(held.put("k" + i, "v"));
      }
      assertTrue(Holding.entered.await(10, TimeUnit.SECONDS), "four writes hold the pool's four threads");
      CompletableFuture<Void> queuedWrite = held.put("k4", "v");
      CompletableFuture<Void> queuedListenerStep =
          ((NewcacheCache<String, String>) listened.unwrap(NewcacheCache.class)).async().put("l", "v");
      CompletionListenerFuture queuedLoad = new CompletionListenerFuture();
      listened.loadAll(Set.of("a", "b"), true, queuedLoad);
      assertTrue(queuedLoad.isDone() == false && queuedWrite.isDone() == false, "queued behind the held writes");
      manager.close();
      for (Future<?> f : List.of(queuedWrite, queuedListenerStep, queuedLoad)) {
        ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof CacheException && e.getCause().getMessage().contains("closed"),
            String.valueOf(e.getCause()));
      }
      assertTrue(queuedWrite.handle((v, e) -> e).join() instanceof java.util.concurrent.CompletionException,
          "wrapped as supplyAsync's failures were, for handle() and exceptionally()");
      for (CompletableFuture<Void> f : running) {
        assertThrows(ExecutionException.class, () -> f.get(5, TimeUnit.SECONDS), "interrupted by the close");
      }
    } finally {
      Holding.release.countDown();
    }
  }

  /**
   * A non-blocking load waiting for another client's lease fails when the manager closes. Before,
   * its next poll was dropped with the manager's scheduler and the future stayed pending for ever.
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  @SuppressWarnings("unchecked") // unwrap(NewcacheCache.class) is that cache, typed <String, String>
  void closingTheManagerFailsALoadWaitingForAnotherClientsLease(Protocol p, TestManagers managers) throws Exception {
    CacheManager manager = managers.open(p);
    AsyncCache<String, String> async = manager.createCache("leased", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class))
        .unwrap(NewcacheCache.class).async();
    String lease = managers.flavor() + "-1-leased-"
        + io.github.newcache.internal.key.Hashing.md5Hex("k".getBytes(java.nio.charset.StandardCharsets.UTF_8)) + ".lease";
    CompletableFuture<String> waiting;
    try (io.github.newcache.testkit.RawMemcached raw = io.github.newcache.testkit.RawMemcached.of(managers.server())) {
      raw.set(lease, "another client's".getBytes(java.nio.charset.StandardCharsets.UTF_8));
      long gets = raw.stat("cmd_get");
      waiting = async.get("k", k -> CompletableFuture.completedFuture("loaded"));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (raw.stat("cmd_get") < gets + 6 && System.nanoTime() < deadline) { // polling: a few rounds of reads
        Thread.onSpinWait();
      }
    }
    assertTrue(!waiting.isDone(), "waits for the lease, held for its whole timeout (10 s)");
    manager.close();
    ExecutionException e = assertThrows(ExecutionException.class, () -> waiting.get(5, TimeUnit.SECONDS));
    assertTrue(e.getCause() instanceof CacheException && e.getCause().getMessage().contains("closed"), String.valueOf(e.getCause()));
  }
}
