package io.github.newcache.demo;

import io.github.newcache.testkit.LocalMemcached;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.management.CacheStatisticsMXBean;
import javax.cache.spi.CachingProvider;
import javax.management.JMX;
import javax.management.ObjectName;

/**
 * The demo: a tour of Newcache against a real memcached. With no argument it starts its own
 * memcached on a free loopback port; with {@code memcached://host:port} it uses that server.
 */
public final class Demo {

  private Demo() {}

  public static void main(String[] args) throws Exception {
    LocalMemcached local = null;
    String server;
    if (args.length > 0 && !args[0].isBlank()) {
      URI given = new URI(args[0]);
      if (!"memcached".equals(given.getScheme()) || given.getRawAuthority() == null) {
        throw new IllegalArgumentException(
            "give the demo a memcached://host:port URI, not '" + args[0] + "'");
      }
      server = withPort(given.getRawAuthority().split(",", -1)[0]);
      say("Using the memcached you gave: " + server);
    } else {
      local = LocalMemcached.start();
      server = local.address();
      say("Started a local memcached for the demo on " + server + " (" + LocalMemcached.executable() + ")");
    }
    try {
      tour(server);
    } finally {
      if (local != null) {
        local.close();
        say("Stopped the local memcached.");
      }
    }
  }

  private static void tour(String server) throws Exception {
    heading("1. Provider lookup");
    CachingProvider provider = Caching.getCachingProvider();
    say("Caching.getCachingProvider() -> " + provider.getClass().getName());

    heading("2. A cache in use (binary protocol, flavor=staging, version=2)");
    URI staging2 = URI.create("memcached://" + server + "/?binary=true&flavor=staging&version=2");
    CacheManager manager = provider.getCacheManager(staging2, Demo.class.getClassLoader());
    say("manager URI: " + manager.getURI());
    MutableConfiguration<String, String> config =
        new MutableConfiguration<String, String>().setTypes(String.class, String.class).setStatisticsEnabled(true);
    Cache<String, String> games = manager.createCache("games", config);
    games.put("games", "chess, go, hex");
    games.put("players", "ada, grace");
    say("put(\"games\", \"chess, go, hex\"); get(\"games\") -> " + games.get("games"));
    say("containsKey(\"nope\") -> " + games.containsKey("nope"));
    say("putIfAbsent(\"games\", \"tic-tac-toe\") -> " + games.putIfAbsent("games", "tic-tac-toe"));
    Integer length = games.invoke("games", (entry, a) -> entry.getValue().length());
    say("invoke(\"games\", value length) -> " + length);
    StringBuilder listed = new StringBuilder();
    for (Cache.Entry<String, String> e : games) {
      listed.append(listed.length() == 0 ? "" : ", ").append(e.getKey()).append('=').append(e.getValue());
    }
    say("iterator (entries found on the server) -> " + listed);

    heading("3. The memcached key, read straight from the server");
    String md5 = md5Hex("games");
    String memcachedKey = "staging-2-games-" + md5;
    say("md5(\"games\") = " + md5 + "  (the same hash django-newcache shows)");
    byte[] stored = rawGet(server, memcachedKey);
    say("text-protocol 'get " + memcachedKey + "' -> "
        + (stored == null ? "not found" : stored.length + " bytes: " + printable(stored)));

    heading("4. Bumping the version invalidates everything, no flush_all");
    Cache<String, String> v3 = cache(provider, server, "staging", 3);
    say("version=3: get(\"games\") -> " + v3.get("games"));
    Cache<String, String> v2again = cache(provider, server, "staging", 2);
    say("version=2 again (a second manager, own connection): get(\"games\") -> " + v2again.get("games"));

    heading("5. Flavors keep environments apart on one memcached");
    Cache<String, String> prod = cache(provider, server, "prod", 2);
    say("flavor=prod: get(\"games\") -> " + prod.get("games"));
    prod.put("games", "prod's own value");
    say("flavor=prod put its own; staging still reads -> " + games.get("games"));

    heading("6. Statistics (this JVM's operations on 'games')");
    ObjectName name = new ObjectName("javax.cache:type=CacheStatistics,CacheManager="
        + manager.getURI().toString().replaceAll("[,:=\\n?*]", ".") + ",Cache=games");
    CacheStatisticsMXBean stats =
        JMX.newMXBeanProxy(ManagementFactory.getPlatformMBeanServer(), name, CacheStatisticsMXBean.class);
    say("JMX " + name);
    say("hits=" + stats.getCacheHits() + " misses=" + stats.getCacheMisses() + " puts=" + stats.getCachePuts()
        + " hit%=" + String.format("%.1f", stats.getCacheHitPercentage()));

    for (Cache<String, String> c : java.util.List.of(games, v3, v2again, prod)) {
      c.clear();
    }
    provider.close();
    say("");
    say("Cleared the demo caches and closed every manager.");
  }

  private static Cache<String, String> cache(CachingProvider provider, String server, String flavor, int version) {
    // opTimeout makes the URI differ from the first manager's, so this is another manager with
    // its own connection, like another JVM of the fleet.
    URI uri = URI.create(
        "memcached://" + server + "/?binary=true&opTimeout=1000&flavor=" + flavor + "&version=" + version);
    CacheManager m = provider.getCacheManager(uri, Demo.class.getClassLoader());
    Cache<String, String> c = m.getCache("games", String.class, String.class);
    return c != null ? c : m.createCache("games", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
  }

  /** {@code host:port} of a URI's server, with memcached's port 11211 when it gives none (as the library does). */
  static String withPort(String server) {
    return server.lastIndexOf(':') > server.lastIndexOf(']') ? server : server + ":11211";
  }

  /** One text-protocol get on a fresh socket: what any other memcached client would see. */
  private static byte[] rawGet(String server, String key) throws IOException {
    int colon = server.lastIndexOf(':');
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(server.substring(0, colon), Integer.parseInt(server.substring(colon + 1))), 2000);
      s.setSoTimeout(2000);
      OutputStream out = s.getOutputStream();
      out.write(("get " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      String header = readLine(in);
      if (!header.startsWith("VALUE ")) {
        return null;
      }
      int len = Integer.parseInt(header.substring(header.lastIndexOf(' ') + 1));
      return in.readNBytes(len);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    int c;
    while ((c = in.read()) != -1 && c != '\n') {
      if (c != '\r') {
        b.write(c);
      }
    }
    return b.toString(StandardCharsets.US_ASCII);
  }

  private static String printable(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (byte b : bytes) {
      int c = b & 0xff;
      sb.append(c >= 0x20 && c < 0x7f ? Character.toString(c) : ".");
    }
    return sb.toString();
  }

  private static void heading(String text) {
    System.out.println();
    System.out.println("== " + text);
  }

  private static void say(String text) {
    System.out.println(text);
  }

  /** Lower-case hex of the MD5 of {@code s}'s UTF-8 bytes: what the default key function hashes. */
  private static String md5Hex(String s) throws java.security.NoSuchAlgorithmException {
    byte[] digest = java.security.MessageDigest.getInstance("MD5").digest(s.getBytes(StandardCharsets.UTF_8));
    StringBuilder hex = new StringBuilder(32);
    for (byte b : digest) {
      hex.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
    }
    return hex.toString();
  }
}
