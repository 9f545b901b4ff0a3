package io.github.newcache;

import io.github.newcache.internal.config.ManagerSettings;
import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.internal.integration.CloseFailures;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
import java.util.concurrent.CountDownLatch;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.configuration.OptionalFeature;
import javax.cache.spi.CachingProvider;

/**
 * The JCache provider for memcached, found by {@code Caching.getCachingProvider()}.
 *
 * <p>The default URI is, in order: the system property {@code newcache.uri}; {@code
 * classpath:newcache.properties} when that resource exists; {@code memcached://127.0.0.1:11211}.
 */
public final class NewcacheCachingProvider implements CachingProvider {

  /** System property naming the default manager URI. */
  public static final String URI_PROPERTY = "newcache.uri";
  /** Classpath resource that, when present, is the default configuration. */
  public static final String DEFAULT_RESOURCE = "newcache.properties";
  static final String FALLBACK_URI = "memcached://127.0.0.1:11211";

  private static final System.Logger LOG = System.getLogger("io.github.newcache");

  /**
   * Per class loader and URI: the open {@link NewcacheCacheManager}, or the {@link Opening} of one
   * being created.
   */
  private final Map<ClassLoader, Map<URI, Object>> managers = new WeakHashMap<>();
  /**
   * The managers whose close has begun (on any thread), or that a close of this provider has taken
   * to close, and whose close has not ended: a close of this provider closes them too, which waits
   * for that close to end (as a second close of a manager does).
   */
  private final Set<NewcacheCacheManager> closing = Collections.newSetFromMap(new IdentityHashMap<>());

  /**
   * Creates a provider with no managers open. {@code Caching.getCachingProvider()} creates the one
   * applications use, through {@code META-INF/services/javax.cache.spi.CachingProvider}.
   */
  public NewcacheCachingProvider() {}

  /**
   * {@inheritDoc}
   *
   * <p>A manager connects to its servers as it is created (up to about 1.5 s for a server that does
   * not answer, longer for a discovery endpoint that does not): that happens outside the provider's
   * lock, so calls for other URIs or class loaders, and {@code close} calls, do not wait for it;
   * callers for the same URI and class loader wait for it and get the same manager.
   */
  @Override
  public CacheManager getCacheManager(URI uri, ClassLoader classLoader, Properties properties) {
    URI u = uri == null ? getDefaultURI() : uri;
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    while (true) {
      Opening mine = null;
      Opening other = null;
      synchronized (this) {
        Map<URI, Object> byUri = managers.computeIfAbsent(loader, l -> new HashMap<>());
        Object slot = byUri.get(u);
        if (slot instanceof NewcacheCacheManager manager) {
          warnIfIgnored(manager, properties);
          return manager;
        } else if (slot instanceof Opening opening) {
          other = opening;
        } else {
          mine = new Opening();
          byUri.put(u, mine);
        }
      }
      if (mine != null) {
        return open(u, loader, properties, mine);
      }
      other.await(); // another caller creates this one: then look again (it may have failed)
    }
  }

  /**
   * Creates the manager the slot {@code opening} holds the place of, outside the lock, and puts it
   * in that place; on failure the place is given up and callers waiting for it try for themselves.
   */
  private NewcacheCacheManager open(URI u, ClassLoader loader, Properties properties, Opening opening) {
    NewcacheCacheManager manager = null;
    try {
      Properties props = copyOf(properties);
      ManagerSettings settings = SettingsParser.parse(u, loader, props);
      manager = new NewcacheCacheManager(this, u, loader, props, settings);
      return manager;
    } finally {
      synchronized (this) {
        Map<URI, Object> byUri = managers.computeIfAbsent(loader, l -> new HashMap<>());
        if (manager != null) {
          byUri.put(u, manager);
        } else {
          byUri.remove(u, opening);
          if (byUri.isEmpty()) {
            managers.remove(loader);
          }
        }
      }
      opening.done();
    }
  }

  /** The place of a manager being created, which callers for the same URI and loader wait for. */
  private static final class Opening {
    private final CountDownLatch done = new CountDownLatch(1);

    void done() {
      done.countDown();
    }

    /** Waits until the creation ends; an interrupted caller's wait ends with a {@link CacheException}. */
    void await() {
      try {
        done.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new CacheException("interrupted while another thread opened the cache manager for this URI", e);
      }
    }
  }

  /**
   * The manager's own copy of the caller's properties (defaults included): what it was created with,
   * whatever the caller changes in its object afterwards.
   */
  private static Properties copyOf(Properties properties) {
    Properties copy = new Properties();
    if (properties != null) {
      for (String name : properties.stringPropertyNames()) {
        copy.setProperty(name, properties.getProperty(name));
      }
      for (Map.Entry<Object, Object> e : properties.entrySet()) {
        copy.putIfAbsent(e.getKey(), e.getValue());
      }
    }
    return copy;
  }

