package io.github.newcache;

import io.github.newcache.internal.config.ManagerSettings;
import io.github.newcache.internal.config.SettingsParser;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.WeakHashMap;
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

  private final Map<ClassLoader, Map<URI, NewcacheCacheManager>> managers = new WeakHashMap<>();

  /**
   * Creates a provider with no managers open. {@code Caching.getCachingProvider()} creates the one
   * applications use, through {@code META-INF/services/javax.cache.spi.CachingProvider}.
   */
  public NewcacheCachingProvider() {}

  @Override
  public synchronized CacheManager getCacheManager(URI uri, ClassLoader classLoader, Properties properties) {
    URI u = uri == null ? getDefaultURI() : uri;
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    Map<URI, NewcacheCacheManager> byUri = managers.computeIfAbsent(loader, l -> new HashMap<>());
    NewcacheCacheManager manager = byUri.get(u);
    if (manager == null) {
      Properties props = copyOf(properties);
      ManagerSettings settings = SettingsParser.parse(u, loader, props);
      manager = new NewcacheCacheManager(this, u, loader, props, settings);
      byUri.put(u, manager);
    } else {
      warnIfIgnored(manager, properties);
    }
    return manager;
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

  @Override
  public synchronized void close() {
    for (Map<URI, NewcacheCacheManager> byUri : new ArrayList<>(managers.values())) {
      for (NewcacheCacheManager m : new ArrayList<>(byUri.values())) {
        m.close();
      }
    }
    managers.clear();
  }

  @Override
  public synchronized void close(ClassLoader classLoader) {
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    Map<URI, NewcacheCacheManager> byUri = managers.get(loader);
    if (byUri != null) {
      for (NewcacheCacheManager m : new ArrayList<>(byUri.values())) {
        m.close();
      }
    }
  }

  @Override
  public synchronized void close(URI uri, ClassLoader classLoader) {
    URI u = uri == null ? getDefaultURI() : uri;
    ClassLoader loader = classLoader == null ? getDefaultClassLoader() : classLoader;
    Map<URI, NewcacheCacheManager> byUri = managers.get(loader);
    if (byUri != null && byUri.get(u) != null) {
      byUri.get(u).close();
    }
  }

  /** Forgets a manager that is closing. */
  synchronized void release(NewcacheCacheManager manager) {
    Map<URI, NewcacheCacheManager> byUri = managers.get(manager.getClassLoader());
    if (byUri != null) {
      byUri.remove(manager.getURI(), manager);
      if (byUri.isEmpty()) {
        managers.remove(manager.getClassLoader());
      }
    }
  }

  @Override
  public boolean isSupported(OptionalFeature optionalFeature) {
    // Entries always cross the network as bytes: there is no reference to hand out.
    return false;
  }
}
