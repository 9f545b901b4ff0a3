package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.LocalMemcached;
import java.lang.ref.WeakReference;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The non-blocking operations ({@link AsyncFlights}) and their deadlines ({@link Deadlines}) over
 * real memcached, one server frozen: what a settled operation leaves behind in the queue of
 * deadlines, and where a timed-out one completes.
 */
class AsyncFlightsTest {

  private static final int VALUE_BYTES = 256 * 1024;

  /**
   * Deadlines leave their queue in the order the operations were sent, so a settled one waits there
   * behind the oldest unanswered one, up to an operation timeout; what it held must not wait with
   * it: the value a write sent (spymemcached's future holds its operation, which holds the value)
   * or the answer a read got (its future holds it). Before, every value written or read meanwhile
   * stayed on the heap until the head of the queue was settled: throughput × opTimeout × value size.
   */
  @Test
  void aSettledOperationBehindAnUnansweredOneHoldsNoValue() throws Exception {
    try (LocalMemcached frozen = LocalMemcached.start(); LocalMemcached healthy = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + frozen.address() + "," + healthy.address() + "/?opTimeout=60000&stallTimeouts=0");
      SpyTransport transport = new SpyTransport(SettingsParser.parse(uri, getClass().getClassLoader(), null).transport());
      try {
        String slow = keyOn(transport, frozen);
        String fast = keyOn(transport, healthy);
        frozen.pause();
        try {
          CompletableFuture<Void> head = transport.setAsync(slow, 0, new byte[] {1});
          List<WeakReference<byte[]>> values = new ArrayList<>();
          values.add(written(transport, fast));
          values.add(read(transport.getsAsync(fast).get(10, TimeUnit.SECONDS).value()));
          values.add(read(transport.getAsync(fast).get(10, TimeUnit.SECONDS)));
          values.add(read(transport.getAllAsync(Set.of(fast)).get(10, TimeUnit.SECONDS).get(fast)));
          for (int i = 0; i < 20 && values.stream().anyMatch(v -> v.get() != null); i++) {
            System.gc();
          }
          List<String> kept = new ArrayList<>();
          String[] names = {"the value a setAsync wrote", "the value a getsAsync read", "the value a getAsync read",
              "the value a getAllAsync read"};
          for (int i = 0; i < values.size(); i++) {
            if (values.get(i).get() != null) {
              kept.add(names[i]);
            }
          }
          assertTrue(kept.isEmpty(), "still reachable after 20 collections, held by a settled operation's deadline "
              + "queued behind the frozen server's unanswered set: " + kept);
          assertFalse(head.isDone(), "the frozen server's set is still in flight, at the head of the queue");
        } finally {
          frozen.resume();
        }
      } finally {
        transport.close();
      }
    }
  }

  /**
   * A timed-out operation's future fails in the thread that times out every operation, not on the
   * callback threads: with both of those held by stages waiting for it (a stage joining another of
   * the manager's futures), a failure handed to them would never come, and nothing would free them.
   */
  @Test
  void aTimeoutCompletesWhileTheCallbackThreadsWaitForIt() throws Exception {
    try (LocalMemcached frozen = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + frozen.address() + "/?opTimeout=300&stallTimeouts=0");
      SpyTransport transport = new SpyTransport(SettingsParser.parse(uri, getClass().getClassLoader(), null).transport());
      try {
        frozen.pause();
        try {
          CompletableFuture<Void> set = transport.setAsync("a", 0, new byte[] {1});
          CountDownLatch holding = new CountDownLatch(2);
          List<CompletableFuture<Boolean>> sawItFail = new ArrayList<>();
          for (int i = 0; i < 2; i++) {
            CompletableFuture<Boolean> saw = new CompletableFuture<>();
            sawItFail.add(saw);
            transport.continuations().execute(() -> {
              holding.countDown();
              try {
                set.get(10, TimeUnit.SECONDS);
                saw.complete(false);
              } catch (ExecutionException failed) {
                saw.complete(true);
              } catch (Exception other) {
                saw.complete(false);
              }
            });
          }
          assertTrue(holding.await(10, TimeUnit.SECONDS), "both callback threads wait for the set");
          for (CompletableFuture<Boolean> saw : sawItFail) {
            assertTrue(saw.get(30, TimeUnit.SECONDS), "a callback thread waited 10 s and the set never timed out");
          }
        } finally {
          frozen.resume();
        }
      } finally {
        transport.close();
      }
    }
  }

  /** A key of {@code server}'s. */
  private static String keyOn(SpyTransport transport, LocalMemcached server) {
    for (int i = 0; i < 1000; i++) {
      if (transport.serverFor("k" + i).equals(server.address())) {
        return "k" + i;
      }
    }
    throw new AssertionError("none of 1000 keys maps to " + server.address());
  }

  /** Writes a value under {@code key} without waiting, awaits the answer, and lets go of the value. */
  private static WeakReference<byte[]> written(SpyTransport transport, String key) throws Exception {
    byte[] value = new byte[VALUE_BYTES];
    value[0] = 7;
    transport.setAsync(key, 0, value).get(10, TimeUnit.SECONDS);
    return new WeakReference<>(value);
  }

  /** A value just read, which the caller lets go of. */
  private static WeakReference<byte[]> read(byte[] value) {
    assertTrue(value != null && value.length == VALUE_BYTES, "the value written");
    assertArrayEquals(new byte[] {7}, new byte[] {value[0]});
    return new WeakReference<>(value);
  }
}
