package io.github.newcache.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.RawMemcached;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@code ./run demo} and {@code ./run demo URI}: the tour runs to its end and leaves no entries behind. */
class DemoTest {

  @Test
  void aServerWithoutAPortGetsMemcachedsPort() {
    assertEquals("127.0.0.1:11211", Demo.withPort("127.0.0.1"));
    assertEquals("cache.example:11211", Demo.withPort("cache.example"));
    assertEquals("[::1]:11211", Demo.withPort("[::1]"));
    assertEquals("127.0.0.1:4000", Demo.withPort("127.0.0.1:4000"));
    assertEquals("[::1]:4000", Demo.withPort("[::1]:4000"));
  }

  /** A URI without a port names memcached's own port, 11211: here on a loopback address of its own. */
  @Test
  void theTourRunsAgainstAGivenServerWithoutAPortAndClearsItsEntries() throws Exception {
    try (LocalMemcached server = onPort11211()) {
      String out = tour("memcached://" + server.host());
      assertTrue(out.contains("Using the memcached you gave: " + server.host() + ":11211"), out);
      assertTrue(out.contains("get(\"games\") -> chess, go, hex"), out);
      // Step 3 reads the item with its own socket: it found the bytes the cache wrote.
      assertTrue(out.matches("(?s).*'get staging-2-games-9cfa7aefcc61936b70aaec6729329eda' -> \\d+ bytes: .*"), out);
      assertTrue(out.contains("flavor=prod put its own; staging still reads -> chess, go, hex"), out);
      assertTrue(out.contains("Cleared the demo caches and closed every manager."), out);
      try (RawMemcached raw = RawMemcached.of(server)) {
        assertEquals(List.of(), raw.keys("staging-"));
        assertEquals(List.of(), raw.keys("prod-"));
      }
    }
  }

  @Test
  void theTourStartsItsOwnServerWhenGivenNone() throws Exception {
    String out = tour();
    assertTrue(out.contains("Started a local memcached for the demo on 127.0.0.1:"), out);
    assertTrue(out.contains("Stopped the local memcached."), out);
  }

  @Test
  void anythingButAMemcachedUriIsRefusedByName() {
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> Demo.main(new String[] {"redis://127.0.0.1:6379"}));
    assertTrue(e.getMessage().contains("'redis://127.0.0.1:6379'") && e.getMessage().contains("memcached://host:port"),
        e.getMessage());
  }

  /** A memcached on port 11211 of the first loopback address past 127.0.0.1 where that port is free. */
  private static LocalMemcached onPort11211() {
    IllegalStateException last = null;
    for (int i = 2; i < 12; i++) {
      try {
        return LocalMemcached.startAt("127.0.0." + i, 11211);
      } catch (IllegalStateException taken) {
        last = taken;
      }
    }
    throw last;
  }

  private static String tour(String... args) throws Exception {
    PrintStream was = System.out;
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.setOut(new PrintStream(bytes, true, StandardCharsets.UTF_8));
    try {
      Demo.main(args);
    } finally {
      System.setOut(was);
    }
    String out = bytes.toString(StandardCharsets.UTF_8);
    was.print(out);
    return out;
  }
}
