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
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
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
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import javax.cache.CacheException;
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
        assertTrue(await(() -> {
          try {
            transport.set("k", 0, new byte[] {2}); // through spymemcached's connection
            return true;
          } catch (CacheException notYetReconnected) {
            return false;
          }
        }, 10_000), "spymemcached reconnected");
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
  void aMultiGetOnTheSharedConnectionCountsAsABlockingReadInProgress() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server, false, "&directGets=1&opTimeout=3000");
      try {
        transport.set("k", 0, new byte[] {1});
        assertArrayEquals(new byte[] {1}, transport.get("k"));
        assertEquals(1, transport.directConnections());
        server.pause();
        List<String> many = new ArrayList<>();
        for (int i = 0; i <= GetBatches.MAX_KEYS; i++) {
          many.add("m" + i);
        }
        CompletableFuture<Throwable> multi = new CompletableFuture<>();
        Thread first = new Thread(() -> multi.complete(assertThrows(CacheException.class, () -> transport.getAll(many))));
        first.start();
        assertTrue(await(() -> waitsIn(first, "finishAll"), 5_000), "the multi-get waits on the shared connection");
        // one blocking read is in progress: with directGets=1 this get goes through the shared connection too,
        // and the idle direct connection is left as it is (a get on it would time out and close it)
        assertThrows(CacheException.class, () -> transport.get("k"));
        assertTrue(multi.get(10, TimeUnit.SECONDS) instanceof CacheException);
        assertEquals(1, transport.directConnections(), "the direct connection was not used");
      } finally {
        server.resume();
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
      Thread caller = getting(transport, "k", outcome);
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

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aServerAtItsConnectionLimitIsLeftToTheSharedConnectionForAWhile(boolean binary) throws Exception {
    try (LocalMemcached server = LocalMemcached.start("-c", "20")) {
      SpyTransport transport = transport(server, binary, "");
      List<Socket> filling = new ArrayList<>();
      try (Stats stats = new Stats(server)) { // opened first: a full server refuses new connections
        transport.set("k", 0, new byte[] {7});
        boolean full = false;
        for (int i = 0; i < 40 && !full; i++) { // memcached answers a connection past its limit with an error
          Socket s = new Socket(server.host(), server.port());
          s.setSoTimeout(5_000);
          filling.add(s);
          s.getOutputStream().write("version\r\n".getBytes(StandardCharsets.US_ASCII));
          String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
          full = line == null || line.startsWith("ERROR");
        }
        assertTrue(full, "memcached reached its connection limit");
        long rejectedBefore = stats.get("rejected_connections");
        for (int i = 0; i < 20; i++) {
          assertArrayEquals(new byte[] {7}, transport.get("k"), "answered through the shared connection");
          assertEquals(Map.of(), transport.getAll(List.of("absent-a", "absent-b")));
        }
        // one refused connection, then none for a second (not one per get)
        long rejected = stats.get("rejected_connections") - rejectedBefore;
        assertTrue(rejected <= 2, "rejected " + rejected);
        assertEquals(!binary, transport.sendsMetaGets(), "a full server is not one that does not know the meta get");
        for (Socket s : filling) {
          s.close();
        }
        assertTrue(await(() -> {
          transport.get("k");
          return transport.directConnections() == 1;
        }, 10_000), "a connection of its own again once the server has room");
        assertEquals(!binary, transport.sendsMetaGets());
      } finally {
        for (Socket s : filling) {
          s.close();
        }
        transport.close();
      }
    }
  }

  @Test
  void anErrorAnswerLateInTheTimeoutIsTheServersAnswer() throws Exception {
    // the second meta get is answered with an error after 650 ms, of a 1,000 ms timeout: too late to ask again
    try (SlowServer slow = new SlowServer(650, 650)) {
      SpyTransport transport = slow.transport();
      try {
        assertNull(transport.get("k"), "the first meta get, on a new connection of its own, is answered at once");
        CacheException e = assertThrows(CacheException.class, () -> transport.get("k"));
        assertTrue(e.getMessage().contains("answered get of k with an error: SERVER_ERROR out of memory"), e.getMessage());
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void aSlowAnswerWithinTheTimeoutOnANewConnectionIsTheAnswer() throws Exception {
    // every get answered after 600 ms, of a 1,000 ms timeout; the first one opens the connection
    try (SlowServer slow = new SlowServer(0, 0, 600)) {
      SpyTransport transport = slow.transport();
      try {
        for (int i = 0; i < 3; i++) {
          assertArrayEquals(new byte[] {'x'}, transport.get("k"), "get " + i);
        }
        assertEquals(3, slow.metaGets.get(), "each asked once");
        assertEquals(1, transport.directConnections());
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void aGetAskedAgainOnTheSharedConnectionKeepsItsTimeout() throws Exception {
    // the second meta get is answered with an error after 450 ms, asked again on the shared connection,
    // answered after 900 more: the call still times out 1,000 ms after it began
    try (SlowServer slow = new SlowServer(450, 900)) {
      SpyTransport transport = slow.transport();
      try {
        assertNull(transport.get("k"));
        long start = System.nanoTime();
        CacheException e = assertThrows(CacheException.class, () -> transport.get("k"));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getMessage().contains("timed out after 1000 ms"), e.getMessage());
        assertTrue(millis < 1_300, "timed out " + millis + " ms after the call began");
        assertEquals(3, slow.metaGets.get(), "asked once on its own connection, once on the shared one");
      } finally {
        transport.close();
      }
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void aServerThatStopsAcceptingConnectionsIsLeftToTheSharedConnection(boolean binary) throws Exception {
    // past its limit this memcached stops accepting: a new connection's handshake is never answered
    try (LocalMemcached server = LocalMemcached.start("-c", "20", "-o", "no_maxconns_fast")) {
      SpyTransport transport = transport(server, binary, "&opTimeout=500");
      List<Socket> filling = new ArrayList<>();
      try {
        transport.set("k", 0, new byte[] {7});
        for (int i = 0; i < 40; i++) {
          Socket s = new Socket();
          try {
            s.connect(new InetSocketAddress(server.host(), server.port()), 300);
          } catch (IOException notAccepted) {
            s.close();
            break;
          }
          filling.add(s);
        }
        transport.set("k", 0, new byte[] {8}); // the shared connection is still served
        for (int i = 0; i < 10; i++) {
          long start = System.nanoTime();
          assertArrayEquals(new byte[] {8}, transport.get("k"), "get " + i);
          assertTrue(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start) < 500, "within the timeout");
        }
        assertEquals(0, transport.directConnections());
        assertEquals(List.of(), transport.stalledServers(), "a healthy server is not blamed");
      } finally {
        for (Socket s : filling) {
          s.close();
        }
        transport.close();
      }
    }
  }

  @Test
  void aGetsTimeoutCountsFromWhenItIsQueuedNotFromItsWaitForRoom() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      // shared connection only; a queue of 16 operations; waits for room up to 5 s; 1 s timeouts
      SpyTransport transport = transport(server, false,
          "&directGets=0&opTimeout=1000&opQueueWait=5000&opQueueSize=16&opQueueBytes=67108864&stallTimeouts=0");
      List<Thread> fillers = new ArrayList<>();
      try {
        transport.set("k", 0, new byte[] {7});
        server.pause();
        for (int t = 0; t < 2; t++) { // large writes that fill the socket and stay queued, then small ones
          int n = t;
          Thread filler = new Thread(() -> {
            Map<String, byte[]> values = new HashMap<>();
            for (int i = 0; i < (n == 0 ? 12 : 300); i++) {
              values.put("fill-" + n + "-" + i, new byte[n == 0 ? 900_000 : 100]);
            }
            try {
              transport.setAll(values, 0);
            } catch (RuntimeException timedOut) {
              // while the server is frozen
            }
          });
          filler.setDaemon(true);
          filler.start();
          fillers.add(filler);
          if (n == 0) {
            assertTrue(await(() -> transport.queuedBytes(new InetSocketAddress(server.host(), server.port())) > 5_000_000, 10_000), "large writes queued");
          }
        }
        assertTrue(await(() -> waitsForRoom(fillers.get(1)), 10_000), "the queue is full");
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        Thread getter = new Thread(() -> {
          try {
            outcome.complete(transport.get("k"));
          } catch (RuntimeException e) {
            outcome.complete(e);
          }
        });
        getter.start();
        assertTrue(await(() -> waitsForRoom(getter), 10_000), () -> "the get waits for room in the queue: " + outcome.getNow(null));
        Thread.sleep(1_500); // longer than opTimeout, in the wait for room: not part of the get's timeout
        server.resume();
        Object got = outcome.get(20, TimeUnit.SECONDS);
        assertTrue(got instanceof byte[], "answered, not " + got);
        assertArrayEquals(new byte[] {7}, (byte[]) got);
      } finally {
        server.resume();
        transport.close();
      }
    }
  }

  /** Whether {@code t} waits for room in a full queue. */
  private static boolean waitsForRoom(Thread t) {
    for (StackTraceElement e : t.getStackTrace()) {
      if (e.getClassName().endsWith(".BudgetedQueue") && e.getMethodName().equals("offer")) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- helpers

  /**
   * Enough of memcached 1.6.9 for the start check, answering its first meta get as a miss at once,
   * the second with an error after {@code firstMillis} and later ones with errors after {@code
   * laterMillis}.
   */
  private static final class SlowServer implements AutoCloseable {
    final AtomicInteger metaGets = new AtomicInteger();
    private final ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    private final List<Socket> clients = new CopyOnWriteArrayList<>();
    private final long firstMillis;
    private final long laterMillis;
    /** When 0 or more: every meta get is a hit ({@code x}) after this long, instead of the above. */
    private final long hitMillis;

    SlowServer(long firstMillis, long laterMillis) throws IOException {
      this(firstMillis, laterMillis, -1);
    }

    SlowServer(long firstMillis, long laterMillis, long hitMillis) throws IOException {
      this.firstMillis = firstMillis;
      this.laterMillis = laterMillis;
      this.hitMillis = hitMillis;
      Thread accept = new Thread(() -> {
        while (!socket.isClosed()) {
          try {
            Socket client = socket.accept();
            clients.add(client);
            Thread t = new Thread(() -> serve(client), "slow-memcached-client");
            t.setDaemon(true);
            t.start();
          } catch (IOException closed) {
            return;
          }
        }
      }, "slow-memcached");
      accept.setDaemon(true);
      accept.start();
    }

    /** A text transport to this server with a timeout of 1,000 ms. */
    SpyTransport transport() {
      return new SpyTransport(SettingsParser.parse(URI.create("memcached://127.0.0.1:" + socket.getLocalPort()
          + "/?opTimeout=1000"), DirectGetsTest.class.getClassLoader(), null).transport());
    }

    private void serve(Socket client) {
      try (client) {
        BufferedReader in = new BufferedReader(new InputStreamReader(client.getInputStream(), StandardCharsets.US_ASCII));
        OutputStream out = client.getOutputStream();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          String answer;
          if (line.startsWith("stats")) {
            answer = "STAT item_size_max 1048576\r\nEND\r\n";
          } else if (line.startsWith("version")) {
            answer = "VERSION 1.6.9\r\n";
          } else if (line.equals("mn")) {
            answer = "MN\r\n";
          } else if (line.startsWith("mg ") && hitMillis >= 0) {
            metaGets.incrementAndGet();
            Thread.sleep(hitMillis);
            answer = "VA 1\r\nx\r\n";
          } else if (line.startsWith("mg ")) {
            int n = metaGets.incrementAndGet();
            if (n > 1) {
              Thread.sleep(n == 2 ? firstMillis : laterMillis);
            }
            answer = n == 1 ? "EN\r\n" : "SERVER_ERROR out of memory writing get response\r\n";
          } else if (line.startsWith("get ")) {
            answer = "END\r\n";
          } else {
            answer = "ERROR\r\n";
          }
          out.write(answer.getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      } catch (IOException | InterruptedException gone) {
        // the client closed the connection
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket c : clients) {
        c.close();
      }
    }
  }

  /** memcached's {@code stats}, read over one connection of its own. */
  private static final class Stats implements AutoCloseable {
    private final Socket socket;
    private final BufferedReader in;

    Stats(LocalMemcached server) throws IOException {
      socket = new Socket(server.host(), server.port());
      socket.setSoTimeout(5_000);
      in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII));
    }

    long get(String name) throws IOException {
      socket.getOutputStream().write("stats\r\n".getBytes(StandardCharsets.US_ASCII));
      Long value = null;
      for (String line = in.readLine(); line != null && !line.equals("END"); line = in.readLine()) {
        if (line.startsWith("STAT " + name + " ")) {
          value = Long.parseLong(line.substring(("STAT " + name + " ").length()).trim());
        }
      }
      if (value == null) {
        throw new IllegalStateException("no " + name + " in stats");
      }
      return value;
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }


  private static SpyTransport transport(LocalMemcached server, boolean binary, String more) {
    URI uri = URI.create("memcached://" + server.address() + "/?binary=" + binary + more);
    return new SpyTransport(SettingsParser.parse(uri, DirectGetsTest.class.getClassLoader(), null).transport());
  }

  /** A started thread that gets {@code key}; {@code outcome} completes with what the get threw, or null. */
  static Thread getting(SpyTransport transport, String key, CompletableFuture<Throwable> outcome) {
    Thread caller = new Thread(() -> {
      try {
        transport.get(key);
        outcome.complete(null);
      } catch (Throwable t) {
        outcome.complete(t);
      }
    });
    caller.start();
    return caller;
  }

  /** Whether {@code caller} is in a method named {@code method} now. */
  static boolean waitsIn(Thread caller, String method) {
    for (StackTraceElement e : caller.getStackTrace()) {
      if (e.getMethodName().equals(method)) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code caller} waits for an answer on a direct connection. */
  static boolean waitsOnItsConnection(Thread caller) {
    for (StackTraceElement e : caller.getStackTrace()) {
      if (e.getClassName().equals(DirectConnection.class.getName()) && e.getMethodName().equals("await")) {
        return true;
      }
    }
    return false;
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

  static boolean await(BooleanSupplier condition, long millis) throws InterruptedException {
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
