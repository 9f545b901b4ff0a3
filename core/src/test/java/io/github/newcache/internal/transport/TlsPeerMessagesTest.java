package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.transport.tls.TlsSocketChannel;
import io.github.newcache.testing.TestTls;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.RawMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.ssl.SSLSocket;
import net.spy.memcached.MemcachedClient;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS 1.3 messages a server may send once the handshake is done, which memcached's own TLS never
 * sends in the other tests: a key update (that asks for one back) and a close_notify. A Java TLS
 * front, TLS 1.3 only, sits before a plain memcached and sends them while it relays.
 */
class TlsPeerMessagesTest {

  private static TlsFixture tls;
  private static LocalMemcached memcached;

  @BeforeAll
  static void start() {
    tls = TlsFixture.create();
    memcached = LocalMemcached.start();
  }

  @AfterAll
  static void stop() {
    TlsFixture.closeAll(memcached, tls);
  }

  /**
   * Every 2 KB of answers, the front updates its keys and asks the client to update its own: every
   * value still arrives intact, in both directions, with thousands of updates along the way.
   */
  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void keyUpdatesFromTheServerKeepTheConnectionWorking(boolean binary) throws Exception {
    try (TlsFront front = new TlsFront(2048, Long.MAX_VALUE, true)) {
      MemcachedClient c = SpyTlsTest.client(
          new SpyTlsTest.TlsFactory(TestTls.context(tls.clientSettings()), binary, 3000), front.port());
      try {
        Random random = new Random(11);
        for (int i = 0; i < 400; i++) {
          byte[] value = new byte[1 + random.nextInt(6000)];
          random.nextBytes(value);
          String key = (binary ? "ku-bin-" : "ku-txt-") + i;
          assertTrue(c.set(key, 0, value).get(3, TimeUnit.SECONDS), key);
          assertArrayEquals(value, (byte[]) c.asyncGet(key).get(3, TimeUnit.SECONDS), key);
        }
        assertTrue(front.keyUpdates.get() > 100, "key updates sent: " + front.keyUpdates.get());
        assertEquals(1, front.connections.get(), "the client never had to reconnect");
      } finally {
        c.shutdown(1, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * The front closes its half of the first connection after 4 KB of answers with a close_notify,
   * either followed by the end of its TCP stream (as the JDK's and most servers' TLS do) or on a
   * TCP stream it keeps open (TLS allows it; only the close_notify says that nothing more comes).
   * It still reads, as TLS 1.3 allows. Either way the client takes it as the end of that
   * connection, connects again, and serves every later call.
   */
  @ParameterizedTest
  @ValueSource(booleans = {true, false})
  void aCloseNotifyFromTheServerEndsOnlyThatConnection(boolean endOfStream) throws Exception {
    try (TlsFront front = new TlsFront(Long.MAX_VALUE, 4096, endOfStream)) {
      MemcachedClient c = SpyTlsTest.client(
          new SpyTlsTest.TlsFactory(TestTls.context(tls.clientSettings()), true, 1000), front.port());
      try {
        byte[] value = new byte[500];
        int stored = 0;
        int storedAfterReconnect = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (storedAfterReconnect < 20) {
          assertTrue(System.nanoTime() < deadline, "no reconnect after the close_notify within 10 s");
          boolean reconnected = front.connections.get() >= 2;
          try {
            if (c.set("cn" + stored, 0, value).get(1, TimeUnit.SECONDS)) {
              stored++;
              storedAfterReconnect += reconnected ? 1 : 0;
            }
          } catch (Exception whileReconnecting) {
            Thread.sleep(5); // calls in flight on the closed connection, or made before the new one is up, fail
          }
        }
        assertEquals(1, front.closeNotifies.get());
        assertArrayEquals(value, (byte[]) c.asyncGet("cn" + (stored - 1)).get(3, TimeUnit.SECONDS));
      } finally {
        c.shutdown(1, TimeUnit.SECONDS);
      }
    }
  }

  /**
   * Once the server's close_notify has arrived, nothing more is sent on that connection: a write
   * fails, so spymemcached drops the connection and connects again before it sends. A server that
   * still reads after its close_notify, as TLS 1.3 allows (the front does), would otherwise apply an
   * operation whose answer never comes, which the client then reports as failed. Before, the write
   * was encrypted and sent, and memcached behind the front stored the key.
   */
  @Test
  void nothingIsSentAfterTheServersCloseNotify() throws Exception {
    try (TlsFront front = new TlsFront(Long.MAX_VALUE, 1, false);
        RawMemcached direct = RawMemcached.of(memcached)) {
      InetSocketAddress server = new InetSocketAddress("127.0.0.1", front.port());
      SocketChannel raw = SocketChannel.open(server);
      raw.configureBlocking(false);
      try (Selector selector = Selector.open();
          TlsSocketChannel channel = new TlsSocketChannel(raw, TestTls.context(tls.clientSettings()), server, 3000)) {
        raw.register(selector, SelectionKey.OP_READ);
        ByteBuffer version = ByteBuffer.wrap("version\r\n".getBytes(StandardCharsets.US_ASCII));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (version.hasRemaining()) { // the handshake, then the command
          assertTrue(System.nanoTime() < deadline, "handshake and command within 10 s");
          if (channel.write(version) == 0) {
            channel.read(ByteBuffer.allocate(0));
            selector.select(10);
            selector.selectedKeys().clear();
          }
        }
        ByteBuffer answer = ByteBuffer.allocate(256);
        while (channel.read(answer) >= 0) { // the answer, then the close_notify behind it
          assertTrue(System.nanoTime() < deadline, "answer and close_notify within 10 s");
          selector.select(10);
          selector.selectedKeys().clear();
        }
        assertTrue(new String(answer.array(), 0, answer.position(), StandardCharsets.US_ASCII).startsWith("VERSION "));
        assertEquals(1, front.closeNotifies.get());

        String set = "set after-close-notify 0 0 1\r\nx\r\n";
        assertThrows(IOException.class, () -> channel.write(ByteBuffer.wrap(set.getBytes(StandardCharsets.US_ASCII))),
            "a write after the server's close_notify fails");
      }
      assertTrue(front.firstRelayed.await(10, TimeUnit.SECONDS), "the front saw the client go");
      assertEquals(0, front.afterCloseNotify.get(), "bytes the front received after its close_notify");
      assertNull(direct.get("after-close-notify"), "memcached applied nothing after the close_notify");
    }
  }

  /**
   * TLS 1.3 in front of {@link #memcached}: relays bytes both ways and sends post-handshake
   * messages. Its TLS sockets are layered over the TCP sockets it accepts, so that it can send a
   * close_notify without ending the TCP stream.
   */
  private static final class TlsFront implements AutoCloseable {
    final ServerSocket server;
    final long keyUpdateEvery;
    final long closeFirstAfter;
    final boolean endOfStream;
    final AtomicInteger connections = new AtomicInteger();
    final AtomicInteger keyUpdates = new AtomicInteger();
    final AtomicInteger closeNotifies = new AtomicInteger();
    /** Plaintext bytes the first connection's client sent after the front's close_notify. */
    final AtomicLong afterCloseNotify = new AtomicLong();
    /** Opens once the front relayed the first connection's last byte from the client. */
    final CountDownLatch firstRelayed = new CountDownLatch(1);
    final CopyOnWriteArrayList<Socket> sockets = new CopyOnWriteArrayList<>();

    /**
     * @param keyUpdateEvery bytes of answers between two key updates
     * @param closeFirstAfter bytes of answers after which the first connection is closed with a
     *     close_notify
     * @param endOfStream whether the end of the TCP stream follows that close_notify
     */
    TlsFront(long keyUpdateEvery, long closeFirstAfter, boolean endOfStream) throws IOException {
      this.keyUpdateEvery = keyUpdateEvery;
      this.closeFirstAfter = closeFirstAfter;
      this.endOfStream = endOfStream;
      server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      daemon(this::accept);
    }

    int port() {
      return server.getLocalPort();
    }

    private void accept() {
      try {
        while (true) {
          Socket tcp = server.accept();
          tcp.setTcpNoDelay(true);
          sockets.add(tcp);
          SSLSocket client = (SSLSocket) tls.serverContext().getSocketFactory().createSocket(tcp, null, false);
          client.setEnabledProtocols(new String[] {"TLSv1.3"});
          Socket plain = new Socket(memcached.host(), memcached.port());
          plain.setTcpNoDelay(true);
          sockets.add(client);
          sockets.add(plain);
          boolean first = connections.incrementAndGet() == 1;
          daemon(() -> relay(client, plain, first));
          daemon(() -> answer(plain, client, tcp, first ? closeFirstAfter : Long.MAX_VALUE));
        }
      } catch (IOException closed) {
        // the front is closing
      }
    }

    /** Copies the client's bytes to memcached, counting on the first connection those after the close_notify. */
    private void relay(Socket from, Socket to, boolean first) {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
          if (first && closeNotifies.get() > 0) {
            afterCloseNotify.addAndGet(n);
          }
          out.write(buf, 0, n);
        }
      } catch (IOException ended) {
        // either side closed
      } finally {
        if (first) {
          firstRelayed.countDown();
        }
      }
    }

    private void answer(Socket memcachedSide, SSLSocket client, Socket tcp, long closeAfter) {
      try (InputStream in = memcachedSide.getInputStream()) {
        OutputStream out = client.getOutputStream();
        byte[] buf = new byte[1024];
        long sinceUpdate = 0;
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
          out.flush();
          total += n;
          sinceUpdate += n;
          if (total >= closeAfter) {
            closeNotifies.incrementAndGet();
            client.shutdownOutput(); // a close_notify; layered, the TCP stream stays open
            if (endOfStream) {
              tcp.shutdownOutput();
            }
            return;
          }
          if (sinceUpdate >= keyUpdateEvery) {
            sinceUpdate = 0;
            client.startHandshake(); // on TLS 1.3: a KeyUpdate that asks the client for one back
            keyUpdates.incrementAndGet();
          }
        }
      } catch (IOException ended) {
        // either side closed
      }
    }

    private static void daemon(Runnable r) {
      Thread t = new Thread(r, "tls-front");
      t.setDaemon(true);
      t.start();
    }

    @Override
    public void close() throws IOException {
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
