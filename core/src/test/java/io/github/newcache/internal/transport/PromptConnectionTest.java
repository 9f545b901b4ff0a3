package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.io.IOException;
import java.net.SocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationStatus;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@link PromptConnection}: the IO thread writes a request to an idle connection in the turn that
 * takes it in, and leaves the others to spymemcached's own write; a server that does not answer for
 * a while keeps its connection, and every call gets its own answer when it does.
 */
class PromptConnectionTest {

  private static final int CALLS = 300;

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void callsToAPausedServerWaitOnTheirConnectionAndAreAnsweredWhenItResumes(Protocol p) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&opTimeout=20000");
      SpyTransport transport = new SpyTransport(SettingsParser.parse(uri, getClass().getClassLoader(), null).transport());
      try {
        byte[] value = "v".getBytes(StandardCharsets.UTF_8);
        transport.set("k", 0, value);
        assertInstanceOf(PromptConnection.class, transport.connection());
        server.pause();
        // One call at a time, each sent before the next (the server's socket holds more), so every call
        // wakes the IO thread on its own: the first finds the connection idle and is written at once,
        // the others wait behind an unanswered one and take spymemcached's path.
        List<CompletableFuture<byte[]>> answers = new ArrayList<>();
        long received = receivedBytes(server);
        for (int i = 0; i < CALLS; i++) {
          answers.add(transport.getAsync(i % 2 == 0 ? "k" : "absent" + i));
          long before = received;
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while ((received = receivedBytes(server)) <= before) {
            assertTrue(System.nanoTime() < deadline, "call " + i + " was not sent within 10 s");
            Thread.onSpinWait();
          }
        }
        server.resume();
        for (int i = 0; i < CALLS; i++) {
          byte[] got = answers.get(i).get(10, TimeUnit.SECONDS);
          if (i % 2 == 0) {
            assertArrayEquals(value, got, "call " + i);
          } else {
            assertNull(got, "call " + i);
          }
        }
        assertEquals(List.of(), transport.stalledServers());
        assertArrayEquals(value, transport.get("k"));
      } finally {
        transport.close();
      }
    }
  }

  /**
   * Requests cancelled before the IO thread writes them (an interrupted caller, a refused batch)
   * leave nothing to write. spymemcached's own loop still had the selector report the socket
   * writable for them, which ends its row of turns woken with nothing ready; past 256 such turns it
   * handles every connection on every turn and takes down those on which nothing was ever ready.
   * Taking them in here ends the row the same way (review 72: the row reached 300 before).
   */
  @ParameterizedTest
  @EnumSource(Protocol.class)
  void requestsCancelledBeforeTheirWriteEndTheRowOfEmptyTurnsAsSpymemcachedsOwnLoopDoes(Protocol p) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&opTimeout=5000");
      SpyTransport transport = new SpyTransport(SettingsParser.parse(uri, getClass().getClassLoader(), null).transport());
      try {
        byte[] value = "v".getBytes(StandardCharsets.UTF_8);
        transport.set("k", 0, value);
        PromptConnection connection = assertInstanceOf(PromptConnection.class, transport.connection());
        SocketAddress address = transport.connection().getLocator().getPrimary("k").getSocketAddress();
        OperationFactory operations = BatchClones.factory(p.binary());
        for (int i = 0; i < CALLS; i++) {
          Operation op = operations.get("k", IGNORED);
          op.cancel();
          connection.enqueueOperation("k", op);
          // taken in and dropped: nothing of it waits any more
          long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
          while (transport.queuedBytes(address) > 0) {
            assertTrue(System.nanoTime() < deadline, "cancelled request " + i + " still queued after 10 s");
            Thread.onSpinWait();
          }
        }
        assertTrue(connection.emptyTurns() < 256, "turns woken with nothing ready, in a row: " + connection.emptyTurns());
        assertArrayEquals(value, transport.get("k"));
      } finally {
        transport.close();
      }
    }
  }

  private static final GetOperation.Callback IGNORED = new GetOperation.Callback() {
    @Override
    public void gotData(String key, int flags, byte[] data) {}

    @Override
    public void receivedStatus(OperationStatus status) {}

    @Override
    public void complete() {}
  };

  /** Bytes waiting in the receive queues of the server's accepted connections (Linux's /proc/net/tcp). */
  private static long receivedBytes(LocalMemcached server) throws IOException {
    String port = String.format(":%04X", server.port());
    long sum = 0;
    for (String line : Files.readAllLines(Path.of("/proc/net/tcp"))) {
      String[] f = line.trim().split("\\s+");
      // local address, remote address, state (01 = established), tx_queue:rx_queue
      if (f.length > 4 && f[1].endsWith(port) && f[3].equals("01")) {
        sum += Long.parseLong(f[4].substring(f[4].indexOf(':') + 1), 16);
      }
    }
    return sum;
  }
}
