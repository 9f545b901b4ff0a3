package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.ConfigEndpointStub;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import io.github.newcache.testing.Threads;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.configuration.OptionalFeature;
import javax.cache.spi.CachingProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The provider: default URI, one manager per URI and class loader, clean shutdown. */
@ExtendWith(MemcachedExtension.class)
class NewcacheCachingProviderTest {

  private String savedUri;

  @BeforeEach
  void saveProperty() {
    savedUri = System.getProperty(NewcacheCachingProvider.URI_PROPERTY);
  }

  @AfterEach
  void restoreProperty() {
    if (savedUri == null) {
      System.clearProperty(NewcacheCachingProvider.URI_PROPERTY);
    } else {
      System.setProperty(NewcacheCachingProvider.URI_PROPERTY, savedUri);
    }
  }

  @Test
  void providerIsFoundByCaching() {
    CachingProvider p = Caching.getCachingProvider();
    assertTrue(p instanceof NewcacheCachingProvider, p.getClass().getName());
    assertFalse(p.isSupported(OptionalFeature.STORE_BY_REFERENCE));
  }

  @Test
  void defaultUriIsLocalhostUnlessThePropertyIsSet(TestManagers managers) {
    CachingProvider p = Caching.getCachingProvider();
    System.clearProperty(NewcacheCachingProvider.URI_PROPERTY);
    assertEquals(URI.create("memcached://127.0.0.1:11211"), p.getDefaultURI());

    URI mine = managers.uri(Protocol.BINARY);
    System.setProperty(NewcacheCachingProvider.URI_PROPERTY, mine.toString());
    assertEquals(mine, p.getDefaultURI());
    CacheManager m = p.getCacheManager();
    try {
      assertEquals(mine, m.getURI());
      assertSame(m, p.getCacheManager(null, null));
    } finally {
      m.close();
    }

    System.clearProperty(NewcacheCachingProvider.URI_PROPERTY);
    assertEquals(URI.create("memcached://127.0.0.1:11211"), p.getDefaultURI());
  }

  /**
   * Asking again for an open manager with other properties returns it, as the spec says, and warns
   * that they are ignored, naming the keys that differ but no value.
   */
  @Test
  void propertiesGivenForAnOpenManagerAreIgnoredWithAWarning(TestManagers managers) {
    URI uri = managers.uri(Protocol.TEXT);
    java.util.logging.Logger log = java.util.logging.Logger.getLogger("io.github.newcache");
    java.util.List<String> warnings = new java.util.concurrent.CopyOnWriteArrayList<>();
    java.util.logging.Handler capture = new java.util.logging.Handler() {
      @Override
      public void publish(java.util.logging.LogRecord r) {
        warnings.add(r.getMessage());
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    log.addHandler(capture);
    try {
      java.util.Properties first = new java.util.Properties();
      first.setProperty("opTimeout", "1234");
      CacheManager a = managers.open(uri, getClass().getClassLoader(), first);
      assertSame(a, managers.open(uri, getClass().getClassLoader(), first));
      assertTrue(warnings.isEmpty(), "the same properties: " + warnings);
      java.util.Properties second = new java.util.Properties();
      second.setProperty("opTimeout", "4321");
      assertSame(a, managers.open(uri, getClass().getClassLoader(), second));
      assertEquals(1, warnings.size(), String.valueOf(warnings));
      assertTrue(warnings.get(0).contains("opTimeout") && warnings.get(0).contains("ignored"), warnings.get(0));
      assertFalse(warnings.get(0).contains("4321"), warnings.get(0));

      // The manager keeps its own copy: the caller changing its object changes neither what the
      // manager says it was created with nor the warning when that object is given again.
      first.setProperty("opTimeout", "5678");
      assertEquals("1234", a.getProperties().getProperty("opTimeout"));
      assertSame(a, managers.open(uri, getClass().getClassLoader(), first));
      assertEquals(2, warnings.size(), String.valueOf(warnings));
      // A value put as an object is compared too, as it would have been applied.
      java.util.Properties third = new java.util.Properties();
      third.put("opTimeout", 4321);
      assertSame(a, managers.open(uri, getClass().getClassLoader(), third));
      assertEquals(3, warnings.size(), String.valueOf(warnings));
    } finally {
      log.removeHandler(capture);
    }
  }

  /**
   * A default URI that is not a URI is refused without repeating its query, where a password may
   * be: before, the message (and its cause's) quoted the whole property.
   */
  @Test
  void aMalformedDefaultUriIsRefusedWithoutRepeatingItsQuery() {
    CachingProvider p = Caching.getCachingProvider();
    System.setProperty(NewcacheCachingProvider.URI_PROPERTY, "memcached://h:11211/?password=p^ss");
    try {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, p::getDefaultURI);
      for (Throwable t = e; t != null; t = t.getCause()) {
        assertFalse(String.valueOf(t.getMessage()).contains("p^ss"), t.toString());
      }
      assertTrue(e.getMessage().contains("memcached://h:11211/") && e.getMessage().contains("Illegal character"),
          e.getMessage());
    } finally {
      System.clearProperty(NewcacheCachingProvider.URI_PROPERTY);
    }
  }

  /**
   * A manager whose close throws an Error (a listener's close at a web application's undeploy)
   * keeps the provider's other managers from closing no more than it keeps its own caches: each is
   * closed, then the Error is thrown. Before, the first Error escaped and the other manager stayed open.
   */
  @Test
  void providerCloseClosesEveryManagerWhateverErrorOneThrows(TestManagers managers) throws Exception {
    CachingProvider p = Caching.getCachingProvider();
    try (URLClassLoader loader = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
      CacheManager a = managers.open(managers.uri(Protocol.TEXT), loader, null);
      CacheManager b = managers.open(managers.uri(Protocol.BINARY), loader, null);
      for (CacheManager m : List.of(a, b)) {
        m.createCache("undeployed", new MutableConfiguration<String, String>().setTypes(String.class, String.class)
            .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<String, String>(
                FactoryBuilder.factoryOf(new ClosingTest.Listener(m.getURI() + " listener", "error")), null, false, true)));
      }
      NoClassDefFoundError thrown = assertThrows(NoClassDefFoundError.class, () -> p.close(loader));
      assertEquals(1, thrown.getSuppressed().length, "the other manager's Error, suppressed in the first");
      assertTrue(a.isClosed() && b.isClosed());
    }
  }

