package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.TestTls;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
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
          daemon(() -> copy(client, plain));
          daemon(() -> answer(plain, client, tcp, first ? closeFirstAfter : Long.MAX_VALUE));
        }
      } catch (IOException closed) {
        // the front is closing
      }
    }

    private static void copy(Socket from, Socket to) {
      try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
        byte[] buf = new byte[8192];
        int n;
        while ((n = in.read(buf)) >= 0) {
          out.write(buf, 0, n);
        }
      } catch (IOException ended) {
        // either side closed
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
