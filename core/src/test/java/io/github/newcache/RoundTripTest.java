package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.Factory;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.CacheEntryRemovedListener;
import javax.cache.event.CacheEntryUpdatedListener;
import javax.cache.expiry.AccessedExpiryPolicy;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.EternalExpiryPolicy;
import javax.cache.expiry.ExpiryPolicy;
import javax.cache.expiry.ModifiedExpiryPolicy;
import javax.cache.expiry.TouchedExpiryPolicy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Counts memcached commands per JCache operation at the server, from memcached's own {@code stats}
 * counters read before and after each operation. The default configuration (no listeners, loader
 * or writer, eternal expiry) is asserted; every configuration is also written to
 * {@code target/roundtrips.md}, the table the README shows.
 */
@ExtendWith(MemcachedExtension.class)
class RoundTripTest {

  private static final List<String> COUNTERS =
      List.of("cmd_get", "cmd_set", "cmd_touch", "delete_hits", "delete_misses", "cas_hits", "cas_misses", "cas_badval");
  private static final Map<String, Map<String, String>> TABLE = new LinkedHashMap<>();

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void defaultConfigurationCostsOneCommandPerOperation(Protocol protocol, TestManagers managers) {
    for (boolean statistics : new boolean[] {false, true}) {
      CacheManager m = managers.open(protocol, "opTimeout=" + (statistics ? 2000 : 1000));
      Cache<String, String> c =
          m.createCache("rt", new MutableConfiguration<String, String>()
              .setTypes(String.class, String.class).setStatisticsEnabled(statistics));
      LocalMemcached server = managers.server();
      c.put("k", "v");
      assertEquals(Map.of("cmd_get", 1L), count(server, x -> c.get("k")), "get hit");
      assertEquals(Map.of("cmd_get", 1L), count(server, x -> c.get("absent")), "get miss");
      assertEquals(Map.of("cmd_set", 1L), count(server, x -> c.put("k", "w")), "put");
      assertEquals(Map.of("cmd_get", 1L), count(server, x -> c.containsKey("k")), "containsKey");
      assertEquals(Map.of("cmd_set", 1L), count(server, x -> c.putIfAbsent("fresh", "v")), "putIfAbsent (absent)");
      Map<String, String> hundred = new HashMap<>();
      for (int i = 0; i < 100; i++) {
        hundred.put("k" + i, "v" + i);
      }
      assertEquals(Map.of("cmd_set", 100L), count(server, x -> c.putAll(hundred)), "putAll(100)");
      assertEquals(Map.of("cmd_get", 100L), count(server, x -> c.getAll(hundred.keySet())), "getAll(100)");
      assertEquals(Map.of("delete_hits", 1L), count(server, x -> c.remove("k")), "remove");
      assertEquals(Map.of("delete_hits", 100L), count(server, x -> c.removeAll(hundred.keySet())), "removeAll(100)");
      m.destroyCache("rt");
    }
  }

