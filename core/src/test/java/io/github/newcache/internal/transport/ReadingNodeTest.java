package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.internal.config.TransportSettings;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link ReadingNode}: a plain connection stays in the selector's watch for answers while it is
 * idle, so a call adds nothing to the selector's set and removes nothing from it, and a server that
 * goes away between calls is noticed (and reconnected to) without a call having to fail first.
 */
class ReadingNodeTest {

  private static final byte[] VALUE = "v".getBytes(StandardCharsets.UTF_8);

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void anIdleConnectionIsStillWatchedForAnswers(Protocol p) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      SpyTransport transport = new SpyTransport(settings(server, p));
      try {
        for (int i = 0; i < 10; i++) {
          transport.set("k" + i, 0, VALUE);
          assertArrayEquals(VALUE, transport.get("k" + i));
        }
        ReadingNode node = assertInstanceOf(ReadingNode.class, transport.connection().getLocator().getPrimary("k"));
        await(() -> !node.awaitsAnswer(), "the last answer is still awaited 10 s after its caller had it");
        SelectionKey key = node.getSk();
        assertTrue(key != null && key.isValid(), "connected");
        assertEquals(SelectionKey.OP_READ, key.interestOps(), "the selector's interest of an idle connection");
      } finally {
        transport.close();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void aServerThatGoesAwayBetweenCallsIsNoticedWithoutACallAndTheFirstCallAfterItsReturnIsAnswered(Protocol p)
      throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      Semaphore lost = new Semaphore(0);
      Semaphore connected = new Semaphore(0);
      ServerEvents events = new ServerEvents() {
        @Override
        public void connected(InetSocketAddress s) {
          connected.release();
        }

        @Override
        public void lost(InetSocketAddress s) {
          lost.release();
        }
      };
      SpyTransport transport = new SpyTransport(settings(server, p), events, List.of());
      try {
        transport.set("k", 0, VALUE);
        assertArrayEquals(VALUE, transport.get("k"));
        connected.drainPermits();
        server.kill();
        assertTrue(lost.tryAcquire(10, TimeUnit.SECONDS), "the closed connection was not noticed within 10 s");
        server.restart();
        assertTrue(connected.tryAcquire(30, TimeUnit.SECONDS), "not connected again within 30 s");
        await(() -> transport.connection().getLocator().getPrimary("k").isActive(), "the connection is not active 10 s after it was made");
        assertNull(transport.get("k"), "the restarted server holds nothing");
        transport.set("k", 0, VALUE);
        assertArrayEquals(VALUE, transport.get("k"));
      } finally {
        transport.close();
      }
    }
  }

  private static TransportSettings settings(LocalMemcached server, Protocol p) throws Exception {
    URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&opTimeout=5000");
    return SettingsParser.parse(uri, ReadingNodeTest.class.getClassLoader(), null).transport();
  }

  private static void await(BooleanSupplier condition, String otherwise) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, otherwise);
      LockSupport.parkNanos(1_000_000L);
    }
  }
}
