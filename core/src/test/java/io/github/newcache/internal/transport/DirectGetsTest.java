package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.LocalMemcached;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.cache.CacheException;
import net.spy.memcached.MemcachedNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Single-key blocking gets read on the calling thread ({@link DirectGets}), on real memcached: every
 * value comes back as stored, in both protocols and in parts; a server sees at most {@code
 * directGets} more connections, and none with {@code directGets=0}; a restarted server's dead
 * connections are not seen by callers; a frozen server times gets out within the timeout and is
 * found stalled; an interrupt and a close end a waiting get at once; close leaves no connection.
 */
class DirectGetsTest {

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void getsReturnEveryValueAsStoredOverOneConnectionOfTheirOwn(boolean binary) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server, binary, "");
      try {
        Random random = new Random(11);
        int[] sizes = {0, 1, 2, 5, 100, 1_000, 16_383, 16_384, 16_385, 100_000, 600_000};
        byte[][] values = new byte[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
          values[i] = new byte[sizes[i]];
          random.nextBytes(values[i]);
          if (sizes[i] >= 16) { // bytes that look like answers
            byte[] fake = (binary ? "\u0081\0\0\0" : "\r\nEN\r\nVA 3\r\n").getBytes(StandardCharsets.ISO_8859_1);
            System.arraycopy(fake, 0, values[i], 1, fake.length);
          }
          transport.set("size" + i, 0, values[i]);
        }
        for (int round = 0; round < 3; round++) {
          for (int i = 0; i < sizes.length; i++) {
            assertArrayEquals(values[i], transport.get("size" + i), sizes[i] + " bytes");
            Parts parts = transport.getParts("size" + i, 3);
            assertArrayEquals(values[i], parts.whole(), sizes[i] + " bytes in parts");
            assertEquals(sizes[i] > 3 ? 3 : sizes[i], parts.head().length, "the head of " + sizes[i] + " bytes");
            assertEquals(sizes[i] > 3, parts.tail() != null, "a tail for " + sizes[i] + " bytes");
          }
          assertNull(transport.get("absent"));
          assertNull(transport.getParts("absent", 3));
        }
        assertEquals(1, transport.directConnections(), "one thread's gets use one connection of their own");
        // the shared one and this thread's (the start check's closes soon after the start)
        assertTrue(await(() -> connections(server) == 2, 5_000), "memcached sees one more connection: " + connections(server));
        // a key spymemcached refuses is still refused as it was
        assertThrows(IllegalArgumentException.class, () -> transport.get("k".repeat(251)));
        if (!binary) {
          assertThrows(IllegalArgumentException.class, () -> transport.get("a key"));
        }
      } finally {
        transport.close();
      }
      assertTrue(await(() -> connections(server) == 0, 5_000), "close closed every connection: " + connections(server));
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void multiGetsOfOneServerReturnEveryValueAsStoredOverTheSameConnection(boolean binary) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server, binary, "");
      try {
        Random random = new Random(5);
        List<String> keys = new ArrayList<>();
        Map<String, byte[]> stored = new HashMap<>();
        for (int i = 0; i < GetBatches.MAX_KEYS; i++) {
          String key = "key-" + i + "-" + "x".repeat(i % 200);
          keys.add(key);
          if (i % 3 != 0) {
            byte[] v = new byte[i % 7 == 0 ? 20_000 : i % 50];
            random.nextBytes(v);
            if (v.length >= 12) {
              System.arraycopy("\r\nEND\r\nVALUE".getBytes(StandardCharsets.US_ASCII), 0, v, 0, 12);
            }
            stored.put(key, v);
            transport.set(key, 0, v);
          }
        }
        for (int round = 0; round < 2; round++) {
          Map<String, byte[]> all = transport.getAll(keys);
          assertEquals(stored.keySet(), all.keySet(), "the hits, and only them");
          stored.forEach((k, v) -> assertArrayEquals(v, all.get(k), k));
          int[] heads = new int[keys.size()];
          Arrays.fill(heads, 5);
          Parts[] parts = transport.getAllParts(keys, heads);
          for (int i = 0; i < keys.size(); i++) {
            byte[] v = stored.get(keys.get(i));
            if (v == null) {
              assertNull(parts[i], keys.get(i));
            } else {
              assertArrayEquals(v, parts[i].whole(), keys.get(i));
              assertEquals(v.length > 5, parts[i].tail() != null, keys.get(i));
            }
          }
          assertTrue(transport.getAll(List.of("absent-1", "absent-2")).isEmpty());
        }
        assertEquals(1, transport.directConnections(), "one thread's multi-gets use one connection of their own");
        // more keys than one request takes go through the shared connection, with the same answers
        List<String> more = new ArrayList<>(keys);
        more.add("one-more");
        assertEquals(stored.keySet(), transport.getAll(more).keySet());
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void manyCallersUseAtMostTheConfiguredConnectionsAndGetTheirOwnValues() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server, false, "&directGets=2");
      ExecutorService pool = Executors.newFixedThreadPool(8);
      try {
        for (int i = 0; i < 64; i++) {
          transport.set("k" + i, 0, ("value of k" + i).getBytes(StandardCharsets.US_ASCII));
        }
        AtomicInteger most = new AtomicInteger();
        List<Future<Integer>> done = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          int seed = t;
          done.add(pool.submit(() -> {
            Random random = new Random(seed);
            for (int n = 0; n < 3_000; n++) {
              int i = random.nextInt(80);
              if (n % 10 == 0) {
                Map<String, byte[]> two = transport.getAll(List.of("k" + i, "k" + (i + 1)));
                assertEquals(i < 64 ? "value of k" + i : null,
                    two.containsKey("k" + i) ? new String(two.get("k" + i), StandardCharsets.US_ASCII) : null);
              }
              byte[] v = transport.get("k" + i);
              if (i < 64) {
                assertEquals("value of k" + i, new String(v, StandardCharsets.US_ASCII));
              } else {
                assertNull(v);
              }
              most.accumulateAndGet(transport.directConnections(), Math::max);
            }
            return 0;
          }));
        }
        for (Future<Integer> f : done) {
          f.get(60, TimeUnit.SECONDS);
        }
        assertTrue(most.get() <= 2, "at most directGets connections: " + most.get());
      } finally {
        pool.shutdownNow();
        transport.close();
      }
    }
  }

  @Test
  void zeroDirectGetsOpensNone() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server, false, "&directGets=0");
      try {
        transport.set("k", 0, new byte[] {1, 2, 3});
        for (int i = 0; i < 100; i++) {
          assertArrayEquals(new byte[] {1, 2, 3}, transport.get("k"));
        }
        assertEquals(0, transport.directConnections());
        assertTrue(await(() -> connections(server) == 1, 5_000), "only the shared connection: " + connections(server));
      } finally {
        transport.close();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aRestartedServersDeadConnectionIsNotSeenByCallers(boolean binary) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server, binary, "&maxReconnectDelay=1");
      try {
        transport.set("k", 0, new byte[] {1});
        assertArrayEquals(new byte[] {1}, transport.get("k"));
        assertEquals(1, transport.directConnections());
        server.kill();
        server.restart();
        // once spymemcached's own connection is back, gets work at once: the dead direct
        // connection is found dead and the get asked again through the shared connection
        assertTrue(await(() -> sharedConnected(transport), 10_000), "spymemcached reconnected");
        transport.set("k", 0, new byte[] {2});
        assertArrayEquals(new byte[] {2}, transport.get("k"));
        assertNull(transport.get("absent"));
        assertEquals(1, transport.directConnections(), "a new connection of its own");
      } finally {
        transport.close();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aFrozenServerTimesGetsOutWithinTheTimeoutAndIsFoundStalled(boolean binary) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport =
          transport(server, binary, "&opTimeout=300&stallTimeouts=2&stallWindow=0&stallCooldown=200");
      try {
        transport.set("k", 0, new byte[] {1});
        assertArrayEquals(new byte[] {1}, transport.get("k"));
        server.pause();
        for (int i = 0; i < 2; i++) {
          long start = System.nanoTime();
          CacheException e = assertThrows(CacheException.class, () -> transport.get("k"));
          long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
          assertTrue(e.getMessage().contains("timed out after 300 ms"), e.getMessage());
          assertTrue(millis >= 290 && millis < 3_000, "timed out after " + millis + " ms");
        }
        assertEquals(List.of(server.address()), transport.stalledServers(), "two timeouts: stalled");
        CacheException fast = assertThrows(CacheException.class, () -> transport.get("k"));
        assertTrue(fast.getMessage().contains("stalled"), fast.getMessage());
        server.resume();
        assertTrue(await(() -> {
          try {
            return transport.get("k") != null;
          } catch (CacheException e) {
            return false;
          }
        }, 10_000), "answers again once the server does");
        assertTrue(await(() -> transport.stalledServers().isEmpty(), 5_000));
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void anInterruptEndsAWaitingGetAtOnceAndIsKept() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server, false, "&opTimeout=10000");
      try {
        transport.set("k", 0, new byte[] {1});
        assertArrayEquals(new byte[] {1}, transport.get("k"));
        server.pause();
        CompletableFuture<Throwable> outcome = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
          try {
            transport.get("k");
            outcome.complete(null);
          } catch (Throwable t) {
            outcome.complete(Thread.currentThread().isInterrupted() ? t : new AssertionError("flag lost", t));
          }
        });
        caller.start();
        assertTrue(await(() -> waitsOnItsConnection(caller), 5_000), "the get waits on its own connection");
        long start = System.nanoTime();
        caller.interrupt();
        Throwable t = outcome.get(5, TimeUnit.SECONDS);
        assertTrue(t instanceof CacheException, String.valueOf(t));
        assertTrue(t.getMessage().contains("interrupted") || t.getMessage().contains("interrupt"), t.getMessage());
        assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 5_000);
        server.resume();
        assertArrayEquals(new byte[] {1}, transport.get("k"), "a later get on a new connection");
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void closeEndsAGetWaitingOnAFrozenServerAndClosesEveryConnection() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server, false, "&opTimeout=20000");
      transport.set("k", 0, new byte[] {1});
      assertArrayEquals(new byte[] {1}, transport.get("k"));
      server.pause();
      CompletableFuture<Throwable> outcome = new CompletableFuture<>();
      Thread caller = new Thread(() -> {
        try {
          transport.get("k");
          outcome.complete(null);
        } catch (Throwable t) {
          outcome.complete(t);
        }
      });
      caller.start();
      assertTrue(await(() -> waitsOnItsConnection(caller), 5_000), "the get waits on its own connection");
      long start = System.nanoTime();
      transport.close();
      Throwable t = outcome.get(10, TimeUnit.SECONDS);
      assertTrue(t instanceof CacheException, String.valueOf(t));
      assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 10_000);
      assertEquals(0, transport.directConnections());
      server.resume();
      assertTrue(await(() -> connections(server) == 0, 5_000), "no connection left: " + connections(server));
    }
  }

  // ---------------------------------------------------------------- helpers

  private static SpyTransport transport(LocalMemcached server, boolean binary, String more) {
    URI uri = URI.create("memcached://" + server.address() + "/?binary=" + binary + more);
    return new SpyTransport(SettingsParser.parse(uri, DirectGetsTest.class.getClassLoader(), null).transport());
  }

  /** Whether {@code caller} waits for an answer on a direct connection. */
  private static boolean waitsOnItsConnection(Thread caller) {
    for (StackTraceElement e : caller.getStackTrace()) {
      if (e.getClassName().equals(DirectConnection.class.getName()) && e.getMethodName().equals("await")) {
        return true;
      }
    }
    return false;
  }

  /** Whether spymemcached's connection to every server is up. */
  private static boolean sharedConnected(SpyTransport transport) {
    for (MemcachedNode node : transport.connection().getLocator().getAll()) {
      if (!node.isActive()) {
        return false;
      }
    }
    return true;
  }

  /** memcached's {@code curr_connections}, less the one asking. */
  private static int connections(LocalMemcached server) {
    try (Socket s = new Socket(server.host(), server.port())) {
      s.getOutputStream().write("stats\r\n".getBytes(StandardCharsets.US_ASCII));
      BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
      for (String line = in.readLine(); line != null && !line.equals("END"); line = in.readLine()) {
        if (line.startsWith("STAT curr_connections ")) {
          return Integer.parseInt(line.substring("STAT curr_connections ".length()).trim()) - 1;
        }
      }
      throw new IllegalStateException("no curr_connections in stats");
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean await(BooleanSupplier condition, long millis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Thread.sleep(10);
    }
    return true;
  }
}