  /**
   * One listener instance shared by two managers, whose close throws one and the same Error:
   * provider.close threw "Self-suppression not permitted" (an IllegalArgumentException from
   * adding the Error to itself) instead of the Error, and a manager after it would stay open.
   */
  @Test
  void providerCloseThrowsAnErrorTwoManagersShareAsItself(TestManagers managers) throws Exception {
    CachingProvider p = Caching.getCachingProvider();
    try (URLClassLoader loader = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
      List<CacheManager> open = List.of(managers.open(managers.uri(Protocol.TEXT), loader, null),
          managers.open(managers.uri(Protocol.BINARY), loader, null),
          managers.open(managers.uri(Protocol.TEXT, "opTimeout=1500"), loader, null));
      SharedErrorListener shared = new SharedErrorListener();
      for (CacheManager m : open) {
        m.createCache("shared", new MutableConfiguration<String, String>().setTypes(String.class, String.class)
            .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<String, String>(
                FactoryBuilder.factoryOf(shared), null, false, true)));
      }
      NoClassDefFoundError thrown = assertThrows(NoClassDefFoundError.class, () -> p.close(loader));
      assertSame(SharedErrorListener.ERROR, thrown);
      for (CacheManager m : open) {
        assertTrue(m.isClosed(), m.getURI() + " closed");
      }
    }
  }

  /**
   * A provider close while another thread closes one of its managers returns once that close has
   * ended. Before, the manager's close had taken it out of the provider's list first, and the
   * provider's close returned at once, the manager's caches and connections still open.
   */
  @Test
  void providerCloseWaitsForAManagerAnotherThreadIsClosing(TestManagers managers) throws Exception {
    CachingProvider p = Caching.getCachingProvider();
    try (URLClassLoader loader = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
      CacheManager m = managers.open(managers.uri(Protocol.TEXT), loader, null);
      Gate.reset();
      Gate.watch(m);
      Thread managerClose = new Thread(m::close, "provider-test-manager-close");
      managerClose.start();
      Threads.awaitReleased(Gate.entered(m));

      boolean[] closedWhenReturned = new boolean[1];
      Thread providerClose = new Thread(() -> {
        p.close(loader);
        closedWhenReturned[0] = Gate.closed(m);
      }, "provider-test-provider-close");
      providerClose.start();
      Threads.awaitWaitingOrEnded(providerClose, Duration.ofSeconds(10));
      Gate.release();
      providerClose.join(10_000);
      managerClose.join(10_000);
      assertFalse(providerClose.isAlive() || managerClose.isAlive(), "both closes returned");
      assertTrue(closedWhenReturned[0], "the provider's close returned after the manager's close had ended");
    }
  }

  /**
   * A provider close for one URI while another provider close has taken that URI's manager but not
   * yet begun closing it (it closes another manager first) returns once that manager is closed.
   * Before, the manager was in neither the provider's list nor its closing set, and the close
   * returned at once with it open (review 80).
   */
  @Test
  void providerCloseWaitsForAManagerAnotherProviderCloseHasTaken(TestManagers managers) throws Exception {
    CachingProvider p = Caching.getCachingProvider();
    try (URLClassLoader loader = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
      List<CacheManager> both = List.of(managers.open(managers.uri(Protocol.TEXT), loader, null),
          managers.open(managers.uri(Protocol.BINARY), loader, null));
      Gate.reset();
      both.forEach(Gate::watch);
      Thread all = new Thread(() -> p.close(loader), "provider-test-close-all");
      all.start();
      CacheManager first = null;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (first == null && System.nanoTime() < deadline) {
        for (CacheManager m : both) {
          if (Gate.entered(m).await(10, TimeUnit.MILLISECONDS)) {
            first = m;
          }
        }
      }
      assertTrue(first != null, "the provider's close began closing a manager");
      CacheManager other = both.get(0) == first ? both.get(1) : both.get(0);

      boolean[] closedWhenReturned = new boolean[1];
      Thread one = new Thread(() -> {
        p.close(other.getURI(), loader);
        closedWhenReturned[0] = Gate.closed(other);
      }, "provider-test-close-one");
      one.start();
      Threads.awaitWaitingOrEnded(one, Duration.ofSeconds(10));
      Gate.release();
      one.join(10_000);
      all.join(10_000);
      assertFalse(one.isAlive() || all.isAlive(), "both closes returned");
      assertTrue(closedWhenReturned[0], "close(uri, loader) returned after that manager was closed");
    }
  }

  /** A listener per manager whose close says so, then waits until the test lets it go. */
  public static final class Gate
      implements javax.cache.event.CacheEntryCreatedListener<String, String>, java.io.Closeable, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static final Map<URI, CountDownLatch> ENTERED = new ConcurrentHashMap<>();
    static final Set<URI> CLOSED = ConcurrentHashMap.newKeySet();
    static volatile CountDownLatch released;
    private final URI manager;

    Gate(URI manager) {
      this.manager = manager;
    }

    static void reset() {
      ENTERED.clear();
      CLOSED.clear();
      released = new CountDownLatch(1);
    }

    /** Gives {@code m} a cache whose listener is a gate. */
    static void watch(CacheManager m) {
      ENTERED.put(m.getURI(), new CountDownLatch(1));
      m.createCache("held", new MutableConfiguration<String, String>().setTypes(String.class, String.class)
          .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<String, String>(
              FactoryBuilder.factoryOf(new Gate(m.getURI())), null, false, true)));
    }

    static CountDownLatch entered(CacheManager m) {
      return ENTERED.get(m.getURI());
    }

    static boolean closed(CacheManager m) {
      return CLOSED.contains(m.getURI());
    }

    static void release() {
      released.countDown();
    }

    @Override
    public void onCreated(Iterable<javax.cache.event.CacheEntryEvent<? extends String, ? extends String>> events) {}

    @Override
    public void close() {
      ENTERED.get(manager).countDown();
      Threads.awaitReleased(released);
      CLOSED.add(manager);
    }
  }

  /** A listener whose close throws one Error object, whoever closes it. */
  public static final class SharedErrorListener
      implements javax.cache.event.CacheEntryCreatedListener<String, String>, java.io.Closeable, java.io.Serializable {
    private static final long serialVersionUID = 1L;
    static final NoClassDefFoundError ERROR = new NoClassDefFoundError("a class of an undeployed application");

    @Override
    public void onCreated(Iterable<javax.cache.event.CacheEntryEvent<? extends String, ? extends String>> events) {}

    @Override
    public void close() {
      throw ERROR;
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void sameUriAndLoaderGiveTheSameManagerUntilClosed(Protocol p, TestManagers managers) throws Exception {
    URI uri = URI.create("memcached://" + managers.server().address() + "/?binary=" + p.binary()
        + "&flavor=" + managers.flavor());
    CacheManager a = managers.open(uri);
    assertSame(a, managers.open(uri));
    assertSame(a, managers.open(URI.create(uri.toString())), "equal URIs give the same manager");
    assertEquals(uri.toString(), a.getURI().toString(), "getURI returns the URI as given");

    URI noSlash = URI.create(uri.toString().replace("/?", "?"));
    CacheManager b = managers.open(noSlash);
    assertNotSame(a, b);
    assertEquals(noSlash.toString(), b.getURI().toString());

    try (URLClassLoader other = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
      CacheManager c = managers.open(uri, other, null);
      assertNotSame(a, c, "another class loader gets its own manager");
      assertSame(other, c.getClassLoader());
    }

    a.close();
    CacheManager again = managers.open(uri);
    assertNotSame(a, again, "a closed manager is not handed out again");
    assertFalse(again.isClosed());
  }

  @Test
  void providerCloseClosesItsManagers(TestManagers managers) throws Exception {
    CachingProvider p = Caching.getCachingProvider();
    try (URLClassLoader loader = new URLClassLoader(new URL[0], getClass().getClassLoader())) {
      CacheManager a = managers.open(managers.uri(Protocol.TEXT), loader, null);
      CacheManager b = managers.open(managers.uri(Protocol.BINARY), loader, null);
      p.close(a.getURI(), loader);
      assertTrue(a.isClosed());
      assertFalse(b.isClosed());
      p.close(loader);
      assertTrue(b.isClosed());
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void closeLeavesNoMemcachedThreads(Protocol p, TestManagers managers) throws Exception {
    Set<Thread> before = new HashSet<>(Threads.named("Memcached IO"));
    CacheManager a = managers.open(p);
    CacheManager b = managers.open(p, "opTimeout=1500");
    Cache<String, String> c = a.createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    c.put("k", "v");
    c.iterator().hasNext();
    Cache<String, String> d = b.createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    assertEquals("v", d.get("k"));
    List<Thread> running = Threads.named("Memcached IO");
    running.removeAll(before);
    assertTrue(running.size() >= 2, "each manager has its spymemcached IO thread: " + running);

    a.close();
    b.close();
    List<Thread> left = Threads.awaitGone("Memcached IO", before, Duration.ofSeconds(10));
    assertTrue(left.isEmpty(), "spymemcached threads left after close: " + left);
  }

  /**
   * A manager that takes long to connect (here a discovery endpoint that reads the request and
   * never answers) holds back neither managers of other URIs nor {@code close} calls. Before, the
   * provider created managers under its one lock, so every other {@code getCacheManager} and
   * {@code close} waited the connect out (up to the operation timeout, here 10 s).
   */
  @Test
  void aManagerSlowToConnectHoldsBackNoOtherManager(TestManagers managers) throws Exception {
    CachingProvider provider = Caching.getCachingProvider();
    try (ConfigEndpointStub endpoint = ConfigEndpointStub.start()) {
      endpoint.setSilent(true);
      URI slow = URI.create("memcached://127.0.0.1:" + endpoint.port()
          + "/?discovery=elasticache&opTimeout=10000&flavor=" + managers.flavor());
      CompletableFuture<CacheManager> opening = CompletableFuture.supplyAsync(
          () -> provider.getCacheManager(slow, getClass().getClassLoader(), null));
      long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
      while (endpoint.requests() == 0 && System.nanoTime() < until) {
        Thread.sleep(1);
      }
      assertEquals(1, endpoint.requests(), "the slow manager asks its endpoint");

      CacheManager other = managers.open(Protocol.TEXT);
      assertFalse(other.isClosed());
      provider.close(other.getURI(), other.getClassLoader());
      assertTrue(other.isClosed());
      assertFalse(opening.isDone(), "another URI's manager opened and closed while the slow one still connects");

      endpoint.close(); // its connection closed: the slow manager's start fails now
      ExecutionException failed = assertThrows(ExecutionException.class, () -> opening.get(20, TimeUnit.SECONDS));
      assertTrue(failed.getCause() instanceof CacheException, String.valueOf(failed.getCause()));
      // its place is given up: the next caller tries again (and fails again, the endpoint is gone)
      assertThrows(CacheException.class, () -> provider.getCacheManager(slow, getClass().getClassLoader(), null));
    }
  }
}