  /** Measures every operation under listeners and each built-in expiry policy, for the README. */
  @ParameterizedTest
  @EnumSource(value = Protocol.class, names = "BINARY")
  void tableOfCommandsPerOperation(Protocol protocol, TestManagers managers) {
    Map<String, MutableConfiguration<String, String>> configs = new LinkedHashMap<>();
    configs.put("default (eternal)", base());
    configs.put("with listeners", base().addCacheEntryListenerConfiguration(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(Listener.class), null, true, true)));
    Duration tenMinutes = new Duration(TimeUnit.MINUTES, 10);
    configs.put("created", base().setExpiryPolicyFactory(CreatedExpiryPolicy.factoryOf(tenMinutes)));
    configs.put("accessed", base().setExpiryPolicyFactory(AccessedExpiryPolicy.factoryOf(tenMinutes)));
    configs.put("modified", base().setExpiryPolicyFactory(ModifiedExpiryPolicy.factoryOf(tenMinutes)));
    configs.put("touched", base().setExpiryPolicyFactory(TouchedExpiryPolicy.factoryOf(tenMinutes)));
    configs.put("eternal", base().setExpiryPolicyFactory((Factory<ExpiryPolicy>) EternalExpiryPolicy::new));
    CacheManager m = managers.open(protocol);
    LocalMemcached server = managers.server();
    int n = 0;
    for (Map.Entry<String, MutableConfiguration<String, String>> e : configs.entrySet()) {
      Cache<String, String> c = m.createCache("table" + n++, e.getValue());
      Map<String, String> row = new LinkedHashMap<>();
      c.put("k", "v");
      row.put("get (hit)", describe(count(server, x -> c.get("k"))));
      row.put("get (miss)", describe(count(server, x -> c.get("absent"))));
      row.put("put (update)", describe(count(server, x -> c.put("k", "w"))));
      row.put("put (new)", describe(count(server, x -> c.put("new", "w"))));
      row.put("containsKey", describe(count(server, x -> c.containsKey("k"))));
      row.put("getAll(10)", describe(count(server, x -> c.getAll(Set.of("k", "new", "a", "b", "c", "d", "e", "f", "g", "h")))));
      row.put("putIfAbsent (absent)", describe(count(server, x -> c.putIfAbsent("p", "v"))));
      row.put("replace(k, v)", describe(count(server, x -> c.replace("k", "x"))));
      row.put("invoke (increment)", describe(count(server, x -> c.invoke("k", (entry, a) -> {
        entry.setValue(entry.getValue() + "1");
        return null;
      }))));
      row.put("remove(k)", describe(count(server, x -> c.remove("k"))));
      row.put("getAndRemove", describe(count(server, x -> c.getAndRemove("new"))));
      TABLE.put(e.getKey(), row);
      m.destroyCache(c.getName());
    }
    assertEquals(configs.size(), TABLE.size());
  }

  @AfterAll
  static void writeTable() throws IOException {
    if (TABLE.isEmpty()) {
      return;
    }
    List<String> columns = new ArrayList<>(TABLE.keySet());
    StringBuilder md = new StringBuilder("| operation | ").append(String.join(" | ", columns)).append(" |\n|---|");
    md.append("---|".repeat(columns.size())).append('\n');
    for (String op : TABLE.get(columns.get(0)).keySet()) {
      md.append("| ").append(op).append(" |");
      for (String col : columns) {
        md.append(' ').append(TABLE.get(col).get(op)).append(" |");
      }
      md.append('\n');
    }
    Files.createDirectories(Path.of("target"));
    Files.writeString(Path.of("target", "roundtrips.md"), md);
  }

  private static MutableConfiguration<String, String> base() {
    return new MutableConfiguration<String, String>().setTypes(String.class, String.class);
  }

  /** The counters that changed while {@code op} ran, by name. */
  private static Map<String, Long> count(LocalMemcached server, Consumer<Void> op) {
    Map<String, Long> before = stats(server);
    op.accept(null);
    Map<String, Long> after = stats(server);
    Map<String, Long> delta = new LinkedHashMap<>();
    for (String k : COUNTERS) {
      long d = after.get(k) - before.get(k);
      if (d != 0) {
        delta.put(k, d);
      }
    }
    return delta;
  }

  private static String describe(Map<String, Long> delta) {
    Set<String> parts = new TreeSet<>();
    delta.forEach((k, v) -> parts.add(k.replace("cmd_", "") + (v == 1 ? "" : " ×" + v)));
    return parts.isEmpty() ? "none" : String.join(", ", parts);
  }

  private static Map<String, Long> stats(LocalMemcached server) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(server.host(), server.port()), 2000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      out.write("stats\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      Map<String, Long> stats = new HashMap<>();
      String line;
      while ((line = in.readLine()) != null && !line.equals("END")) {
        String[] p = line.split(" ");
        if (p.length == 3 && COUNTERS.contains(p[1])) {
          stats.put(p[1], Long.parseLong(p[2]));
        }
      }
      return stats;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A listener for every event type, so the cache must know old values. */
  public static final class Listener
      implements CacheEntryCreatedListener<String, String>, CacheEntryUpdatedListener<String, String>,
          CacheEntryRemovedListener<String, String> {
    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}

    @Override
    public void onUpdated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}

    @Override
    public void onRemoved(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}
  }
}
