package io.github.newcache.bench;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;

/**
 * What the numbers were measured on: hardware, software versions as they are on the class path
 * and on the machine, and the load average (other work on a 2-core machine moves ops/s a lot).
 */
final class Machine {

  private Machine() {}

  /** spymemcached's jar carries no Maven metadata; this is the version the core depends on. */
  static final String SPYMEMCACHED_FALLBACK = "2.12.3";

  /** /proc/loadavg's 1, 5 and 15 minute averages, or "unknown". */
  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  static Map<String, String> describe() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
    m.put("CPU", firstValue(Path.of("/proc/cpuinfo"), "model name"));
    m.put("memory", memory());
    m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.vendor") + ")");
    m.put("memcached", MemcachedServer.version());
    m.put("redis", LocalRedis.version());
    m.put("spymemcached", version("net.spy", "spymemcached", SPYMEMCACHED_FALLBACK));
    m.put("xmemcached", version("com.googlecode.xmemcached", "xmemcached", "unknown"));
    m.put("Redisson", version("org.redisson", "redisson", "unknown") + " (Netty "
        + version("io.netty", "netty-transport", "unknown") + ", transport " + RedissonSide.transport() + ")");
    m.put("JMH", version("org.openjdk.jmh", "jmh-core", "unknown"));
    return m;
  }

  /** The version in a jar's {@code META-INF/maven/.../pom.properties}, which the shaded jar keeps. */
  static String version(String groupId, String artifactId, String fallback) {
    String resource = "/META-INF/maven/" + groupId + "/" + artifactId + "/pom.properties";
    try (InputStream in = Machine.class.getResourceAsStream(resource)) {
      if (in == null) {
        return fallback;
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", fallback);
    } catch (IOException e) {
      return fallback;
    }
  }

  static String now() {
    return ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME);
  }

  private static String memory() {
    String mem = firstValue(Path.of("/proc/meminfo"), "MemTotal");
    if (mem.endsWith(" kB")) {
      try {
        long kb = Long.parseLong(mem.substring(0, mem.length() - 3).trim());
        return String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
      } catch (NumberFormatException ignored) {
        // keep the raw text
      }
    }
    return mem;
  }

  private static String firstValue(Path file, String field) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(field)) {
          int colon = line.indexOf(':');
          return colon < 0 ? line : line.substring(colon + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    }
    return "unknown";
  }
}
