package io.github.newcache.internal.config;

import io.github.newcache.FailurePolicy;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;

/**
 * Turns a manager URI (and optional override {@link Properties}) into {@link ManagerSettings}.
 *
 * <p>Two forms are accepted:
 *
 * <ul>
 *   <li>{@code memcached://host[:port][,host[:port]…][/][?param=value&…]}: servers in the
 *       authority, settings as query parameters;
 *   <li>{@code file:}, {@code jar:} (including Spring Boot's {@code jar:nested:}), {@code
 *       classpath:} or {@code classpath://}: a properties file carrying {@code servers=} and the
 *       same settings, plus cache declarations {@code cache.<name>.<attribute>=value}.
 * </ul>
 *
 * Every error names the input, where it came from and what is allowed.
 */
public final class SettingsParser {

  /** Settings accepted in a URI query, a properties file or override properties. */
  public static final Set<String> SETTINGS = Settings.MANAGER_BY_NAME.keySet();

  /** Attributes accepted in {@code cache.<name>.<attribute>}. */
  public static final Set<String> CACHE_ATTRIBUTES = Settings.CACHE_BY_NAME.keySet();

  public static final String DEFAULT_KEY_MANGLER = Settings.DEFAULT_KEY_MANGLER;
  public static final String DEFAULT_VALUE_CODEC = Settings.DEFAULT_VALUE_CODEC;

  private SettingsParser() {}

  /**
   * Parses {@code uri}; {@code overrides} (may be null) win over what the URI or file says.
   * Keys in {@code overrides} that are not settings are ignored, because frameworks pass their own
   * properties through the same object.
   */
  public static ManagerSettings parse(URI uri, ClassLoader loader, Properties overrides) {
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    Map<String, String> values = new LinkedHashMap<>();
    String source;
    Set<String> uriKeys = new java.util.HashSet<>();
    if (scheme.equals("memcached")) {
      source = "URI " + withoutQuery(uri);
      // Any '@', not getRawUserInfo(): Java reads an authority it cannot parse as one server (a
      // list of servers, a name with '_') as registry-based, with no user information, and a
      // password holding '/', '?' or '#' ends the authority early, leaving the '@' in the path,
      // query or fragment. No setting's value holds an '@'.
      if (uri.toString().indexOf('@') >= 0) {
        throw new IllegalArgumentException(
            // Not the URI, not even without its query: the part before the '@' is the secret.
            "a memcached:// manager URI must not hold an '@': user information (user:password@) is "
                + "refused, since URIs end up in logs; give SASL credentials as username and password in "
                + "the properties file or the Properties given to getCacheManager (a setting whose value "
                + "holds an '@' goes there too)");
      }
      SecuritySettings.refuseInUri(uri, source);
      if (uri.getRawFragment() != null) {
        throw new IllegalArgumentException(
            source + ": a fragment (#...) is not read; settings go in the query (?binary=true&...)");
      }
      values.put("servers", authority(uri, source));
      values.putAll(query(uri, source));
      uriKeys.addAll(values.keySet());
      for (String key : values.keySet()) {
        if (!SETTINGS.contains(key)) {
          throw new IllegalArgumentException(
              source + ": unknown parameter '" + key + "'; allowed: " + sorted(SETTINGS));
        }
      }
    } else if (Set.of("file", "jar", "classpath").contains(scheme)) {
      source = "properties file " + uri;
      Properties file = load(uri, loader);
      for (String key : file.stringPropertyNames()) {
        checkKnown(key, source);
        values.put(key, file.getProperty(key).trim());
      }
    } else {
      throw new IllegalArgumentException(
          "cache manager URI " + withoutQuery(uri) + ": unsupported scheme '" + scheme + "'; allowed: "
              + "memcached://host[:port][,host[:port]...][/?param=value&...], or a properties file "
              + "as file:, jar:, classpath: or classpath://");
    }
    if (overrides != null) {
      java.util.Set<String> overridden = new java.util.TreeSet<>();
      for (Map.Entry<String, String> e : settingValues(overrides).entrySet()) {
        String key = e.getKey();
        if (SETTINGS.contains(key) || key.startsWith("cache.")) {
          checkKnown(key, "override properties");
          values.put(key, e.getValue().trim());
          overridden.add(key);
          uriKeys.remove(key);
        }
      }
      if (!overridden.isEmpty()) {
        source = source + " with override properties " + overridden;
      }
    }
    // A URI's query is never repeated in an error; a file's and the overrides' values (never the
    // secret ones) are.
    return build(values, new Source(source, uriKeys));
  }

