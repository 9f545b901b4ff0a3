package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.LocalMemcached;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
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
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import javax.cache.CacheException;
import org.junit.jupiter.api.Test;

/**
 * Gets in the text protocol go as meta gets ({@link MetaGetOperation}) when memcached speaks
 * them, and as classic gets when it does not: values of every size and content come back as
 * stored, blocking, in a multi-get and with hundreds in flight; a server that says it is older
 * than 1.6, or that refuses the command, gets classic gets.
 */
class MetaGetTest {

  @Test
  void textGetsAreMetaGetsAndReturnEveryValueAsStored() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server.address(), false);
      try {
        Random random = new Random(7);
        int[] sizes = {0, 1, 2, 5, 100, 1_000, 16_384, 100_000, 600_000};
        byte[][] values = new byte[sizes.length][];
        for (int i = 0; i < sizes.length; i++) {
          values[i] = new byte[sizes[i]];
          random.nextBytes(values[i]);
          if (sizes[i] >= 8) {
            System.arraycopy("\r\nEN\r\n".getBytes(StandardCharsets.US_ASCII), 0, values[i], 1, 6);
          }
          transport.set("size" + i, 0, values[i]);
        }
        assertTrue(transport.sendsMetaGets(), "memcached " + version(server) + " speaks the meta get");
        for (int i = 0; i < sizes.length; i++) {
          assertArrayEquals(values[i], transport.get("size" + i), sizes[i] + " bytes");
        }
        assertNull(transport.get("absent"));
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++) {
          keys.add("size" + i);
          keys.add("absent" + i);
        }
        Map<String, byte[]> all = transport.getAll(keys);
        assertEquals(sizes.length, all.size(), "the hits of a multi-get, and only them");
        for (int i = 0; i < sizes.length; i++) {
          assertArrayEquals(values[i], all.get("size" + i), "multi-get of " + sizes[i] + " bytes");
        }

        assertTrue(transport.readsInParts());
        int[] heads = new int[keys.size()];
        Arrays.fill(heads, 3);
        Parts[] parts = transport.getAllParts(keys, heads);
        for (int i = 0; i < sizes.length; i++) {
          assertParts(values[i], 3, transport.getParts("size" + i, 3), "get in parts");
          assertParts(values[i], 3, parts[2 * i], "multi-get in parts");
          assertNull(parts[2 * i + 1]);
        }
        assertNull(transport.getParts("absent", 3));

        List<CompletableFuture<byte[]>> answers = new ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
          answers.add(transport.getAsync(i % 3 == 0 ? "absent" + i : "size" + (i % sizes.length)));
        }
        for (int i = 0; i < 1_000; i++) {
          byte[] v = answers.get(i).get(30, TimeUnit.SECONDS);
          if (i % 3 == 0) {
            assertNull(v, "absent" + i);
          } else {
            assertArrayEquals(values[i % sizes.length], v, "get " + i + " in flight");
          }
        }
      } finally {
        transport.close();
      }
    }
  }

  /** {@code read} is {@code value}, in two parts split after {@code head} bytes when it is longer. */
  private static void assertParts(byte[] value, int head, Parts read, String what) {
    String at = what + ", " + value.length + " bytes";
    if (value.length > head) {
      assertArrayEquals(Arrays.copyOf(value, head), read.head(), at);
      assertArrayEquals(Arrays.copyOfRange(value, head, value.length), read.tail(), at);
    } else {
      assertArrayEquals(value, read.head(), at);
      assertNull(read.tail(), at);
    }
  }

  @Test
  void aMultiGetFromAFrozenServerFailsWithinOneOperationTimeout() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server.address(), false, 500);
      try {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
          keys.add("k" + i);
          transport.set("k" + i, 0, new byte[] {(byte) i});
        }
        assertTrue(transport.sendsMetaGets());
        server.pause();
        long start = System.nanoTime();
        CacheException e = assertThrows(CacheException.class, () -> transport.getAll(keys));
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(e.getMessage().contains("timed out"), e.getMessage());
        assertTrue(millis < 2_500, "50 gets wait one timeout of 500 ms together, not one each: " + millis + " ms");
        server.resume();
        assertEquals(50, transport.getAll(keys).size(), "the next multi-get reads every key");
      } finally {
        server.resume();
        transport.close();
      }
    }
  }

  @Test
  void binaryGetsStayBinaryAndReadInPartsWithABinaryGet() throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = transport(server.address(), true);
      try {
        transport.set("k", 0, new byte[] {1, 2, 3});
        assertArrayEquals(new byte[] {1, 2, 3}, transport.get("k"));
        assertArrayEquals(new byte[] {1, 2, 3}, transport.getAsync("k").get(10, TimeUnit.SECONDS));
        assertFalse(transport.sendsMetaGets(), "the meta get is a text command");
        assertTrue(transport.readsInParts());
        Parts parts = transport.getParts("k", 1);
        assertArrayEquals(new byte[] {1}, parts.head());
        assertArrayEquals(new byte[] {2, 3}, parts.tail());
        Parts[] all = transport.getAllParts(List.of("absent", "k"), new int[] {1, 3});
        assertNull(all[0]);
        assertArrayEquals(new byte[] {1, 2, 3}, all[1].head(), "no longer than its head: whole");
        assertNull(all[1].tail());
        assertNull(transport.getParts("absent", 1));
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void aServerOlderThanOneSixGetsClassicGets() throws Exception {
    try (FakeServer old = new FakeServer("1.5.22")) {
      old.values.put("k", "hi");
      SpyTransport transport = transport(old.address(), false);
      try {
        assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), transport.get("k"));
        assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), transport.getAsync("k").get(10, TimeUnit.SECONDS));
        assertEquals(Map.of("k", "hi"), strings(transport.getAll(List.of("k", "absent"))));
        assertEquals(0, old.metaGets.get(), "no meta get was sent");
        assertFalse(transport.sendsMetaGets());
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void aServerThatRefusesMetaCommandsOnACallersOwnConnectionGetsClassicGetsFromThatGetOn() throws Exception {
    try (FakeServer proxy = new FakeServer("1.6.9")) {
      proxy.values.put("k", "hi");
      SpyTransport transport = transport(proxy.address(), false);
      try {
        // a connection of the caller's own (DirectGets) first asks a meta no-op, which is refused:
        // the get goes on as a classic one, and so do all after it
        assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), transport.get("k"));
        assertEquals(Map.of("k", "hi"), strings(transport.getAll(List.of("k", "absent"))));
        assertEquals(0, proxy.metaGets.get(), "no meta get was sent after the refused meta no-op");
        assertTrue(proxy.classicGets.get() >= 2);
        assertFalse(transport.sendsMetaGets());
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void aServerThatRefusesTheMetaGetFailsThatGetAndGetsClassicGetsFromThenOn() throws Exception {
    try (FakeServer proxy = new FakeServer("1.6.9")) {
      proxy.values.put("k", "hi");
      // through spymemcached's connection (no connection of the caller's own)
      SpyTransport transport = transport(proxy.address(), false, 5000, "&directGets=0");
      try {
        CacheException e = assertThrows(CacheException.class, () -> transport.get("k"));
        assertTrue(String.valueOf(e.getMessage()).contains("meta get"), e.getMessage());
        // spymemcached reconnects after an error line; then the get is a classic one
        byte[] v = null;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (v == null && System.nanoTime() < deadline) {
          try {
            v = transport.get("k");
          } catch (CacheException notYetReconnected) {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
          }
        }
        assertArrayEquals("hi".getBytes(StandardCharsets.US_ASCII), v);
        assertEquals(Map.of("k", "hi"), strings(transport.getAll(List.of("k", "absent"))));
        assertEquals(1, proxy.metaGets.get(), "one meta get was refused; none was sent after it");
        assertTrue(proxy.classicGets.get() >= 1);
        assertFalse(transport.sendsMetaGets());
      } finally {
        transport.close();
      }
    }
  }

  @Test
  void onlyMemcachedOneSixOrLaterSpeaksTheMetaGet() {
    assertTrue(ServerCheck.speaksMetaGet("VERSION 1.6.0"));
    assertTrue(ServerCheck.speaksMetaGet("VERSION 1.6.18"));
    assertTrue(ServerCheck.speaksMetaGet("VERSION 1.10.2"));
    assertTrue(ServerCheck.speaksMetaGet("VERSION 2.0.0"));
    assertFalse(ServerCheck.speaksMetaGet("VERSION 1.5.22"));
    assertFalse(ServerCheck.speaksMetaGet("VERSION 1.4.39"));
    assertFalse(ServerCheck.speaksMetaGet("VERSION 1.6"));
    assertFalse(ServerCheck.speaksMetaGet("VERSION mcrouter 41.0.0"));
    assertFalse(ServerCheck.speaksMetaGet("ERROR"));
    assertFalse(ServerCheck.speaksMetaGet(null));
  }

  private static SpyTransport transport(String address, boolean binary) {
    return transport(address, binary, 5000);
  }

  private static SpyTransport transport(String address, boolean binary, int opTimeoutMillis) {
    return transport(address, binary, opTimeoutMillis, "");
  }

  private static SpyTransport transport(String address, boolean binary, int opTimeoutMillis, String more) {
    URI uri = URI.create("memcached://" + address + "/?binary=" + binary + "&opTimeout=" + opTimeoutMillis + more);
    return new SpyTransport(SettingsParser.parse(uri, MetaGetTest.class.getClassLoader(), null).transport());
  }

  private static Map<String, String> strings(Map<String, byte[]> values) {
    Map<String, String> out = new HashMap<>();
    values.forEach((k, v) -> out.put(k, new String(v, StandardCharsets.US_ASCII)));
    return out;
  }

  /** What memcached's {@code version} says. */
  private static String version(LocalMemcached server) throws IOException {
    try (Socket s = new Socket(server.host(), server.port())) {
      s.getOutputStream().write("version\r\n".getBytes(StandardCharsets.US_ASCII));
      return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
    }
  }

  /**
   * A stand-in for a memcached this machine cannot run (older than 1.6, or a proxy): it says it is
   * {@code version}, answers {@code stats settings}, {@code version} and classic {@code get}s from
   * {@link #values}, and refuses the meta get as an older memcached does, with {@code ERROR}.
   */
  private static final class FakeServer implements AutoCloseable {
    final Map<String, String> values = new ConcurrentHashMap<>();
    final AtomicInteger metaGets = new AtomicInteger();
    final AtomicInteger classicGets = new AtomicInteger();
    private final String version;
    private final ServerSocket socket;
    private final List<Socket> clients = new CopyOnWriteArrayList<>();

    FakeServer(String version) throws IOException {
      this.version = version;
      this.socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      Thread accept = new Thread(this::accept, "fake-memcached");
      accept.setDaemon(true);
      accept.start();
    }

    String address() {
      return "127.0.0.1:" + socket.getLocalPort();
    }

    private void accept() {
      while (!socket.isClosed()) {
        try {
          Socket client = socket.accept();
          clients.add(client);
          Thread t = new Thread(() -> serve(client), "fake-memcached-client");
          t.setDaemon(true);
          t.start();
        } catch (IOException closed) {
          return;
        }
      }
    }

    private void serve(Socket client) {
      try (client) {
        InputStream in = client.getInputStream();
        OutputStream out = client.getOutputStream();
        String line;
        while ((line = readLine(in)) != null) {
          String[] words = line.split(" ");
          StringBuilder answer = new StringBuilder();
          switch (words[0]) {
            case "stats" -> answer.append("STAT item_size_max 1048576\r\nEND\r\n");
            case "version" -> answer.append("VERSION ").append(version).append("\r\n");
            case "get" -> {
              classicGets.incrementAndGet();
              for (int i = 1; i < words.length; i++) {
                String v = values.get(words[i]);
                if (v != null) {
                  answer.append("VALUE ").append(words[i]).append(" 0 ").append(v.length()).append("\r\n")
                      .append(v).append("\r\n");
                }
              }
              answer.append("END\r\n");
            }
            case "mg" -> {
              metaGets.incrementAndGet();
              answer.append("ERROR\r\n");
            }
            default -> answer.append("ERROR\r\n");
          }
          out.write(answer.toString().getBytes(StandardCharsets.US_ASCII));
          out.flush();
        }
      } catch (IOException gone) {
        // the client closed the connection
      }
    }

    private static String readLine(InputStream in) throws IOException {
      StringBuilder line = new StringBuilder();
      int c;
      while ((c = in.read()) != -1) {
        if (c == '\n') {
          return line.toString();
        }
        if (c != '\r') {
          line.append((char) c);
        }
      }
      return null;
    }

    @Override
    public void close() throws IOException {
      socket.close();
      for (Socket c : clients) {
        c.close();
      }
    }
  }
}
