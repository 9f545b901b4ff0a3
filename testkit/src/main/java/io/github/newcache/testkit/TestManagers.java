package io.github.newcache.testkit;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.CacheManager;
import javax.cache.Caching;

/**
 * Opens cache managers on the test class's memcached and closes every one of them when the test
 * ends. Each test gets its own flavor ({@link #flavor()}), so its entries never meet another
 * test's, and its own URIs, so it never shares a manager with another test.
 */
public final class TestManagers implements AutoCloseable {

  private static final AtomicInteger TESTS = new AtomicInteger();

  private final LocalMemcached server;
  private final String flavor = "t" + TESTS.incrementAndGet() + "_" + ProcessHandle.current().pid();
  private final List<CacheManager> opened = new ArrayList<>();

  TestManagers(LocalMemcached server) {
    this.server = server;
  }

  public LocalMemcached server() {
    return server;
  }

  /** This test's flavor: a key prefix no other test uses. */
  public String flavor() {
    return flavor;
  }

  /**
   * {@code memcached://127.0.0.1:port/?binary=…&flavor=<this test's flavor>} plus {@code extra}
   * query parameters ({@code a=b&c=d}); an extra {@code flavor=} replaces the test's own.
   */
  public URI uri(Protocol protocol, String extra) {
    StringBuilder q = new StringBuilder("binary=").append(protocol.binary());
    if (extra == null || !("&" + extra).contains("&flavor=")) {
      q.append("&flavor=").append(flavor);
    }
    if (extra != null && !extra.isEmpty()) {
      q.append('&').append(extra);
    }
    return URI.create("memcached://" + server.address() + "/?" + q);
  }

  public URI uri(Protocol protocol) {
    return uri(protocol, null);
  }

  /** A manager for this test in {@code protocol}. */
  public CacheManager open(Protocol protocol) {
    return open(uri(protocol));
  }

  /** A manager with extra query parameters ({@code version=2&opTimeout=3000}). */
  public CacheManager open(Protocol protocol, String extra) {
    return open(uri(protocol, extra));
  }

  public CacheManager open(URI uri) {
    return open(uri, TestManagers.class.getClassLoader(), null);
  }

  public CacheManager open(URI uri, ClassLoader loader, Properties properties) {
    CacheManager m = Caching.getCachingProvider().getCacheManager(uri, loader, properties);
    synchronized (opened) {
      opened.add(m);
    }
    return m;
  }

  @Override
  public void close() {
    synchronized (opened) {
      for (CacheManager m : opened) {
        m.close();
      }
      opened.clear();
    }
  }
}
