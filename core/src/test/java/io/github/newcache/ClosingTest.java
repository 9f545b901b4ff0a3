package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.AcceptingWriter;
import io.github.newcache.codec.DefaultValueCodec;
import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.internal.management.MBeans;
import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import io.github.newcache.testing.Threads;
import java.io.Closeable;
import java.io.IOException;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.lang.ref.ReferenceQueue;
import java.net.URI;
import java.lang.ref.WeakReference;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.configuration.Factory;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryEventFilter;
import javax.cache.event.CacheEntryListener;
import javax.cache.expiry.Duration;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.integration.CacheLoader;
import javax.management.MBeanRegistration;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What closing leaves behind: a cache's loader, writer, expiry policy, listeners and filters are
 * closed once each, whatever one of them throws, by {@code Cache.close()}, {@code destroyCache},
 * the manager's close and a {@code createCache} that fails part-way; and a closed cache is not
 * kept by its open manager. Over an in-memory transport ({@code LifecycleTest} checks that a real
 * manager's connections and threads end too).
 */
class ClosingTest {

  /** What the test's resources were asked to close, in order, by name. */
  static final List<String> CLOSED = new CopyOnWriteArrayList<>();

  private final ManualClock clock = new ManualClock();
  private final InMemoryTransport memcached = new InMemoryTransport(clock);
  private NewcacheCacheManager manager;

  @BeforeEach
  void open() {
    CLOSED.clear();
    Blocking.ON = null;
    Blocking.ENTERED = new CountDownLatch(1);
    Blocking.RELEASED = new CountDownLatch(1);
    Reentrant.CLOSES = null;
    manager = InMemoryManagers.open("flavor=closing", memcached, clock);
  }

  @AfterEach
  void close() {
    manager.close();
  }

  /** A resource that records its close, then fails it when told to (as one closed twice might). */
  abstract static class Tracked implements Closeable, Serializable {
    private static final long serialVersionUID = 1L;
    /** Its name in {@link #CLOSED}. */
    private final String name;
    /** What its close throws: nothing, a RuntimeException ("already closed") or an IOException. */
    private final String fails;

    Tracked(String name, String fails) {
      this.name = name;
      this.fails = fails;
    }

    @Override
    public void close() throws IOException {
      CLOSED.add(name);
      if (fails.equals("runtime")) {
        throw new IllegalStateException(name + " already closed");
      }
      if (fails.equals("io")) {
        throw new IOException(name + " cannot close");
      }
      if (fails.equals("error")) { // as a web application's class loader closed at undeploy throws
        throw new NoClassDefFoundError("com/example/Gone (" + name + ")");
      }
    }
  }

  public static final class Listener extends Tracked implements CacheEntryCreatedListener<String, String> {
    private static final long serialVersionUID = 1L;

    Listener(String name, String fails) {
      super(name, fails);
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}
  }

  public static final class Filter extends Tracked implements CacheEntryEventFilter<String, String> {
    private static final long serialVersionUID = 1L;

    Filter(String name, String fails) {
      super(name, fails);
    }

    @Override
    public boolean evaluate(CacheEntryEvent<? extends String, ? extends String> event) {
      return true;
    }
  }

  public static final class Writer extends Tracked implements AcceptingWriter<String, String> {
    private static final long serialVersionUID = 1L;

    Writer(String name, String fails) {
      super(name, fails);
    }
  }

  public static final class Loader extends Tracked implements CacheLoader<String, String> {
    private static final long serialVersionUID = 1L;

    Loader(String name, String fails) {
      super(name, fails);
    }

    @Override
    public String load(String key) {
      return null;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      return Map.of();
    }
  }

  /** One object as loader, writer and listener of its cache. */
  public static final class AllInOne extends Tracked
      implements CacheLoader<String, String>, AcceptingWriter<String, String>, CacheEntryCreatedListener<String, String> {
    private static final long serialVersionUID = 1L;

    AllInOne(String name) {
      super(name, "");
    }

    @Override
    public String load(String key) {
      return null;
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      return Map.of();
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}
  }

  /** A listener that is its own event filter. */
  public static final class SelfFiltered extends Tracked
      implements CacheEntryCreatedListener<String, String>, CacheEntryEventFilter<String, String> {
    private static final long serialVersionUID = 1L;

    SelfFiltered(String name) {
      super(name, "");
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}

    @Override
    public boolean evaluate(CacheEntryEvent<? extends String, ? extends String> event) {
      return true;
    }
  }

  /** Eternal, as the default policy. */
  public static final class Expiry extends Tracked implements ExpiryPolicy {
    private static final long serialVersionUID = 1L;

    Expiry(String name) {
      super(name, "");
    }

    @Override
    public Duration getExpiryForCreation() {
      return Duration.ETERNAL;
    }

    @Override
    public Duration getExpiryForAccess() {
      return null;
    }

    @Override
    public Duration getExpiryForUpdate() {
      return null;
    }
  }

  /** A listener whose close, in the thread {@link #ON}, says so and waits until the test lets it go. */
  public static final class Blocking extends Tracked implements CacheEntryCreatedListener<String, String> {
    private static final long serialVersionUID = 1L;
    static volatile Thread ON;
    static volatile CountDownLatch ENTERED = new CountDownLatch(1);
    static volatile CountDownLatch RELEASED = new CountDownLatch(1);
    /** The cache whose listener the closing thread is held in. */
    static volatile String held;
    private final String cache;

    Blocking(String cache) {
      super(cache + " listener", "");
      this.cache = cache;
    }

    @Override
    public void close() throws IOException {
      if (Thread.currentThread() == ON && ENTERED.getCount() > 0) {
        held = cache;
        ENTERED.countDown();
        Threads.awaitReleased(RELEASED);
      }
      super.close();
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}
  }

  private static <L extends CacheEntryListener<String, String> & Serializable>
      MutableCacheEntryListenerConfiguration<String, String> listener(L l, Filter filter) {
    return new MutableCacheEntryListenerConfiguration<>(
        FactoryBuilder.factoryOf(l), filter == null ? null : FactoryBuilder.factoryOf(filter), false, true);
  }

  /** A read-through, write-through cache with an expiry policy and a filtered listener, each named {@code prefix ...}. */
  private static MutableConfiguration<String, String> everything(String prefix, String listenerFails, String writerFails) {
    return new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setReadThrough(true)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(new Loader(prefix + " loader", "")))
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(new Writer(prefix + " writer", writerFails)))
        .setExpiryPolicyFactory(FactoryBuilder.factoryOf(new Expiry(prefix + " expiry")))
        .addCacheEntryListenerConfiguration(
            listener(new Listener(prefix + " listener", listenerFails), new Filter(prefix + " filter", "io")));
  }

  private static void assertClosedOnce(String prefix) {
    for (String part : List.of("listener", "filter", "writer", "expiry", "loader")) {
      String name = prefix + " " + part;
      assertEquals(1, CLOSED.stream().filter(name::equals).count(), name + " closed once, in " + CLOSED);
    }
  }

  /**
   * A listener whose close throws (an "already closed" RuntimeException) keeps nothing else from
   * closing, and closing does not throw it. Before, it escaped {@code close()} with the writer,
   * expiry policy and loader left open.
   */
  @Test
  void aListenerThatFailsToCloseKeepsNoOtherResourceOfTheCacheOpen() {
    Cache<String, String> c = manager.createCache("c", everything("c", "runtime", "io"));
    c.put("k", "v");
    c.close();
    assertTrue(c.isClosed());
    assertNull(manager.getCache("c"));
    assertClosedOnce("c");
    c.close();
    assertClosedOnce("c");
  }

  /**
   * The manager closes every cache whatever one's resources throw, and then itself. Before, the
   * first failure escaped {@code manager.close()}, the later caches stayed open (and the
   * connections and threads, {@code LifecycleTest}), and a second close did nothing.
   */
  @Test
  void aResourceThatFailsToCloseKeepsNoOtherCacheOfTheManagerOpen() {
    Cache<String, String> a = manager.createCache("a", everything("a", "runtime", "runtime"));
    Cache<String, String> b = manager.createCache("b", everything("b", "runtime", ""));
    manager.close();
    assertTrue(manager.isClosed());
    assertTrue(a.isClosed() && b.isClosed());
    assertClosedOnce("a");
    assertClosedOnce("b");
    manager.close();
    assertEquals(10, CLOSED.size(), "a second close closes nothing again: " + CLOSED);
  }

  /**
   * An Error from a resource's close (a {@code NoClassDefFoundError} at a web application's
   * undeploy) keeps nothing else open: every resource of every cache is closed, and the manager
   * throws the first Error once all are, the later ones suppressed in it. Before, the Error escaped
   * the first cache's listener close: that cache's writer, expiry policy and loader and the later
   * caches stayed open for good (the manager counted as closed, a second close did nothing).
   */
  @Test
  void anErrorFromAResourceCloseKeepsNoOtherResourceOpenAndIsThrownOnceAllAreClosed() {
    Cache<String, String> a = manager.createCache("a", everything("a", "error", "error"));
    Cache<String, String> b = manager.createCache("b", everything("b", "", ""));
    Cache<String, String> c = manager.createCache("c", everything("c", "error", ""));
    NoClassDefFoundError thrown = assertThrows(NoClassDefFoundError.class, manager::close);
    assertTrue(thrown.getMessage().contains("a listener"), thrown.getMessage());
    assertEquals(2, thrown.getSuppressed().length, "a's writer's and c's listener's Errors, suppressed in it");
    assertTrue(manager.isClosed());
    assertTrue(a.isClosed() && b.isClosed() && c.isClosed());
    assertClosedOnce("a");
    assertClosedOnce("b");
    assertClosedOnce("c");
    manager.close();
    assertEquals(15, CLOSED.size(), "a second close closes nothing again: " + CLOSED);
  }

  /** A cache's own close closes all of its resources too, and then throws the Error. */
  @Test
  void anErrorFromAResourceCloseIsThrownByTheCachesCloseOnceAllAreClosed() {
    Cache<String, String> c = manager.createCache("c", everything("c", "error", ""));
    assertThrows(NoClassDefFoundError.class, c::close);
    assertTrue(c.isClosed());
    assertNull(manager.getCache("c"));
    assertClosedOnce("c");
  }

  /**
   * One object used as loader, writer and listener is closed once, as the README says, by the
   * cache's close and by a createCache that fails after making it. Before, it was closed once per
   * role (three times; twice by the failed create, which listed it as loader and as writer).
   */
  @Test
  void oneInstanceInSeveralRolesIsClosedOnce() {
    AllInOne all = new AllInOne("c all");
    Cache<String, String> c = manager.createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setReadThrough(true)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(all))
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(all))
        .addCacheEntryListenerConfiguration(listener(all, null)));
    c.close();
    assertEquals(List.of("c all"), CLOSED);

    CLOSED.clear();
    FirstOnly.MADE.set(1); // every listener factory fails
    assertThrows(IllegalStateException.class, () -> manager.createCache("d", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setReadThrough(true)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(all))
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(all))
        .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<>(new FirstOnly(0), null, false, true))));
    assertEquals(List.of("c all"), CLOSED);
  }

  /**
   * A deregistered listener that the cache still uses (as its loader and writer, or as the
   * listener of another registration) stays open until its last use ends: the cache's close
   * closes it once. Before, the deregistration closed the cache's writer and the other
   * registration's listener while they were in use.
   */
  @Test
  void aDeregisteredListenerStillInUseStaysOpenUntilTheCacheCloses() {
    AllInOne all = new AllInOne("c all");
    Listener shared = new Listener("c shared", "");
    MutableCacheEntryListenerConfiguration<String, String> asAll = listener(all, null);
    MutableCacheEntryListenerConfiguration<String, String> first = listener(shared, null);
    MutableCacheEntryListenerConfiguration<String, String> second = listener(shared, new Filter("c filter", ""));
    Cache<String, String> c = manager.createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setReadThrough(true)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(all))
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(all))
        .addCacheEntryListenerConfiguration(asAll)
        .addCacheEntryListenerConfiguration(first)
        .addCacheEntryListenerConfiguration(second));

    c.deregisterCacheEntryListener(asAll);
    c.deregisterCacheEntryListener(first);
    assertEquals(List.of(), CLOSED, "the writer and loader, and the listener of the second registration, stay open");

    c.deregisterCacheEntryListener(second);
    assertEquals(List.of("c shared", "c filter"), CLOSED, "its last registration gone, the listener is closed");

    SelfFiltered self = new SelfFiltered("c self");
    MutableCacheEntryListenerConfiguration<String, String> itsOwnFilter = new MutableCacheEntryListenerConfiguration<>(
        FactoryBuilder.factoryOf(self), FactoryBuilder.factoryOf(self), false, true);
    c.registerCacheEntryListener(itsOwnFilter);
    c.deregisterCacheEntryListener(itsOwnFilter);
    assertEquals(List.of("c shared", "c filter", "c self"), CLOSED, "a listener that is its own filter is closed once");
    CLOSED.remove("c self");

    c.put("k", "v");
    c.close();
    assertEquals(List.of("c shared", "c filter", "c all"), CLOSED);
  }

  /** A filter factory that fails. */
  private static final Factory<CacheEntryEventFilter<String, String>> NO_FILTER = () -> {
    throw new IllegalStateException("filter cannot be created");
  };

  /**
   * A registration whose filter factory fails closes the listener made for it, unless the cache
   * still uses that instance (as its writer, or in another registration); a createCache failing so
   * closes it once. Before, the registration closed the cache's writer and the other
   * registration's listener while in use, and the failed create closed the writer twice (review 80).
   */
  @Test
  void aRegistrationWhoseFilterFactoryFailsLeavesOpenWhatTheCacheStillUses() {
    AllInOne all = new AllInOne("c all");
    Listener shared = new Listener("c shared", "");
    Cache<String, String> c = manager.createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(all))
        .addCacheEntryListenerConfiguration(listener(shared, null)));
    assertThrows(IllegalStateException.class, () -> c.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(all), NO_FILTER, false, true)));
    assertThrows(IllegalStateException.class, () -> c.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(shared), NO_FILTER, false, true)));
    c.put("k", "v");
    assertEquals(List.of(), CLOSED, "the writer and the first registration's listener stay open");

    Listener alone = new Listener("c alone", "");
    assertThrows(IllegalStateException.class, () -> c.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(alone), NO_FILTER, false, true)));
    assertEquals(List.of("c alone"), CLOSED, "a listener nothing else uses is closed");
    c.close();
    assertEquals(List.of("c alone", "c shared", "c all"), CLOSED);

    CLOSED.clear();
    AllInOne writer = new AllInOne("d all");
    assertThrows(IllegalStateException.class, () -> manager.createCache("d", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(writer))
        .addCacheEntryListenerConfiguration(
            new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(writer), NO_FILTER, false, true))));
    assertEquals(List.of("d all"), CLOSED, "one instance, closed once");
  }

  /**
   * A filter registered again, in a new registration, while the deregistration of its old one is
   * closing that registration's listener stays open: the deregistration asks whether it is used
   * just before closing it. Before, it had decided at the deregistration, closed the filter in use
   * and the cache's close closed it again (review 80).
   */
  @Test
  void aFilterRegisteredAgainWhileItsOldRegistrationClosesStaysOpen() throws Exception {
    Filter shared = new Filter("c filter", "");
    MutableCacheEntryListenerConfiguration<String, String> first = new MutableCacheEntryListenerConfiguration<>(
        FactoryBuilder.factoryOf(new Blocking("c")), FactoryBuilder.factoryOf(shared), false, true);
    MutableCacheEntryListenerConfiguration<String, String> second = listener(new Listener("c second", ""), shared);
    Cache<String, String> c = manager.createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).addCacheEntryListenerConfiguration(first));
    Thread deregistration = new Thread(() -> c.deregisterCacheEntryListener(first), "closing-test-deregister-first");
    Blocking.ON = deregistration;
    deregistration.start();
    Threads.awaitReleased(Blocking.ENTERED);
    c.registerCacheEntryListener(second);
    Blocking.RELEASED.countDown();
    deregistration.join(10_000);
    assertEquals(List.of("c listener"), CLOSED, "the filter is in use by the second registration");
    c.close();
    assertEquals(List.of("c listener", "c second", "c filter"), CLOSED);
  }

  /**
   * Two registrations sharing a filter, deregistered on two threads at once, close it once: the
   * deregistration that leaves it unused claims its close. Before, each asked just before its close
   * whether a registration still used it, and both closed it (review 81).
   */
  @Test
  void concurrentDeregistrationsOfASharedFilterCloseItOnce() throws Exception {
    Filter shared = new Filter("c filter", "");
    MutableCacheEntryListenerConfiguration<String, String> first = new MutableCacheEntryListenerConfiguration<>(
        FactoryBuilder.factoryOf(new Blocking("c")), FactoryBuilder.factoryOf(shared), false, true);
    MutableCacheEntryListenerConfiguration<String, String> second = listener(new Listener("c second", ""), shared);
    Cache<String, String> c = manager.createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class).addCacheEntryListenerConfiguration(first)
        .addCacheEntryListenerConfiguration(second));
    Thread deregistration = new Thread(() -> c.deregisterCacheEntryListener(first), "closing-test-deregister-first");
    Blocking.ON = deregistration;
    deregistration.start();
    Threads.awaitReleased(Blocking.ENTERED); // the first is deregistered; its listener is closing
    c.deregisterCacheEntryListener(second);
    Blocking.RELEASED.countDown();
    deregistration.join(10_000);
    c.close();
    assertEquals(1, CLOSED.stream().filter("c filter"::equals).count(), "the shared filter is closed once: " + CLOSED);
    assertEquals(List.of("c second", "c filter", "c listener"), CLOSED);
  }

  /**
   * An Error from the close of the listener made for a registration whose filter factory failed
   * is thrown, the factory's failure suppressed in it, as every close here puts an Error first.
   * Since that close ran outside the locks (0bba7e9), the factory's failure hid it (review 82).
   */
  @Test
  void anErrorClosingTheListenerOfAFailedRegistrationIsThrownFirst() {
    Cache<String, String> c = manager.createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class));
    NoClassDefFoundError e = assertThrows(NoClassDefFoundError.class, () -> c.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(new Listener("c error", "error")),
            NO_FILTER, false, true)));
    assertEquals(1, e.getSuppressed().length, "the filter factory's failure, suppressed in the Error");
    assertTrue(e.getSuppressed()[0] instanceof IllegalStateException, e.getSuppressed()[0].toString());
    assertEquals(List.of("c error"), CLOSED);
  }

  /** A listener whose close, once the cache's close on {@link #CLOSER} waits or has ended, closes that cache too. */
  public static final class ClosesItsCache extends Tracked implements CacheEntryCreatedListener<String, String> {
    private static final long serialVersionUID = 1L;
    static volatile Cache<String, String> cache;
    static volatile Thread closer;
    static volatile CountDownLatch entered;
    static volatile long closeMillis;

    ClosesItsCache() {
      super("closes its cache", "");
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}

    @Override
    public void close() throws IOException {
      entered.countDown();
      try {
        Threads.awaitWaitingOrEnded(closer, java.time.Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      long start = System.nanoTime();
      cache.close();
      closeMillis = (System.nanoTime() - start) / 1_000_000;
      super.close();
    }
  }

  /**
   * The listener made for a registration whose filter factory fails is closed outside the cache's
   * locks, as a deregistered one is: its close may close the cache while another thread's close of
   * the cache runs. Before, it was closed holding the configuration and dispatcher locks; the other
   * close waited for them, the listener's close waited for the other close, and both stalled for
   * the 30 s bound of a close waiting for another (review 81).
   */
  @Test
  void aListenerWhoseFilterFactoryFailsIsClosedOutsideTheLocks() throws Exception {
    Cache<String, String> c = manager.createCache("c", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class));
    ClosesItsCache.cache = c;
    ClosesItsCache.entered = new CountDownLatch(1);
    ClosesItsCache.closeMillis = -1;
    Thread closer = new Thread(c::close, "closing-test-cache-close");
    ClosesItsCache.closer = closer;
    Thread registering = new Thread(() -> assertThrows(IllegalStateException.class, () -> c.registerCacheEntryListener(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(new ClosesItsCache()), NO_FILTER, false, true))),
        "closing-test-register");
    registering.start();
    Threads.awaitReleased(ClosesItsCache.entered);
    closer.start();
    registering.join(60_000);
    closer.join(60_000);
    assertTrue(ClosesItsCache.closeMillis >= 0 && ClosesItsCache.closeMillis < 10_000,
        "the listener's close of its cache took " + ClosesItsCache.closeMillis + " ms (30 s: the two closes waited for each other)");
    assertEquals(List.of("closes its cache"), CLOSED);
  }

  /** destroyCache removes the data and forgets the cache whatever its resources throw. */
  @Test
  void aDestroyedCacheWhoseResourcesFailToCloseIsForgottenAndClosed() {
    Cache<String, String> c = manager.createCache("c", everything("c", "runtime", "runtime"));
    c.put("k", "v");
    manager.destroyCache("c");
    assertTrue(c.isClosed());
    assertNull(manager.getCache("c"));
    assertClosedOnce("c");
    assertEquals(0, memcached.size(), "the data is gone");
  }

  /**
   * A cache closing itself while the manager closes closes its resources once. Here the manager
   * is held in the first cache's listener close while the other cache closes itself. Before, the
   * manager, which had listed the caches before, closed the other's resources again.
   */
  @Test
  void aCacheThatClosesItselfWhileTheManagerClosesClosesItsResourcesOnce() throws Exception {
    for (String name : List.of("x", "y")) {
      manager.createCache(name, new MutableConfiguration<String, String>()
          .setTypes(String.class, String.class)
          .setWriteThrough(true)
          .setCacheWriterFactory(FactoryBuilder.factoryOf(new Writer(name + " writer", "")))
          .addCacheEntryListenerConfiguration(listener(new Blocking(name), null)));
    }
    Cache<String, String> x = manager.getCache("x");
    Cache<String, String> y = manager.getCache("y");
    Thread closer = new Thread(manager::close, "closing-test-manager-close");
    Blocking.ON = closer;
    closer.start();
    try {
      assertTrue(Blocking.ENTERED.await(10, TimeUnit.SECONDS), "the manager's close reached a listener");
      Cache<String, String> other = Blocking.held.equals("x") ? y : x;
      other.close();
      assertTrue(other.isClosed());
    } finally {
      Blocking.RELEASED.countDown();
      closer.join(10_000);
    }
    assertFalse(closer.isAlive());
    for (String name : List.of("x", "y")) {
      assertEquals(1, CLOSED.stream().filter((name + " writer")::equals).count(), name + "'s writer, in " + CLOSED);
      assertEquals(1, CLOSED.stream().filter((name + " listener")::equals).count(), name + "'s listener, in " + CLOSED);
    }
  }

  /** A write-through cache {@code name} whose listener is {@link Blocking}, its writer closed after it. */
  private Cache<String, String> blockingCache(String name) {
    return manager.createCache(name, new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(new Writer(name + " writer", "")))
        .addCacheEntryListenerConfiguration(listener(new Blocking(name), null)));
  }

  /**
   * Runs {@code close} on a thread of its own while another thread's close of the same cache or
   * manager is held in a listener's close, and answers what had been closed when it returned.
   */
  private static List<String> closedWhenASecondCloseReturns(Runnable first, Runnable close) throws Exception {
    Thread closer = new Thread(first, "closing-test-first-close");
    Blocking.ON = closer;
    closer.start();
    List<String> seen = new CopyOnWriteArrayList<>();
    Thread second = new Thread(() -> {
      close.run();
      seen.addAll(CLOSED);
      seen.add("returned");
    }, "closing-test-second-close");
    try {
      assertTrue(Blocking.ENTERED.await(10, TimeUnit.SECONDS), "the first close reached the listener");
      second.start();
      Threads.awaitWaitingOrEnded(second, java.time.Duration.ofSeconds(10));
    } finally {
      Blocking.RELEASED.countDown();
      closer.join(10_000);
      second.join(10_000);
    }
    assertFalse(closer.isAlive() || second.isAlive(), "both closes returned");
    return seen;
  }

  /**
   * A cache's close called on another thread while the first close runs returns once the first
   * has closed everything. Before, it returned at once, the listener and writer still open.
   */
  @Test
  void aSecondCloseOfACacheReturnsOnceTheFirstHasClosedEverything() throws Exception {
    Cache<String, String> c = blockingCache("x");
    assertEquals(List.of("x listener", "x writer", "returned"), closedWhenASecondCloseReturns(c::close, c::close));
    assertTrue(c.isClosed());
  }

  /**
   * A manager's close called on another thread while the first close runs returns once the first
   * has closed everything. Before, it returned at once, the caches' resources still open.
   */
  @Test
  void aSecondCloseOfAManagerReturnsOnceTheFirstHasClosedEverything() throws Exception {
    Cache<String, String> c = blockingCache("x");
    assertEquals(List.of("x listener", "x writer", "returned"),
        closedWhenASecondCloseReturns(manager::close, manager::close));
    assertTrue(manager.isClosed() && c.isClosed());
  }

  /**
   * A cache's close called while its manager's close closes it, on another thread, returns once
   * the manager has closed the cache. Before, it returned at once.
   */
  @Test
  void aCachesCloseWhileItsManagerClosesItReturnsOnceItIsClosed() throws Exception {
    Cache<String, String> c = blockingCache("x");
    assertEquals(List.of("x listener", "x writer", "returned"), closedWhenASecondCloseReturns(manager::close, c::close));
  }

  /** A listener whose close runs {@link #CLOSES}: the closes of its own cache and manager. */
  public static final class Reentrant extends Tracked implements CacheEntryCreatedListener<String, String> {
    private static final long serialVersionUID = 1L;
    static volatile Runnable CLOSES;

    Reentrant(String name) {
      super(name, "");
    }

    @Override
    public void close() throws IOException {
      super.close();
      Runnable closes = CLOSES;
      if (closes != null) {
        closes.run();
      }
    }

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}
  }

  /**
   * A listener whose own close closes its cache and manager, on the thread that closes them,
   * does not wait for itself: the close returns, everything closed once.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aCloseFromAListenersOwnCloseReturnsAtOnce(boolean byTheManager) throws Exception {
    Cache<String, String> c = manager.createCache("x", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(new Writer("x writer", "")))
        .addCacheEntryListenerConfiguration(listener(new Reentrant("x listener"), null)));
    Reentrant.CLOSES = () -> {
      c.close();
      manager.close();
    };
    Thread closer = new Thread(byTheManager ? manager::close : c::close, "closing-test-close");
    closer.start();
    closer.join(10_000);
    assertFalse(closer.isAlive(), "the close waited for itself");
    assertTrue(c.isClosed() && manager.isClosed());
    assertEquals(List.of("x listener", "x writer"), CLOSED);
  }

  /**
   * A listener whose close closes the manager, deregistered on one thread while the manager's close
   * starts on another: the deregistration closes the listener outside the dispatcher's lock, so the
   * manager's close, which takes that lock as it closes the cache, goes on, and both return, the
   * listener closed once (review 73: the deregistration waited out the close's 30 s bound, holding
   * the lock the manager's close waited for).
   */
  @Test
  void aListenerDeregisteredWhileTheManagerClosesMayCloseTheManagerFromItsClose() throws Exception {
    MutableCacheEntryListenerConfiguration<String, String> registration = listener(new Reentrant("x listener"), null);
    Cache<String, String> c = manager.createCache("x", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .addCacheEntryListenerConfiguration(registration));
    Thread managerClose = new Thread(manager::close, "closing-test-manager-close");
    Reentrant.CLOSES = () -> {
      managerClose.start();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (!manager.isClosed() && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      manager.close(); // waits for the close that managerClose runs
    };
    Thread deregistration = new Thread(() -> c.deregisterCacheEntryListener(registration), "closing-test-deregister");
    deregistration.start();
    deregistration.join(10_000);
    assertFalse(deregistration.isAlive(), "the deregistration waited for the manager's close, which waited for it");
    managerClose.join(10_000);
    assertFalse(managerClose.isAlive());
    assertTrue(c.isClosed() && manager.isClosed());
    assertEquals(List.of("x listener"), CLOSED);
  }

  /**
   * A listener whose close reads its cache's configuration, closed by the cache's close while
   * another thread registers a listener on that cache: the close ends, the listener closed once,
   * and the registration is refused, the cache being closed. (Review 74 found a deadlock here when
   * the registration passed the cache's open check just before the close began: it then held the
   * configuration lock and waited for the listeners' lock, which the close held while the
   * listener's close waited for the configuration lock. The close no longer holds the listeners'
   * lock while listeners close; that window cannot be held open from a test without a hook, so
   * this test passed before the change too.)
   */
  @Test
  void aListenerWhoseCloseReadsTheConfigurationDoesNotDeadlockARegistrationDuringTheClose() throws Exception {
    Cache<String, String> c = manager.createCache("x", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .addCacheEntryListenerConfiguration(listener(new Reentrant("x listener"), null)));
    AtomicReference<Throwable> registered = new AtomicReference<>();
    Thread registration = new Thread(() -> {
      try {
        c.registerCacheEntryListener(listener(new Reentrant("y listener"), null));
      } catch (RuntimeException e) {
        registered.set(e);
      }
    }, "closing-test-register");
    registration.setDaemon(true);
    Reentrant.CLOSES = () -> {
      registration.start();
      try {
        Threads.awaitWaitingOrEnded(registration, java.time.Duration.ofSeconds(10));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      c.getConfiguration(MutableConfiguration.class);
    };
    Thread close = new Thread(c::close, "closing-test-close");
    close.setDaemon(true);
    close.start();
    close.join(10_000);
    assertFalse(close.isAlive(), "the close and the registration wait for each other");
    registration.join(10_000);
    assertFalse(registration.isAlive());
    assertTrue(c.isClosed());
    assertTrue(registered.get() instanceof IllegalStateException, "the registration on the closing cache: " + registered.get());
    assertEquals(List.of("x listener"), CLOSED);
  }

  /**
   * A cache's listener whose close closes the manager, while the manager's close (on another
   * thread) reaches that cache: each close would wait for the other. The wait that would close the
   * cycle is skipped, and both return at once, everything closed.
   */
  @Test
  void closesWaitingForEachOtherDoNotWaitOutTheirBound() throws Exception {
    Cache<String, String> x = blockingCache("x");
    Cache<String, String> y = manager.createCache("y", new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .addCacheEntryListenerConfiguration(listener(new Reentrant("y listener"), null)));
    Reentrant.CLOSES = manager::close;
    Thread managerClose = new Thread(manager::close, "closing-test-manager-close");
    Blocking.ON = managerClose;
    Thread cacheClose = new Thread(y::close, "closing-test-cache-close");
    long start = System.nanoTime();
    try {
      managerClose.start();
      assertTrue(Blocking.ENTERED.await(10, TimeUnit.SECONDS), "the manager's close reached x's listener");
      cacheClose.start(); // closes y, whose listener waits for the manager's close
      Threads.awaitWaitingOrEnded(cacheClose, java.time.Duration.ofSeconds(10));
    } finally {
      Blocking.RELEASED.countDown(); // the manager's close goes on to y, closed by cacheClose
      managerClose.join(10_000);
      cacheClose.join(10_000);
    }
    assertFalse(managerClose.isAlive() || cacheClose.isAlive(), "a close waited for the other");
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(10), "a close waited out its bound");
    assertTrue(x.isClosed() && y.isClosed() && manager.isClosed());
    assertEquals(1, CLOSED.stream().filter("y listener"::equals).count(), String.valueOf(CLOSED));
    assertEquals(1, CLOSED.stream().filter("x writer"::equals).count(), String.valueOf(CLOSED));
  }

  /**
   * Makes a listener the first time one of these factories is asked, and fails every time after
   * (the configuration keeps its listeners in a set: which one comes first is its order).
   */
  public static final class FirstOnly implements Factory<CacheEntryListener<String, String>> {
    private static final long serialVersionUID = 1L;
    static final AtomicInteger MADE = new AtomicInteger();
    static final IllegalStateException BROKEN = new IllegalStateException("listener cannot be created");
    /** Tells the factories apart, so that the configuration keeps both. */
    private final int id;

    FirstOnly(int id) {
      this.id = id;
    }

    @Override
    public CacheEntryListener<String, String> create() {
      if (MADE.getAndIncrement() == 0) {
        return new Listener("c listener", "");
      }
      throw BROKEN;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof FirstOnly f && f.id == id;
    }

    @Override
    public int hashCode() {
      return id;
    }
  }

  /**
   * A createCache whose second listener's factory fails closes the expiry policy, loader, writer
   * and first listener it made, and throws the factory's own exception. Before, they stayed open.
   */
  @Test
  void aCreateThatFailsClosesWhatItMadeAndThrowsItsFailure() {
    FirstOnly.MADE.set(0);
    MutableConfiguration<String, String> config = new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .setReadThrough(true)
        .setCacheLoaderFactory(FactoryBuilder.factoryOf(new Loader("c loader", "")))
        .setWriteThrough(true)
        .setCacheWriterFactory(FactoryBuilder.factoryOf(new Writer("c writer", "runtime")))
        .setExpiryPolicyFactory(FactoryBuilder.factoryOf(new Expiry("c expiry")));
    for (int id = 0; id < 2; id++) {
      config.addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<>(new FirstOnly(id), null, false, true));
    }
    assertSame(FirstOnly.BROKEN, assertThrows(IllegalStateException.class, () -> manager.createCache("c", config)));
    assertNull(manager.getCache("c"));
    assertEquals(List.of("c expiry", "c loader", "c writer", "c listener"),
        CLOSED.stream().sorted(ClosingTest::inMadeOrder).toList(), "each once");
  }

  /** A filter factory that fails closes the listener made for it. */
  @Test
  void aCreateWhoseFilterFactoryFailsClosesTheListenerMadeForIt() {
    Factory<CacheEntryEventFilter<String, String>> failing = () -> {
      throw new IllegalStateException("filter cannot be created");
    };
    MutableConfiguration<String, String> config = new MutableConfiguration<String, String>()
        .setTypes(String.class, String.class)
        .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<>(
            FactoryBuilder.factoryOf(new Listener("c listener", "")), failing, false, true));
    assertThrows(IllegalStateException.class, () -> manager.createCache("c", config));
    assertEquals(List.of("c listener"), CLOSED);
  }

  private static int inMadeOrder(String a, String b) {
    List<String> order = List.of("c expiry", "c loader", "c writer", "c listener");
    return Integer.compare(order.indexOf(a), order.indexOf(b));
  }

  /**
   * Makes the log behind {@code io.github.newcache} throw {@code failure} at each message that
   * contains {@code text}, until closed: a logging backend that fails (one of a web application
   * closed at undeploy) is how a failure reaches the cache's own closing steps and its MXBean
   * registration, whose code throws nothing of its own.
   */
  static final class LogThrows extends java.util.logging.Handler implements AutoCloseable {
    /** Held, so that the logger and its handlers are not collected meanwhile. */
    private final java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.github.newcache");
    private final String text;
    private final Throwable failure;

    LogThrows(String text, Throwable failure) {
      this.text = text;
      this.failure = failure;
      log.addHandler(this);
    }

    @Override
    public void publish(java.util.logging.LogRecord r) {
      if (r.getMessage() != null && r.getMessage().contains(text)) {
        if (failure instanceof Error e) {
          throw e;
        }
        throw (RuntimeException) failure;
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      log.removeHandler(this);
    }
  }

  /**
   * A failure in the cache's own closing steps (here its listeners' dispatcher, whose log of the
   * listener's failed close throws) skips none of its resources and loses no Error: the writer's
   * Error is thrown, the step's failure suppressed in it. Before, the dispatcher's failure escaped
   * the cache's close, the filter stayed open and the writer's Error was lost.
   */
  @Test
  void aFailedStepOfTheCachesCloseSkipsNoResourceAndLosesNoError() {
    Cache<String, String> c = manager.createCache("c", everything("c", "runtime", "error"));
    IllegalStateException logFailed = new IllegalStateException("the logging backend is gone");
    NoClassDefFoundError thrown;
    try (LogThrows log = new LogThrows("of cache c failed", logFailed)) {
      thrown = assertThrows(NoClassDefFoundError.class, c::close);
    }
    assertTrue(thrown.getMessage().contains("c writer"), thrown.getMessage());
    assertEquals(List.of(logFailed), List.of(thrown.getSuppressed()), "the step's failure, once");
    assertTrue(c.isClosed());
    assertNull(manager.getCache("c"));
    assertClosedOnce("c");
  }

  /**
   * An Error the manager kept from a cache is thrown whatever the manager's own connections throw
   * as they close after it, their failure suppressed in it. Before, the transport's exception was
   * thrown instead and the Error was lost.
   */
  @Test
  void anErrorTheManagerKeptIsThrownWhateverItsConnectionsThrowAfterIt() {
    Cache<String, String> a = manager.createCache("a", everything("a", "error", ""));
    IllegalStateException transportFailed = new IllegalStateException("the transport cannot close");
    memcached.failClose(transportFailed);
    NoClassDefFoundError thrown = assertThrows(NoClassDefFoundError.class, manager::close);
    assertTrue(thrown.getMessage().contains("a listener"), thrown.getMessage());
    assertEquals(List.of(transportFailed), List.of(thrown.getSuppressed()));
    assertTrue(manager.isClosed() && a.isClosed());
    assertClosedOnce("a");
  }

  /**
   * destroyCache whose clear fails (memcached) and whose listener's close throws an Error closes
   * the cache and throws the Error, the clear's failure suppressed in it. Before, the Error
   * replaced the clear's failure, which was lost.
   */
  @Test
  void aDestroyWhoseClearFailsThrowsTheErrorOfItsCloseWithTheClearsFailure() {
    Cache<String, String> c = manager.createCache("c", everything("c", "error", ""));
    c.put("k", "v");
    memcached.failNext("keys", 1);
    NoClassDefFoundError thrown = assertThrows(NoClassDefFoundError.class, () -> manager.destroyCache("c"));
    assertEquals(1, thrown.getSuppressed().length, "the clear's failure");
    assertTrue(thrown.getSuppressed()[0] instanceof javax.cache.CacheException, String.valueOf(thrown.getSuppressed()[0]));
    assertTrue(c.isClosed());
    assertNull(manager.getCache("c"));
    assertClosedOnce("c");
  }

  /**
   * A cache whose statistics MXBean cannot be unregistered (the platform server refuses: here a
   * bean under its name whose deregistration fails) is closed all the same by its own close, which
   * then throws that failure. Before, the close threw at once: the cache stayed open with its
   * resources, and its manager, which had already let it go, never closed it (review 73).
   */
  @Test
  void aCacheWhoseMXBeanCannotBeUnregisteredIsClosedByItsCloseAllTheSame() throws Exception {
    Cache<String, String> c = manager.createCache("c", everything("c", "", "").setStatisticsEnabled(true));
    ObjectName name = MBeans.name(MBeans.STATISTICS, manager.getURI().toString(), "c");
    MBeanServer server = ManagementFactory.getPlatformMBeanServer();
    server.unregisterMBean(name);
    Stubborn stubborn = new Stubborn();
    server.registerMBean(stubborn, name);
    try {
      CacheException thrown = assertThrows(CacheException.class, c::close);
      assertTrue(String.valueOf(thrown.getMessage()).contains("cannot unregister MBean"), thrown.getMessage());
      assertTrue(c.isClosed());
      assertClosedOnce("c");
    } finally {
      stubborn.letGo = true;
      if (server.isRegistered(name)) {
        server.unregisterMBean(name);
      }
    }
  }

  /**
   * A manager whose declared cache throws an Error as it is made (its key type's class loader gone,
   * as at a web application's undeploy) closes what it had opened (its connections, here a
   * transport whose close is seen because it fails) and throws the Error, the close's failure
   * suppressed in it. Before, only exceptions were caught there: the transport, loader pool,
   * scheduler and earlier caches stayed open for good (review 73).
   */
  @Test
  void aManagerWhoseDeclaredCacheThrowsAnErrorClosesWhatItOpened() {
    ClassLoader gone = new ClassLoader(getClass().getClassLoader()) {
      @Override
      protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
        if (name.equals("org.example.Gone")) {
          throw new NoClassDefFoundError("org/example/Gone");
        }
        return super.loadClass(name, resolve);
      }
    };
    Properties declared = new Properties();
    declared.setProperty("cache.bad.keyType", "org.example.Gone");
    URI uri = URI.create("memcached://in-memory:1/?flavor=closing_declared");
    InMemoryTransport transport = new InMemoryTransport(clock);
    IllegalStateException closed = new IllegalStateException("the transport was closed");
    transport.failClose(closed);
    NoClassDefFoundError thrown = assertThrows(NoClassDefFoundError.class, () -> new NewcacheCacheManager(
        new NewcacheCachingProvider(), uri, gone, declared, SettingsParser.parse(uri, gone, declared), s -> transport, clock));
    assertTrue(List.of(thrown.getSuppressed()).contains(closed), "the manager's connections were not closed: " + thrown);
  }

  /** A standard MBean's interface, which the platform server wants public. */
  public interface StubbornMBean {
    /** Something to show. */
    int getAnswer();
  }

  /** An MBean that refuses to be unregistered until told. */
  public static final class Stubborn implements StubbornMBean, MBeanRegistration {
    volatile boolean letGo;

    @Override
    public int getAnswer() {
      return 42;
    }

    @Override
    public ObjectName preRegister(MBeanServer server, ObjectName name) {
      return name;
    }

    @Override
    public void postRegister(Boolean registrationDone) {}

    @Override
    public void preDeregister() {
      if (!letGo) {
        throw new IllegalStateException("not yet");
      }
    }

    @Override
    public void postDeregister() {}
  }

  /**
   * A createCache whose MXBean registration fails unregisters and closes the cache and throws the
   * registration's failure, an Error from the cleanup suppressed in it, as any createCache that
   * fails part-way. Here the name is held by another manager of the same URI and the log of that
   * fails. Before, the listener's Error replaced the registration's failure.
   */
  @Test
  void aCreateWhoseRegistrationFailsClosesTheCacheAndThrowsTheRegistrationsFailure() {
    NewcacheCacheManager holder = InMemoryManagers.open("flavor=closing", memcached, clock);
    try {
      holder.createCache("c", new MutableConfiguration<String, String>()
          .setTypes(String.class, String.class).setStatisticsEnabled(true));
      IllegalStateException logFailed = new IllegalStateException("the logging backend is gone");
      try (LogThrows log = new LogThrows("belongs to another cache", logFailed)) {
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
            () -> manager.createCache("c", everything("c", "error", "").setStatisticsEnabled(true)));
        assertSame(logFailed, thrown);
        assertEquals(1, thrown.getSuppressed().length, "the listener's Error");
        assertTrue(thrown.getSuppressed()[0] instanceof NoClassDefFoundError, String.valueOf(thrown.getSuppressed()[0]));
      }
      assertNull(manager.getCache("c"));
      assertClosedOnce("c");
    } finally {
      holder.close();
    }
  }

  /**
   * A registration that fails with an Error leaves the cache neither listed nor open. Before, it
   * was only caught as an exception: the cache stayed listed, open, with its resources.
   */
  @Test
  void aCreateWhoseRegistrationThrowsAnErrorLeavesNoCacheOpen() {
    NewcacheCacheManager holder = InMemoryManagers.open("flavor=closing", memcached, clock);
    try {
      holder.createCache("c", new MutableConfiguration<String, String>()
          .setTypes(String.class, String.class).setStatisticsEnabled(true));
      NoClassDefFoundError logFailed = new NoClassDefFoundError("org/example/logging/Gone");
      try (LogThrows log = new LogThrows("belongs to another cache", logFailed)) {
        assertSame(logFailed, assertThrows(NoClassDefFoundError.class,
            () -> manager.createCache("c", everything("c", "", "").setStatisticsEnabled(true))));
      }
      assertNull(manager.getCache("c"));
      assertClosedOnce("c");
    } finally {
      holder.close();
    }
  }

  /** A value codec that weighs a megabyte, so that a retained one would show. */
  public static final class HeavyCodec extends DefaultValueCodec {
    final byte[] ballast = new byte[1 << 20];
  }

  /**
   * A closed or destroyed cache is let go by its open manager: its value codec (with the class
   * loaders under it) is collected. Before, the manager's table of recent keys named the cache's
   * codec as the owner of its {@code String} keys' slots and kept it for as long as they stayed.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aClosedCacheIsNotKeptByItsOpenManager(boolean destroyed) throws Exception {
    ReferenceQueue<Object> collected = new ReferenceQueue<>();
    WeakReference<Object> codec = useAndClose(destroyed, collected);
    for (int i = 0; i < 50 && collected.remove(100) == null; i++) {
      System.gc();
    }
    assertNull(codec.get(), "the closed cache's codec is still reachable");
  }

  private WeakReference<Object> useAndClose(boolean destroyed, ReferenceQueue<Object> collected) {
    HeavyCodec codec = new HeavyCodec();
    NewcacheConfiguration<String, String> config = new NewcacheConfiguration<String, String>().setValueCodec(codec);
    config.setTypes(String.class, String.class);
    Cache<String, String> c = manager.createCache("heavy", config);
    for (int i = 0; i < 100; i++) {
      c.put("k" + i, "v");
      c.get("k" + i);
    }
    if (destroyed) {
      manager.destroyCache("heavy");
    } else {
      c.close();
    }
    return new WeakReference<>(codec, collected);
  }
}