  /**
   * The open manager is returned as the spec says, and the properties given now do not apply: say
   * so when they differ from its own (two contexts of one JVM with different {@code servers}
   * would otherwise share the first one's servers without a word). Names the keys, never values.
   */
  private static void warnIfIgnored(NewcacheCacheManager open, Properties given) {
    if (given == null || given.isEmpty()) {
      return;
    }
    Properties now = copyOf(given); // values put as objects too, as they were applied
    Properties own = open.getProperties();
    Set<String> differing = new TreeSet<>();
    for (Map.Entry<Object, Object> e : now.entrySet()) {
      if (!Objects.equals(e.getValue(), own.get(e.getKey()))) {
        differing.add(String.valueOf(e.getKey()));
      }
    }
    if (!differing.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "getCacheManager(" + open.getURI() + "): the manager for this URI and class"
          + " loader is already open, and the properties given now are ignored (" + String.join(", ", differing)
          + " differ from its own); close it first, or give this configuration another URI");
    }
  }

  @Override
  public CacheManager getCacheManager(URI uri, ClassLoader classLoader) {
    return getCacheManager(uri, classLoader, getDefaultProperties());
  }

  @Override
  public CacheManager getCacheManager() {
    return getCacheManager(getDefaultURI(), getDefaultClassLoader(), getDefaultProperties());
  }

  @Override
  public ClassLoader getDefaultClassLoader() {
    ClassLoader context = Thread.currentThread().getContextClassLoader();
    return context != null ? context : NewcacheCachingProvider.class.getClassLoader();
  }

  @Override
  public URI getDefaultURI() {
    String configured = System.getProperty(URI_PROPERTY);
    String uri = configured;
    if (uri == null || uri.isBlank()) {
      uri = getDefaultClassLoader().getResource(DEFAULT_RESOURCE) != null
          ? "classpath:" + DEFAULT_RESOURCE
          : FALLBACK_URI;
    }
    try {
      return new URI(uri.trim());
    } catch (URISyntaxException e) {
      // Neither the query (it may hold a password) nor the JDK's message, which repeats it all.
      int query = uri.indexOf('?');
      String shown = query < 0 ? uri.trim() : uri.substring(0, query).trim() + "?…";
      throw new IllegalArgumentException(
          "system property " + URI_PROPERTY + "=" + shown + " is not a URI: " + e.getReason() + " at index " + e.getIndex());
    }
  }

  @Override
  public Properties getDefaultProperties() {
    return new Properties();
  }

  /**
   * {@inheritDoc}
   *
   * <p>The managers are taken out of the provider under its lock and closed outside it; a manager
   * still being created meanwhile opens after this close, as if asked for just after it. A manager
   * another thread is closing is waited for as a second close of it waits ({@link
   * NewcacheCacheManager#close}), so that none is left with its threads running when this returns.
   */
  @Override
  public void close() {
    List<NewcacheCacheManager> open = new ArrayList<>();
    synchronized (this) {
      for (Map<URI, Object> byUri : managers.values()) {
        open.addAll(takeOpen(byUri, null));
      }
      managers.values().removeIf(Map::isEmpty);
      addClosing(open, null, null);
      closing.addAll(open);
    }
    closeAll(open);
  }

  @Override
  public void close(ClassLoader classLoader) {
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    List<NewcacheCacheManager> open;
    synchronized (this) {
      open = takeOpen(managers.getOrDefault(loader, new HashMap<>()), null);
      managers.values().removeIf(Map::isEmpty);
      addClosing(open, loader, null);
      closing.addAll(open);
    }
    closeAll(open);
  }

  @Override
  public void close(URI uri, ClassLoader classLoader) {
    URI u = uri == null ? getDefaultURI() : uri;
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    List<NewcacheCacheManager> open;
    synchronized (this) {
      open = takeOpen(managers.getOrDefault(loader, new HashMap<>()), u);
      managers.values().removeIf(Map::isEmpty);
      addClosing(open, loader, u);
      closing.addAll(open);
    }
    closeAll(open);
  }

  /** Takes the open managers out of {@code byUri} (only {@code uri}'s when non-null), leaving those being created. */
  private static List<NewcacheCacheManager> takeOpen(Map<URI, Object> byUri, URI uri) {
    List<NewcacheCacheManager> taken = new ArrayList<>();
    for (Iterator<Map.Entry<URI, Object>> i = byUri.entrySet().iterator(); i.hasNext(); ) {
      Map.Entry<URI, Object> e = i.next();
      if ((uri == null || uri.equals(e.getKey())) && e.getValue() instanceof NewcacheCacheManager m) {
        taken.add(m);
        i.remove();
      }
    }
    return taken;
  }

  /** Adds the managers closing on other threads (only {@code loader}'s and {@code uri}'s when non-null) to {@code open}. */
  private void addClosing(List<NewcacheCacheManager> open, ClassLoader loader, URI uri) {
    for (NewcacheCacheManager m : closing) {
      if ((loader == null || m.getClassLoader() == loader) && (uri == null || m.getURI().equals(uri))) {
        open.add(m);
      }
    }
  }

  /**
   * Closes every manager, each once, the first failure thrown after all were tried, the others
   * suppressed in it; an Error (a resource's close at undeploy) goes before any exception, and
   * one Error that managers sharing a resource threw is thrown as itself ({@link CloseFailures}).
   */
  private static void closeAll(List<NewcacheCacheManager> open) {
    CloseFailures closing = new CloseFailures();
    for (NewcacheCacheManager m : open) {
      closing.run(m::close);
    }
    closing.throwIfAny();
  }

  /** Forgets a manager that is closing, until {@link #closed} says its close has ended. */
  synchronized void release(NewcacheCacheManager manager) {
    closing.add(manager);
    Map<URI, Object> byUri = managers.get(manager.getClassLoader());
    if (byUri != null) {
      byUri.remove(manager.getURI(), manager);
      if (byUri.isEmpty()) {
        managers.remove(manager.getClassLoader());
      }
    }
  }

  /** The close of a manager {@link #release released} has ended. */
  synchronized void closed(NewcacheCacheManager manager) {
    closing.remove(manager);
  }

  @Override
  public boolean isSupported(OptionalFeature optionalFeature) {
    // Entries always cross the network as bytes: there is no reference to hand out.
    return false;
  }
}
