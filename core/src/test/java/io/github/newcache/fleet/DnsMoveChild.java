package io.github.newcache.fleet;

import io.github.newcache.internal.transport.discovery.DnsWatcher;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;

/**
 * The forked JVM of {@link DnsMoveTest}: started with {@code -Djdk.net.hosts.file=<file>} and
 * {@code -Dsun.net.inetaddr.ttl=0}, so the test decides what {@code memcached.test} resolves to. It
 * opens a manager on {@code memcached.test:<port>} with the query given, stores a key, prints
 * {@code READY}, waits for {@code GO} (the name has moved), then puts and gets until a put
 * succeeds, printing {@code FOLLOWED <ms>}, or keeps writing until it reads {@code STOP}.
 *
 * <p>Arguments: port, manager URI query, mode ({@code until-ok} or {@code until-stop}). Mode
 * {@code watch} runs only a {@link DnsWatcher} on {@code memcached.test:<port>} (no manager, the
 * query unused): it prints {@code WATCHING <ip>}, then at each {@code CHECK} checks the name once
 * and prints {@code CHECKED moved=<true|false> <ip in use>}, until {@code STOP}.
 */
public final class DnsMoveChild {

  public static void main(String[] args) throws Exception {
    int port = Integer.parseInt(args[0]);
    String query = args[1];
    boolean untilStop = args[2].equals("until-stop");
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
    if (args[2].equals("watch")) {
      watch(port, in);
      return;
    }
    try (CacheManager m = Caching.getCachingProvider()
        .getCacheManager(URI.create("memcached://memcached.test:" + port + "/?" + query), DnsMoveChild.class.getClassLoader())) {
      Cache<String, String> c = m.createCache("dns", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
      c.put("k", "first");
      System.out.println("READY " + c.get("k"));
      if (!"GO".equals(in.readLine())) {
        throw new IllegalStateException("expected GO");
      }
      long start = System.nanoTime();
      long deadline = start + 20_000_000_000L;
      int failures = 0;
      while (System.nanoTime() < deadline) {
        try {
          c.put("k", "second");
          if (!untilStop && "second".equals(c.get("k"))) {
            System.out.println("FOLLOWED " + (System.nanoTime() - start) / 1_000_000 + " failures=" + failures);
            return;
          }
        } catch (RuntimeException e) {
          failures++;
        }
        if (untilStop && in.ready() && "STOP".equals(in.readLine())) {
          System.out.println("STOPPED failures=" + failures);
          return;
        }
        Thread.sleep(20);
      }
      System.out.println("NOT_FOLLOWED failures=" + failures);
    }
  }

  private static void watch(int port, BufferedReader in) throws Exception {
    try (DnsWatcher w = DnsWatcher.start(
        List.of(InetSocketAddress.createUnresolved("memcached.test", port)), 0, 3_600_000, (before, after) -> { })) {
      System.out.println("WATCHING " + w.current().get(0).getAddress().getHostAddress());
      String line;
      while ((line = in.readLine()) != null && line.equals("CHECK")) {
        boolean moved = w.check();
        System.out.println("CHECKED moved=" + moved + " " + w.current().get(0).getAddress().getHostAddress());
      }
    }
  }
}