  /**
   * The properties' values by name, defaults included. A value put as another object than a
   * string ({@code put("opTimeout", 500)}, {@code put("binary", true)}), which {@link
   * Properties#stringPropertyNames} leaves out, counts by its {@code toString()}, so it is applied
   * or refused like the string, never skipped without a word.
   */
  private static Map<String, String> settingValues(Properties properties) {
    Map<String, String> out = new LinkedHashMap<>();
    for (String name : properties.stringPropertyNames()) {
      out.put(name, properties.getProperty(name));
    }
    for (Map.Entry<Object, Object> e : properties.entrySet()) {
      if (e.getKey() instanceof String name && !(e.getValue() instanceof String) && e.getValue() != null) {
        out.put(name, e.getValue().toString());
      }
    }
    return out;
  }

  /** {@code uri} without user information, query and fragment: what errors may show of it. */
  static String withoutQuery(URI uri) {
    if (uri.isOpaque() || uri.getRawAuthority() == null) {
      return uri.getScheme() + ":" + (uri.isOpaque() ? uri.getRawSchemeSpecificPart().replaceAll("\\?.*", "") : "");
    }
    String host = uri.getRawAuthority();
    int at = host.lastIndexOf('@');
    return uri.getScheme() + "://" + (at >= 0 ? host.substring(at + 1) : host) + (uri.getRawPath() == null ? "" : uri.getRawPath());
  }

  private static void checkKnown(String key, String source) {
    if (SETTINGS.contains(key)) {
      return;
    }
    if (key.startsWith("cache.")) {
      if (attribute(key) != null) {
        return;
      }
      throw new IllegalArgumentException(
          source + ": '" + key + "' is not cache.<name>.<attribute> with an attribute among "
              + sorted(CACHE_ATTRIBUTES));
    }
    throw new IllegalArgumentException(
        source + ": unknown setting '" + key + "'; allowed: " + sorted(SETTINGS)
            + " and cache.<name>.<attribute>");
  }

  /**
   * The attribute of {@code cache.<name>.<attribute>}: a known two-part attribute ({@code
   * nearCache.maxEntries}) or else the last part, when it is known and the name is not empty; null
   * otherwise. Names may hold dots (Hibernate's region names do).
   */
  static String attribute(String key) {
    int last = key.lastIndexOf('.');
    int previous = last < 0 ? -1 : key.lastIndexOf('.', last - 1);
    if (previous > "cache.".length() && CACHE_ATTRIBUTES.contains(key.substring(previous + 1))) {
      return key.substring(previous + 1);
    }
    if (last > "cache.".length() && CACHE_ATTRIBUTES.contains(key.substring(last + 1))) {
      return key.substring(last + 1);
    }
    return null;
  }

