package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * {@link DirectConnection} against a scripted server that answers one byte per write: answers split
 * anywhere are read whole, in one array or two; whatever is not the answer asked for (an error line,
 * a malformed line, bytes after the answer, another request's binary answer, a close) ends the
 * connection as lost; silence ends it at the deadline.
 */
class DirectConnectionTest {

  private static final byte[] KEY = "ns-1-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  @Test
  void aTextAnswerSplitAnywhereIsReadWholeOrInParts() throws Exception {
    byte[] value = "0123456789\r\nEN\r\n".getBytes(StandardCharsets.US_ASCII);
    byte[] answer = concat(("VA " + value.length + "\r\n").getBytes(StandardCharsets.US_ASCII), value, crlf());
    try (Scripted server = Scripted.answering(request -> answer, false)) {
      try (DirectConnection c = server.connect(false)) {
        assertArrayEquals(value, c.get(KEY, 0, in(5_000)).whole());
        Parts parts = c.get(KEY, 4, in(5_000));
        assertEquals(4, parts.head().length);
        assertArrayEquals(value, parts.whole());
      }
      assertEquals("mg " + new String(KEY, StandardCharsets.US_ASCII) + " v\r\n", server.firstRequest());
    }
  }

  @Test
  void aTextMissIsMissing() throws Exception {
    try (Scripted server = Scripted.answering(request -> "EN\r\n".getBytes(StandardCharsets.US_ASCII), false);
        DirectConnection c = server.connect(false)) {
      assertSame(DirectConnection.MISSING, c.get(KEY, 0, in(5_000)));
      assertSame(DirectConnection.MISSING, c.get(KEY, 3, in(5_000)));
    }
  }

  @Test
  void whatIsNotTheAnswerAskedForEndsTheConnection() throws Exception {
    DirectConnection.Refused unknown;
    try (Scripted server = Scripted.answering(request -> "ERROR\r\n".getBytes(StandardCharsets.US_ASCII), false);
        DirectConnection c = server.connect(false)) {
      unknown = assertThrows(DirectConnection.Refused.class, () -> c.get(KEY, 0, in(5_000)));
    }
    assertTrue(unknown.unknownCommand, "ERROR: the server does not know the meta get");
    for (String answer : new String[] {
        "SERVER_ERROR out of memory\r\n", "ERROR oops\r\n", "CLIENT_ERROR bad\r\n", "VA x\r\nabc\r\n", "VA 3\r\nabcXY", "EN\r\nEN\r\n",
        "VA 3 \r\nabc\r\nEN\r\n", "HD\r\n", "X".repeat(600) + "\r\n"}) {
      // in one write, so that bytes after an answer arrive with it
      try (Scripted server = Scripted.answering(request -> answer.getBytes(StandardCharsets.US_ASCII), false, true);
          DirectConnection c = server.connect(false)) {
        assertThrows(DirectConnection.Refused.class, () -> c.get(KEY, 0, in(5_000)), answer);
      }
    }
  }

  @Test
  void aTextLineOnABinaryConnectionIsReportedWhole() throws Exception {
    // memcached past its connection limit answers any first request with a text line and closes
    for (String line : new String[] {"ERROR Too many open connections", "ERROR"}) {
      try (Scripted server = Scripted.answering(request -> bytes(line + "\r\n"), true);
          DirectConnection c = server.connect(true)) {
        DirectConnection.Refused refused = assertThrows(DirectConnection.Refused.class, () -> c.get(KEY, 0, in(5_000)));
        assertEquals(line, refused.answer);
      }
      try (Scripted server = Scripted.answeringOnce(bytes(line), true); // a line without its end, then the close
          DirectConnection c = server.connect(true)) {
        assertEquals(line, assertThrows(DirectConnection.Refused.class, () -> c.get(KEY, 0, in(5_000))).answer);
      }
    }
  }

  @Test
  void anIdleConnectionTheServerClosedIsNotQuiet() throws Exception {
    try (Scripted server = Scripted.answering(request -> "EN\r\n".getBytes(StandardCharsets.US_ASCII), false);
        DirectConnection c = server.connect(false)) {
      assertTrue(c.quiet());
      assertSame(DirectConnection.MISSING, c.get(KEY, 0, in(5_000)));
      assertTrue(c.quiet());
      server.close();
      server.closeConnection();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (c.quiet()) {
        assertTrue(System.nanoTime() < deadline, "the close was never seen");
        Thread.onSpinWait();
      }
    }
  }

  @Test
  void aServerThatClosesIsLostAndASilentOneIsLate() throws Exception {
    try (Scripted server = Scripted.answering(request -> null, false);
        DirectConnection c = server.connect(false)) {
      assertThrows(DirectConnection.Lost.class, () -> c.get(KEY, 0, in(5_000)));
    }
    try (Scripted server = Scripted.answering(request -> new byte[0], false);
        DirectConnection c = server.connect(false)) {
      long start = System.nanoTime();
      assertThrows(DirectConnection.Late.class, () -> c.get(KEY, 0, in(200)));
      long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertTrue(millis >= 190 && millis < 3_000, millis + " ms");
    }
  }

  @Test
  void aTextMultiGetsAnswersSplitAnywhereAreMatchedToTheirKeys() throws Exception {
    byte[][] keys = {bytes("a"), bytes("bb"), bytes("a"), bytes("ccc"), bytes("dd")};
    String answer = "VALUE a 0 3\r\nEND\r\nVALUE a 4294967295 2 77\r\nhi\r\nVALUE dd 0 0\r\n\r\nEND\r\n";
    try (Scripted server = Scripted.answering(request -> bytes(answer), false);
        DirectConnection c = server.connect(false)) {
      Parts[] found = c.getAll(keys, new int[] {1, 1, 1, 1, 1}, in(5_000));
      assertArrayEquals(bytes("END"), found[0].whole());
      assertEquals(1, found[0].head().length);
      assertNull(found[1]);
      assertArrayEquals(bytes("hi"), found[2].whole());
      assertNull(found[3]);
      assertArrayEquals(new byte[0], found[4].whole());
      assertEquals("get a bb a ccc dd\r\n", server.firstRequest());
    }
    for (String wrong : new String[] {"VALUE e 0 1\r\nx\r\nEND\r\n", "VALUE bb 0 1\r\nx\r\nVALUE bb 0 1\r\nx\r\nEND\r\n",
        "VALUE a 0\r\nEND\r\n", "VALUE a x 1\r\nx\r\nEND\r\n", "SERVER_ERROR busy\r\n", "END\r\nEND\r\n"}) {
      try (Scripted server = Scripted.answering(request -> bytes(wrong), false, true);
          DirectConnection c = server.connect(false)) {
        assertThrows(DirectConnection.Refused.class, () -> c.getAll(new byte[][] {bytes("a"), bytes("bb")}, null, in(5_000)), wrong);
      }
    }
  }

  @Test
  void aBinaryMultiGetsAnswersAreMatchedByTheirPlace() throws Exception {
    Function<byte[], byte[]> answers = requests -> {
      // quiet gets of 3 keys and a no-op: answer the first and the third, then the no-op
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int at = 0;
      int i = 0;
      while (at < requests.length) {
        int body = ByteBuffer.wrap(requests, at + 8, 4).getInt();
        byte[] one = java.util.Arrays.copyOfRange(requests, at, at + 24 + body);
        if (requests[at + 1] == 0x0a || i != 1) {
          out.writeBytes(binaryAnswer(one, 0, requests[at + 1] == 0x0a ? new byte[0] : new byte[4],
              requests[at + 1] == 0x0a ? new byte[0] : new byte[] {(byte) i, 9}));
        }
        at += 24 + body;
        i++;
      }
      return out.toByteArray();
    };
    try (Scripted server = Scripted.batch(answers, 3 * 24 + 3 + 24); DirectConnection c = server.connect(true)) {
      Parts[] found = c.getAll(new byte[][] {bytes("a"), bytes("b"), bytes("c")}, null, in(5_000));
      assertArrayEquals(new byte[] {0, 9}, found[0].whole());
      assertNull(found[1]);
      assertArrayEquals(new byte[] {2, 9}, found[2].whole());
    }
  }

  @Test
  void aBinaryAnswerSplitAnywhereIsReadWholeOrInParts() throws Exception {
    byte[] value = new byte[40_000];
    for (int i = 0; i < value.length; i++) {
      value[i] = (byte) (i * 31);
    }
    try (Scripted server = Scripted.answering(request -> binaryAnswer(request, 0, new byte[] {0, 0, 0, 7}, value), true);
        DirectConnection c = server.connect(true)) {
      assertArrayEquals(value, c.get(KEY, 0, in(10_000)).whole());
      Parts parts = c.get(KEY, 100, in(10_000));
      assertEquals(100, parts.head().length);
      assertArrayEquals(value, parts.whole());
    }
    try (Scripted server = Scripted.answering(request -> binaryAnswer(request, 1, new byte[0], "Not found".getBytes(StandardCharsets.US_ASCII)), true);
        DirectConnection c = server.connect(true)) {
      assertSame(DirectConnection.MISSING, c.get(KEY, 0, in(5_000)));
    }
  }

  @Test
  void aBinaryAnswerToAnotherRequestOrWithAnErrorEndsTheConnection() throws Exception {
    Function<byte[], byte[]> otherOpaque = request -> {
      byte[] a = binaryAnswer(request, 0, new byte[4], new byte[] {1});
      a[15]++;
      return a;
    };
    Function<byte[], byte[]> otherCommand = request -> {
      byte[] a = binaryAnswer(request, 0, new byte[4], new byte[] {1});
      a[1] = 0x0c;
      return a;
    };
    Function<byte[], byte[]> unknownCommand = request -> binaryAnswer(request, 0x81, new byte[0], new byte[0]);
    for (Function<byte[], byte[]> script : java.util.List.of(otherOpaque, otherCommand, unknownCommand)) {
      try (Scripted server = Scripted.answering(script, true); DirectConnection c = server.connect(true)) {
        assertThrows(DirectConnection.Refused.class, () -> c.get(KEY, 0, in(5_000)));
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static DirectConnection.Deadline in(long millis) {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
    return () -> end - System.nanoTime();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  private static byte[] crlf() {
    return new byte[] {'\r', '\n'};
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  /** A binary get's answer to {@code request}: its opcode and opaque, {@code status}, extras and value. */
  private static byte[] binaryAnswer(byte[] request, int status, byte[] extras, byte[] value) {
    ByteBuffer b = ByteBuffer.allocate(24 + extras.length + value.length);
    b.put((byte) 0x81).put(request[1]).putShort((short) 0).put((byte) extras.length).put((byte) 0)
        .putShort((short) status).putInt(extras.length + value.length).put(request, 12, 4).putLong(0)
        .put(extras).put(value);
    return b.array();
  }

  /**
   * A server of one connection that reads each request (a text line, or a binary header and key)
   * and writes what {@code script} makes of it one byte per write (or in one); null closes the
   * connection, an empty answer is never sent.
   */
  private static final class Scripted implements AutoCloseable {
    private final ServerSocket socket;
    private final CompletableFuture<String> first = new CompletableFuture<>();
    private final Thread thread;

    private final int batchBytes;

    private Scripted(Function<byte[], byte[]> script, boolean binary, boolean oneWrite, int batchBytes) throws IOException {
      this.batchBytes = batchBytes;
      socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
      thread = new Thread(() -> serve(script, binary, oneWrite), "scripted-memcached");
      thread.setDaemon(true);
      thread.start();
    }

    static Scripted answering(Function<byte[], byte[]> script, boolean binary) throws IOException {
      return new Scripted(script, binary, false, 0);
    }

    /** A binary server that reads {@code requestBytes} of requests at once and answers them in one write. */
    static Scripted batch(Function<byte[], byte[]> script, int requestBytes) throws IOException {
      return new Scripted(script, true, true, requestBytes);
    }

    static Scripted answering(Function<byte[], byte[]> script, boolean binary, boolean oneWrite) throws IOException {
      return new Scripted(script, binary, oneWrite, 0);
    }

    /** A server that answers the first request with {@code answer}, one byte per write, and closes the connection. */
    static Scripted answeringOnce(byte[] answer, boolean binary) throws IOException {
      Scripted server = new Scripted(request -> answer, binary, false, 0);
      server.once = true; // before any connection: serve reads it after a request
      return server;
    }

    /** Whether the connection closes after the first answer. */
    private volatile boolean once;

    DirectConnection connect(boolean binary) throws IOException {
      InetSocketAddress server = new InetSocketAddress(InetAddress.getLoopbackAddress(), socket.getLocalPort());
      DirectConnection c = DirectConnection.create(server, binary, null, 0);
      try {
        c.connect(server, in(5_000));
        return c;
      } catch (IOException | RuntimeException e) {
        c.close();
        throw e;
      }
    }

    String firstRequest() throws Exception {
      return first.get(5, TimeUnit.SECONDS);
    }

    private volatile Socket accepted;

    /** Closes the connection it accepted. */
    void closeConnection() throws IOException {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
      while (accepted == null && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      accepted.close();
    }

    private void serve(Function<byte[], byte[]> script, boolean binary, boolean oneWrite) {
      try (Socket s = socket.accept()) {
        accepted = s;
        s.setTcpNoDelay(true);
        InputStream in = s.getInputStream();
        OutputStream out = s.getOutputStream();
        while (true) {
          byte[] request = batchBytes > 0 ? in.readNBytes(batchBytes) : binary ? binaryRequest(in) : line(in);
          if (request != null && request.length == 0) {
            return;
          }
          if (request == null) {
            return;
          }
          first.complete(new String(request, StandardCharsets.ISO_8859_1));
          byte[] answer = script.apply(request);
          if (answer == null) {
            return;
          }
          if (oneWrite) {
            out.write(answer);
            out.flush();
            continue;
          }
          for (byte b : answer) {
            out.write(b);
            out.flush();
          }
          if (once) {
            return;
          }
        }
      } catch (IOException e) {
        // the test closed it
      }
    }

    private static byte[] line(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      for (int b = in.read(); b >= 0; b = in.read()) {
        line.write(b);
        if (b == '\n') {
          return line.toByteArray();
        }
      }
      return null;
    }

    private static byte[] binaryRequest(InputStream in) throws IOException {
      byte[] header = in.readNBytes(24);
      if (header.length < 24) {
        return null;
      }
      int body = ByteBuffer.wrap(header).getInt(8);
      return concat(header, in.readNBytes(body));
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }
}
