package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.internal.transport.SpyTransport;
import io.github.newcache.testkit.LocalMemcached;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.Map;
import javax.cache.CacheException;
import org.junit.jupiter.api.Test;

/**
 * Pipelined writes to a frozen server stay bounded: past {@code opQueueSize} queued operations the
 * caller gets a clear error after {@code opQueueWait}, instead of the queue growing until the heap
 * is gone.
 */
class QueueBoundTest {

  @Test
  void pipelinedWritesToAStalledServerAreRefusedPromptly() {
    try (LocalMemcached server = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + server.address() + "/?opTimeout=2000&opQueueSize=256&opQueueWait=20");
      SpyTransport transport = new SpyTransport(SettingsParser.parse(uri, getClass().getClassLoader(), null).transport());
      try {
        Map<String, byte[]> values = new LinkedHashMap<>();
        byte[] value = new byte[100];
        for (int i = 0; i < 200_000; i++) {
          values.put("q" + i, value);
        }
        server.pause();
        try {
          long start = System.nanoTime();
          CacheException e = assertThrows(CacheException.class, () -> transport.setAll(values, 0));
          long millis = (System.nanoTime() - start) / 1_000_000;
          System.out.println("queue bound: refused after " + millis + " ms: " + e.getMessage());
          assertTrue(e.getMessage().contains("queue") && e.getMessage().contains("opQueueSize"), e.getMessage());
          // The message proves the bound (an unbounded queue would end in a timeout instead); the
          // time covers enqueueing up to the bound on a possibly busy 2-core machine.
          assertTrue(millis < 10_000, "refused only after " + millis + " ms");
        } finally {
          server.resume();
        }
      } finally {
        transport.close();
      }
    }
  }
}