  private static ManagerSettings build(Map<String, String> v, Source source) {
    String where = source.manager();
    String servers = Settings.SERVERS.get(v, where, source);
    if (servers == null || servers.isBlank()) {
      throw new IllegalArgumentException(
          source + ": no memcached servers; give servers=host[:port][,host[:port]...]");
    }
    String keyMangler = Settings.KEY_MANGLER.get(v, where, source);
    String valueCodec = Settings.VALUE_CODEC.get(v, where, source);
    if (keyMangler.isEmpty() || valueCodec.isEmpty()) {
      throw new IllegalArgumentException(source + ": keyMangler and valueCodec need a class name");
    }
    boolean binary = Settings.BINARY.get(v, where, source);
    List<InetSocketAddress> serverList = servers(servers, source.description());
    NearCacheSettings near = nearCache(v, where, source, NearCacheSettings.OFF, Settings.NEAR_MAX_ENTRIES_DEFAULT,
        Settings.NEAR_MAX_BYTES_DEFAULT, Settings.NEAR_STALENESS_DEFAULT);
    return new ManagerSettings(
        serverList,
        binary,
        Settings.FLAVOR.get(v, where, source),
        Settings.VERSION.get(v, where, source).intValue(),
        keyMangler,
        valueCodec,
        Settings.OP_TIMEOUT.get(v, where, source),
        Settings.LIST_TIMEOUT.get(v, where, source).intValue(),
        Settings.MAX_ITEM_SIZE.get(v, where, source).intValue(),
        caches(v, source, near),
        ConnectionSettings.from(v, source),
        SecuritySettings.from(v, binary, source),
        new CacheDefaults(
            Settings.STATISTICS_DEFAULT.get(v, where, source),
            Settings.MANAGEMENT_DEFAULT.get(v, where, source),
            near),
        TlsSettings.from(v, source),
        DiscoverySettings.from(v, serverList, source));
  }

