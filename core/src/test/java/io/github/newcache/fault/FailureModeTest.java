package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.security.RawItems;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Stall detection and {@code failureMode} work together: a killed server's operations are moved to
 * the other servers with {@code failureMode=redistribute} instead of being failed as "stalled"
 * (before, the default stall detection failed 85-91% of them), and every failure message names
 * the failure mode in force.
 */
class FailureModeTest {

  private static final int OP_TIMEOUT = 1000;

  private record Fleet(List<LocalMemcached> servers, CacheManager manager, Cache<String, String> cache,
      List<String> keys, Map<String, String> owner) implements AutoCloseable {
    @Override
    public void close() {
      manager.close();
      servers.forEach(LocalMemcached::close);
    }
  }

  private static Fleet fleet(Protocol p, String mode) {
    List<LocalMemcached> servers = new ArrayList<>();
    StringBuilder hosts = new StringBuilder();
    for (int i = 0; i < 3; i++) {
      servers.add(LocalMemcached.start());
      hosts.append(i == 0 ? "" : ",").append(servers.get(i).address());
    }
    String flavor = "mode" + mode;
    CacheManager m = Caching.getCachingProvider().getCacheManager(
        URI.create("memcached://" + hosts + "/?binary=" + p.binary() + "&flavor=" + flavor + "&failureMode=" + mode
            + "&opTimeout=" + OP_TIMEOUT + "&maxReconnectDelay=1"),
        FailureModeTest.class.getClassLoader());
    Cache<String, String> c = m.createCache("c", new MutableConfiguration<String, String>().setTypes(String.class, String.class));
    List<String> keys = new ArrayList<>();
    Map<String, String> owner = new HashMap<>();
    for (int i = 0; i < 240; i++) {
      String key = "key-" + i;
      keys.add(key);
      c.put(key, "0");
      for (LocalMemcached s : servers) {
        if (RawItems.get(s.host(), s.port(), RawItems.memcachedKey(flavor, 1, "c", key)) != null) {
          owner.put(key, s.address());
        }
      }
    }
    return new Fleet(servers, m, c, keys, owner);
  }

  private static Map<String, Load.Tally> tallies(Fleet f) {
    Map<String, Load.Tally> t = new LinkedHashMap<>();
    f.servers().forEach(s -> t.put(s.address(), new Load.Tally()));
    return t;
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void redistributeMovesAKilledServersOperationsInsteadOfFailingThem(Protocol p) throws Exception {
    try (Fleet f = fleet(p, "redistribute")) {
      LocalMemcached dead = f.servers().get(0);
      dead.kill();
      Thread.sleep(500); // spymemcached sees the connection go
      Map<String, Load.Tally> t = tallies(f);
      Load load = new Load(f.cache(), f.keys(), f.owner(), t, 8);
      load.start();
      Thread.sleep(2000);
      assertEquals(List.of(), load.stop(OP_TIMEOUT + 1000), "hung threads");
      Load.Tally d = t.get(dead.address());
      long total = d.ok.sum() + d.errors.sum();
      System.out.printf("%s redistribute: the killed server's keys: %d ok, %d failed (%s)%n",
          p, d.ok.sum(), d.errors.sum(), d.firstError);
      assertTrue(total > 100, "load ran: " + total);
      // Before, stall detection failed 57-65% of them here (85-91% in issue 12's runs). What
      // remains is spymemcached's own redistribution: an operation caught queued for the dead
      // server when one of its reconnect attempts fails is cancelled (0.1-3% here, more under load).
      assertTrue(d.errors.sum() * 10 < total, d.errors.sum() + " of " + total + " failed: " + d.firstError);
      for (Load.Tally live : t.values()) {
        assertTrue(live.firstError == null || !live.firstError.contains("stalled"), live.firstError);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void messagesNameTheFailureModeInForce(Protocol p) throws Exception {
    for (String mode : List.of("cancel", "redistribute")) {
      try (Fleet f = fleet(p, mode)) {
        LocalMemcached dead = f.servers().get(0);
        String deadKey = f.keys().stream().filter(k -> f.owner().get(k).equals(dead.address())).findFirst().orElseThrow();
        // one operation in flight when the server dies: it is lost with the connection
        dead.pause();
        Thread probe = new Thread(() -> {
          try {
            f.cache().get(deadKey);
          } catch (RuntimeException e) {
            synchronized (FailureModeTest.class) {
              lastError = e.getMessage();
            }
          }
        });
        lastError = null;
        probe.start();
        Thread.sleep(50);
        dead.kill();
        probe.join(5000);
        String message;
        synchronized (FailureModeTest.class) {
          message = lastError;
        }
        System.out.printf("%s %s: %s%n", p, mode, message);
        if (message != null) {
          assertTrue(message.contains("failureMode " + mode), message);
        }
        if (mode.equals("cancel")) {
          try {
            f.cache().get(deadKey);
            throw new AssertionError("a killed server's key was served with failureMode cancel");
          } catch (javax.cache.CacheException e) {
            assertTrue(e.getMessage().contains("(failureMode cancel)"), e.getMessage());
          }
        }
      }
    }
  }

  private static String lastError;
}
