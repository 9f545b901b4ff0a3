package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.TestManagers;
import java.io.Serializable;
import java.net.URI;
import java.util.Collection;
import javax.cache.Cache;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.integration.CacheWriter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Write-through writes against a server that is gone or frozen: each one's lease {@code add}
 * fails, and only those that may still be applied (timed out) leave a late release on the
 * manager's scheduler. Before, every failure did, each its own chain of retries for the whole
 * lease timeout: 20,000 puts against a killed server left 20,000 tasks on the one scheduler thread.
 */
@ExtendWith(MemcachedExtension.class)
class LeaseStormTest {

  /** A writer that writes nothing: the puts fail at their lease, before it is called. */
  public static final class NoWriter implements CacheWriter<String, String>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public void write(Cache.Entry<? extends String, ? extends String> entry) {}

    @Override
    public void writeAll(Collection<Cache.Entry<? extends String, ? extends String>> entries) {}

    @Override
    public void delete(Object key) {}

    @Override
    public void deleteAll(Collection<?> keys) {}
  }

  private static final int PUTS = 2_000;

  @Test
  void writesAgainstAKilledServerScheduleNoLateReleases(TestManagers managers) {
    assertFewTasksLeftByFailedPuts(managers, true);
  }

  @Test
  void writesAgainstAFrozenServerScheduleOnlyThoseThatTimedOut(TestManagers managers) {
    assertFewTasksLeftByFailedPuts(managers, false);
  }

  private static void assertFewTasksLeftByFailedPuts(TestManagers managers, boolean kill) {
    try (LocalMemcached server = LocalMemcached.start()) {
      NewcacheCacheManager m = managers.open(URI.create("memcached://" + server.address() + "/?binary=true&opTimeout=300"))
          .unwrap(NewcacheCacheManager.class);
      NewcacheConfiguration<String, String> config = new NewcacheConfiguration<>();
      config.setTypes(String.class, String.class);
      config.setWriteThrough(true);
      config.setCacheWriterFactory(FactoryBuilder.factoryOf(NoWriter.class));
      config.setLeaseTimeoutMillis(60_000);
      Cache<String, String> c = m.createCache("storm", config);
      c.put("warm", "v");
      int before = m.scheduledTasks();
      if (kill) {
        server.kill();
      } else {
        server.pause();
      }
      try {
        int failed = 0;
        for (int i = 0; i < PUTS; i++) {
          try {
            c.put("k" + i, "v");
          } catch (RuntimeException e) {
            failed++;
          }
        }
        assertTrue(failed > PUTS - 10, "puts failed: " + failed);
        int left = m.scheduledTasks() - before;
        // killed: none, but for an add in flight as the connection went; frozen: the few that timed
        // out before the stall breaker failed the rest at once, and its probes
        assertTrue(left <= 20, "tasks left on the scheduler by " + failed + " failed puts: " + left);
      } finally {
        if (!kill) {
          server.resume();
        }
      }
    }
  }
}