  private static Map<String, CacheDeclaration> caches(Map<String, String> v, Source source, NearCacheSettings near) {
    Map<String, Map<String, String>> byName = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : v.entrySet()) {
      String key = e.getKey();
      if (key.startsWith("cache.")) {
        String attribute = attribute(key);
        String name = key.substring("cache.".length(), key.length() - attribute.length() - 1);
        byName.computeIfAbsent(name, n -> new LinkedHashMap<>()).put(attribute, e.getValue());
      }
    }
    Map<String, CacheDeclaration> caches = new LinkedHashMap<>();
    for (Map.Entry<String, Map<String, String>> e : byName.entrySet()) {
      String name = e.getKey();
      Map<String, String> a = e.getValue();
      String where = source.cache(name);
      if (a.containsKey(Settings.STALE_WHILE_REVALIDATE.name())) {
        // Accepted but never applied would be worse than refused: a declared cache has no loader.
        throw new IllegalArgumentException(
            where + "staleWhileRevalidate cannot apply: stale-while-revalidate needs a read-through cache "
                + "with a CacheLoader, which a properties file cannot declare; set it in code with "
                + "NewcacheConfiguration.setStaleWhileRevalidateMillis on a cache created with its loader");
      }
      String expiry = Settings.EXPIRY.get(a, where, source);
      long millis = 0;
      if (expiry.equals("eternal")) {
        if (a.containsKey(Settings.EXPIRY_DURATION.name())) {
          // Accepted and ignored, it would leave the cache eternal without a word.
          throw new IllegalArgumentException(
              where + "expiryDuration=" + a.get(Settings.EXPIRY_DURATION.name()) + " has no expiry to apply to: cache."
                  + name + ".expiry is eternal" + (a.containsKey(Settings.EXPIRY.name()) ? "" : " (the default)")
                  + "; set it to created, accessed, modified or touched, or leave expiryDuration out");
        }
      } else {
        Long duration = Settings.EXPIRY_DURATION.get(a, where, source);
        if (duration == null) {
          throw new IllegalArgumentException(
              where + "expiry=" + expiry + " needs cache." + name + ".expiryDuration (e.g. 10m)");
        }
        millis = duration;
      }
      caches.put(
          name,
          new CacheDeclaration(
              name,
              Settings.KEY_TYPE.get(a, where, source),
              Settings.VALUE_TYPE.get(a, where, source),
              expiry,
              millis,
              // The cache's own choice wins; without one, the manager-wide default applies.
              a.containsKey(Settings.STATISTICS.name())
                  ? Settings.STATISTICS.get(a, where, source)
                  : Settings.STATISTICS_DEFAULT.get(v, source.manager(), source),
              a.containsKey(Settings.MANAGEMENT.name())
                  ? Settings.MANAGEMENT.get(a, where, source)
                  : Settings.MANAGEMENT_DEFAULT.get(v, source.manager(), source),
              FailurePolicy.parse(Settings.FAILURES.get(a, where, source), where + "failures"),
              Settings.SINGLE_FLIGHT.get(a, where, source),
              Settings.LEASE_TIMEOUT.get(a, where, source),
              Settings.STALE_WHILE_REVALIDATE.get(a, where, source),
              a.containsKey(Settings.NEAR_MAX_ENTRIES.name())
                      || a.containsKey(Settings.NEAR_MAX_BYTES.name())
                      || a.containsKey(Settings.NEAR_STALENESS.name())
                  ? nearCache(a, where, source, near, Settings.NEAR_MAX_ENTRIES, Settings.NEAR_MAX_BYTES,
                      Settings.NEAR_STALENESS)
                  : null));
    }
    return caches;
  }

  /**
   * A near cache's settings, each one given in {@code v} or else {@code inherited}'s (the manager's
   * default, for a cache's declaration): a cache that sets only its staleness gets the manager's
   * near cache with its own δ. A byte bound or staleness that ends up with no number of entries is
   * refused, since it would be accepted but never applied.
   */
  private static NearCacheSettings nearCache(Map<String, String> v, String where, Source source,
      NearCacheSettings inherited, Setting<Long> entries, Setting<Long> bytes, Setting<Long> staleness) {
    long maxEntries = v.containsKey(entries.name()) ? entries.get(v, where, source) : inherited.maxEntries();
    if (maxEntries == 0 && (v.containsKey(bytes.name()) || v.containsKey(staleness.name()))) {
      throw new IllegalArgumentException(
          where + (v.containsKey(bytes.name()) ? bytes.name() : staleness.name()) + " cannot apply: the near cache is "
              + "off until " + entries.name() + " gives the number of entries it may hold (e.g. " + entries.name()
              + "=10000" + (entries.scope() == Setting.Scope.CACHE ? ", or nearCache.maxEntries for every cache" : "")
              + ")");
    }
    if (maxEntries == 0) {
      return NearCacheSettings.OFF;
    }
    return new NearCacheSettings(
        maxEntries,
        v.containsKey(bytes.name()) ? bytes.get(v, where, source) : inherited.maxBytes(),
        v.containsKey(staleness.name()) ? staleness.get(v, where, source) : inherited.stalenessMillis());
  }

  /** Parses {@code host[:port],host[:port]}; IPv6 hosts go in brackets. */
  static List<InetSocketAddress> servers(String list, String source) {
    List<InetSocketAddress> servers = new ArrayList<>();
    for (String part : list.split(",", -1)) {
      String s = part.trim();
      String host;
      String port = null;
      if (s.startsWith("[")) {
        int close = s.indexOf(']');
        if (close < 0) {
          throw badServer(s, source);
        }
        host = s.substring(1, close);
        String rest = s.substring(close + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw badServer(s, source);
          }
          port = rest.substring(1);
        }
      } else {
        int colon = s.indexOf(':');
        host = colon < 0 ? s : s.substring(0, colon);
        port = colon < 0 ? null : s.substring(colon + 1);
      }
      if (host.isEmpty() || host.chars().anyMatch(c -> c <= ' ' || c == '/' || (c == ':' && !s.startsWith("[")))) {
        throw badServer(s, source);
      }
      int p = Settings.DEFAULT_PORT;
      if (port != null) {
        try {
          p = Integer.parseInt(port);
        } catch (NumberFormatException e) {
          p = -1;
        }
        if (p < 1 || p > 65535) {
          throw badServer(s, source);
        }
      }
      InetSocketAddress server = InetSocketAddress.createUnresolved(host, p);
      for (InetSocketAddress other : servers) {
        if (other.getPort() == p && other.getHostString().equalsIgnoreCase(host)) {
          // Listed twice, a server would be two nodes of the ring: every listing of the cache's
          // entries (iterator, clear, removeAll) would hand out each of its entries twice.
          throw new IllegalArgumentException(
              source + ": server '" + s + "' is listed twice; list each server once");
        }
      }
      servers.add(server);
    }
    return servers;
  }

  private static IllegalArgumentException badServer(String s, String source) {
    return new IllegalArgumentException(
        source + ": server '" + s + "' is not host[:port] with a port from 1 to 65535 "
            + "(IPv6 as [addr]:port)");
  }

  private static String authority(URI uri, String source) {
    String authority = uri.getRawAuthority();
    if (authority == null || authority.isEmpty()) {
      throw new IllegalArgumentException(
          source + ": no servers; use memcached://host[:port][,host[:port]...]");
    }
    String path = uri.getRawPath();
    if (path != null && !path.isEmpty() && !path.equals("/")) {
      throw new IllegalArgumentException(
          source + ": unexpected path '" + path + "'; settings go in the query (?binary=true)");
    }
    return authority;
  }

  private static Map<String, String> query(URI uri, String source) {
    Map<String, String> params = new LinkedHashMap<>();
    String q = uri.getRawQuery();
    if (q == null || q.isEmpty()) {
      return params;
    }
    for (String pair : q.split("&", -1)) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        String name = URLDecoder.decode(pair, StandardCharsets.UTF_8);
        throw new IllegalArgumentException(
            source + ": " + (SETTINGS.contains(name) ? "the query part '" + name + "' has no value; use " + name + "=value"
                : "a query part is not param=value (query parts other than names are not repeated in errors)"));
      }
      String key = percentDecoded(pair.substring(0, eq));
      if (key.equals("servers")) {
        throw new IllegalArgumentException(
            source + ": servers go in the authority (memcached://h1:p1,h2:p2/), not the query");
      }
      if (params.put(key, percentDecoded(pair.substring(eq + 1))) != null && SETTINGS.contains(key)) {
        throw new IllegalArgumentException(source + ": parameter '" + key + "' is given twice; give it once");
      }
    }
    return params;
  }

  /**
   * A query part with its %XX escapes decoded. A '+' stays a '+' (a URI's query is not an HTML
   * form: {@code tlsTrustStore=/etc/ca+x.pem} names that file).
   */
  private static String percentDecoded(String part) {
    return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /**
   * Reads the file as UTF-8, or as ISO-8859-1 ({@link Properties#load(InputStream)}'s encoding) when
   * it is not valid UTF-8, as Java reads resource bundles: a UTF-8 file's {@code cache.café.*} or
   * non-ASCII secret would otherwise be read as other characters (other bytes), and the same
   * value given in {@code Properties} would not match it.
   */
  private static Properties load(URI uri, ClassLoader loader) {
    Properties p = new OnceEach("properties file " + uri);
    try (InputStream in = open(uri, loader)) {
      byte[] bytes = in.readAllBytes();
      String text;
      try {
        text = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(ByteBuffer.wrap(bytes))
            .toString();
      } catch (CharacterCodingException notUtf8) {
        text = new String(bytes, StandardCharsets.ISO_8859_1);
      }
      p.load(new StringReader(text.startsWith("\uFEFF") ? text.substring(1) : text));
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read properties file " + uri + ": " + e, e);
    }
    return p;
  }

  /**
   * A file's properties, each key given once: a key given twice is refused (naming the key, not its
   * values, which may be secrets), as a URI's parameter given twice is; {@link Properties} alone
   * lets the last line win without a word.
   */
  private static final class OnceEach extends Properties {
    private static final long serialVersionUID = 1L;
    private final String source;

    OnceEach(String source) {
      this.source = source;
    }

    @Override
    public synchronized Object put(Object key, Object value) {
      if (containsKey(key)) {
        throw new IllegalArgumentException(source + ": '" + key + "' is given twice; keep one line of it");
      }
      return super.put(key, value);
    }
  }

  private static InputStream open(URI uri, ClassLoader loader) throws IOException {
    if (!uri.getScheme().equalsIgnoreCase("classpath")) {
      return uri.toURL().openStream();
    }
    // classpath:x.properties, classpath:/x.properties, classpath://x.properties
    String path = uri.getSchemeSpecificPart();
    while (path.startsWith("/")) {
      path = path.substring(1);
    }
    InputStream in = loader.getResourceAsStream(path);
    if (in == null) {
      throw new IOException("no resource '" + path + "' on the class path");
    }
    return in;
  }

  private static String sorted(Set<String> s) {
    return new java.util.TreeSet<>(s).toString();
  }
}
