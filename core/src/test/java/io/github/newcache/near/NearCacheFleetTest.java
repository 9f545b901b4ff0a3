package io.github.newcache.near;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.NearCacheStatisticsMXBean;
import io.github.newcache.NewcacheCache;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two JVMs: this one reads through a near cache while a child JVM ({@link NearChild}) with its own
 * manager writes every key; each key's new value must be seen within δ plus one operation timeout
 * of its write returning in the child. Nothing in this JVM learns of the child's writes except
 * through memcached.
 */
@ExtendWith(MemcachedExtension.class)
class NearCacheFleetTest {

  @Test
  void anotherJvmsWritesAreSeenWithinTheBound(TestManagers managers, @TempDir Path dir) throws Exception {
    URI uri = managers.uri(Protocol.BINARY, "opTimeout=" + NearCacheTest.OP_TIMEOUT);
    Path go = dir.resolve("go");
    int keys = NearCacheTest.KEYS;
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process child =
        new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), NearChild.class.getName(),
                uri.toString(), Integer.toString(keys), go.toString()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
      assertEquals("READY", out.readLine(), "child started");
      Cache<String, String> reader = managers.open(uri).createCache("fleet", NearCacheTest.near());
      Staleness s = new Staleness(keys);
      for (String k : s.keys()) {
        reader.put(k, "v0");
        assertEquals("v0", reader.get(k));
      }
      Thread t = s.reader(reader, "v1", 60_000);
      t.start();
      Files.createFile(go);
      String line = out.readLine();
      assertTrue(line != null && line.startsWith("WRITTEN "), "child answered " + line);
      String[] parts = line.substring("WRITTEN ".length()).split(",");
      long[] written = new long[keys];
      for (int i = 0; i < keys; i++) {
        written[i] = Long.parseLong(parts[i]);
      }
      Staleness.join(t, 70_000);
      Staleness.report("two JVMs, binary", s.staleness(written), NearCacheTest.DELTA,
          NearCacheTest.DELTA + NearCacheTest.OP_TIMEOUT);
      NearCacheStatisticsMXBean stats = reader.unwrap(NewcacheCache.class).nearCacheStatistics();
      assertTrue(stats.getRevalidationsChanged() >= keys, "every key revalidated and found changed");
      assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child exits");
      assertEquals(0, child.exitValue());
    } finally {
      child.destroyForcibly();
    }
  }
}
