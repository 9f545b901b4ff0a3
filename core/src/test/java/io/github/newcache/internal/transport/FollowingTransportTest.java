package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.InMemoryTransport;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import javax.cache.CacheException;
import org.junit.jupiter.api.Test;

/** Generations: a new list builds and switches to a new transport, the old one closes after the grace period. */
class FollowingTransportTest {

  /** A transport per server list, remembering whether it was closed; gets answer the generation's name. */
  private static final class Generation extends InMemoryTransportDelegate {
    final List<InetSocketAddress> servers;
    final AtomicBoolean closed = new AtomicBoolean();
    volatile CountDownLatch hold;
    final CountDownLatch entered = new CountDownLatch(1);

    Generation(List<InetSocketAddress> servers) {
      this.servers = servers;
    }

    @Override
    public byte[] get(String key) {
      entered.countDown();
      CountDownLatch h = hold;
      if (h != null) {
        try {
          h.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      if (closed.get()) {
        throw new CacheException("refused: the client is shut down");
      }
      return servers.toString().getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
      closed.set(true);
    }
  }

  private final List<Generation> built = new CopyOnWriteArrayList<>();

  private MemcachedTransport connect(List<InetSocketAddress> servers, List<InetSocketAddress> joining) {
    Generation g = new Generation(servers);
    built.add(g);
    return g;
  }

  private static InetSocketAddress at(String host, String ip, int port) throws Exception {
    return new InetSocketAddress(InetAddress.getByAddress(host, InetAddress.getByName(ip).getAddress()), port);
  }

  private static void await(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "condition not met within 5 s");
      Thread.sleep(5);
    }
  }

  @Test
  void aNewListSwitchesAndTheOldGenerationClosesAfterTheGracePeriod() throws Exception {
    List<InetSocketAddress> first = List.of(at("a", "127.0.0.1", 1), at("b", "127.0.0.1", 2));
    List<InetSocketAddress> second = List.of(at("a", "127.0.0.1", 1), at("b", "127.0.0.1", 2), at("c", "127.0.0.1", 3));
    FollowingTransport t = new FollowingTransport(this::connect, first, 300);
    try {
      assertEquals(1, t.generation());
      assertFalse(t.follow(List.of(at("a", "127.0.0.1", 1), at("b", "127.0.0.1", 2))), "the same list: nothing to do");
      assertEquals(1, built.size());

      long switched = System.nanoTime();
      assertTrue(t.follow(second));
      assertEquals(2, t.generation());
      assertEquals(second, t.servers());
      assertArrayEquals(second.toString().getBytes(StandardCharsets.UTF_8), t.get("k"), "new operations use the new generation");
      assertFalse(built.get(0).closed.get(), "the old generation stays open for the grace period");
      await(() -> built.get(0).closed.get());
      assertTrue(System.nanoTime() - switched >= TimeUnit.MILLISECONDS.toNanos(300));

      // a moved address is a change too, the same names are not
      assertTrue(t.follow(List.of(at("a", "127.0.0.2", 1), at("b", "127.0.0.1", 2), at("c", "127.0.0.1", 3))));
      assertEquals(3, t.generation());
    } finally {
      t.close();
    }
    for (Generation g : built) {
      assertTrue(g.closed.get(), "close() closes every generation, retiring ones included");
    }
  }

  /**
   * Closing runs the stages still queued for the callback threads (in the closing thread, once the
   * busy threads did not finish in time), and a stage handed over after the close runs where it is
   * handed over: dropped or refused, the futures depending on them would never complete, or would
   * fail without running their handlers.
   */
  @Test
  void closingRunsTheStagesItWasHandedAndThoseHandedAfterIt() throws Exception {
    FollowingTransport t = new FollowingTransport(this::connect, List.of(at("a", "127.0.0.1", 1)), 100);
    Executor stages = t.continuations();
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch busy = new CountDownLatch(CallbackThreads.CALLBACK_THREADS);
    try {
      for (int i = 0; i < CallbackThreads.CALLBACK_THREADS; i++) {
        stages.execute(() -> {
          busy.countDown();
          awaitIgnoringInterrupts(release);
        });
      }
      assertTrue(busy.await(5, TimeUnit.SECONDS), "every callback thread is busy");
      CountDownLatch queuedRan = new CountDownLatch(1);
      stages.execute(queuedRan::countDown);
      t.close();
      assertTrue(queuedRan.await(0, TimeUnit.SECONDS), "the queued stage ran before close() returned");
      AtomicBoolean lateRan = new AtomicBoolean();
      stages.execute(() -> lateRan.set(true));
      assertTrue(lateRan.get(), "a stage handed over after the close runs in the thread that hands it over");
    } finally {
      release.countDown();
      t.close();
    }
  }

  private static void awaitIgnoringInterrupts(CountDownLatch latch) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (latch.getCount() > 0 && System.nanoTime() < deadline) {
      try {
        latch.await(10, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        // a shutdownNow(): keep the thread busy, as a stage that does not answer interrupts would
      }
    }
  }

  @Test
  void aGenerationThatCannotBeBuiltLeavesTheCurrentOne() throws Exception {
    List<InetSocketAddress> first = List.of(at("a", "127.0.0.1", 1));
    AtomicBoolean refuse = new AtomicBoolean();
    FollowingTransport t = new FollowingTransport((servers, joining) -> {
      if (refuse.get()) {
        throw new CacheException("TLS with memcached at c:3 failed: not trusted");
      }
      return connect(servers, joining);
    }, first, 100);
    try {
      refuse.set(true);
      assertThrows(CacheException.class, () -> t.follow(List.of(at("a", "127.0.0.1", 1), at("c", "127.0.0.1", 3))));
      assertEquals(1, t.generation());
      assertEquals(first, t.servers());
      assertFalse(built.get(0).closed.get());
      refuse.set(false);
      assertTrue(t.follow(List.of(at("a", "127.0.0.1", 1), at("c", "127.0.0.1", 3))), "offered again, it is taken");
    } finally {
      t.close();
    }
  }

  /** Only a server whose host:port is new to the ring must answer before a list is followed. */
  @Test
  void onlyServersNewToTheRingAreJoining() throws Exception {
    List<List<InetSocketAddress>> joining = new CopyOnWriteArrayList<>();
    FollowingTransport t = new FollowingTransport((servers, newcomers) -> {
      joining.add(newcomers);
      return connect(servers, newcomers);
    }, List.of(at("a", "127.0.0.1", 1), at("b", "127.0.0.1", 2)), 100);
    try {
      assertEquals(List.of(), joining.get(0), "none at the first start");
      assertTrue(t.follow(List.of(at("a", "127.0.0.2", 1), at("b", "127.0.0.1", 2), at("c", "127.0.0.1", 3))));
      assertEquals(List.of(at("c", "127.0.0.1", 3)), joining.get(1), "a moved address is no new server");
    } finally {
      t.close();
    }
  }

  /**
   * A new server that does not answer holds changes back for {@link
   * FollowingTransport#ATTEMPTS_TO_AWAIT_NEW} attempts in a row, also when the list changes in
   * between (here it drops b); the next attempt takes it in without waiting. Once it has left the
   * ring, it is new again, and awaited again. Before, every attempt was refused for as long as it
   * stayed down.
   */
  @Test
  void aNewServerThatDoesNotAnswerHoldsChangesBackOnlyAFewAttempts() throws Exception {
    InetSocketAddress a = at("a", "127.0.0.1", 1);
    InetSocketAddress b = at("b", "127.0.0.1", 2);
    InetSocketAddress c = at("c", "127.0.0.1", 3);
    List<List<InetSocketAddress>> awaited = new CopyOnWriteArrayList<>();
    FollowingTransport t = new FollowingTransport((servers, joining) -> {
      awaited.add(joining);
      if (joining.contains(c)) {
        throw new StartupChecks.NewServersSilent("memcached at c:3, new in the server list, is not usable", List.of(c));
      }
      return connect(servers, joining);
    }, List.of(a, b), 100);
    try {
      for (int i = 1; i <= FollowingTransport.ATTEMPTS_TO_AWAIT_NEW; i++) {
        List<InetSocketAddress> next = i == 1 ? List.of(a, b, c) : List.of(a, c);
        assertThrows(StartupChecks.NewServersSilent.class, () -> t.follow(next), "attempt " + i);
        assertEquals(List.of(a, b), t.servers());
      }
      assertTrue(t.follow(List.of(a, c)), "followed without waiting any longer");
      assertEquals(List.of(), awaited.get(awaited.size() - 1));
      assertEquals(List.of(a, c), t.servers());

      assertTrue(t.follow(List.of(a)));
      assertThrows(StartupChecks.NewServersSilent.class, () -> t.follow(List.of(a, c)), "new again: awaited again");
    } finally {
      t.close();
    }
  }

  @Test
  void anOperationCaughtOnAClosedGenerationRunsAgainOnTheCurrentOne() throws Exception {
    List<InetSocketAddress> first = List.of(at("a", "127.0.0.1", 1));
    List<InetSocketAddress> second = List.of(at("b", "127.0.0.1", 2));
    FollowingTransport t = new FollowingTransport(this::connect, first, 10);
    try {
      Generation old = built.get(0);
      old.hold = new CountDownLatch(1);
      CompletableFuture<byte[]> slow = CompletableFuture.supplyAsync(() -> t.get("k"));
      assertTrue(old.entered.await(5, TimeUnit.SECONDS));
      t.follow(second);
      await(() -> old.closed.get());
      old.hold.countDown();
      assertArrayEquals(second.toString().getBytes(StandardCharsets.UTF_8), slow.get(5, TimeUnit.SECONDS));
      // a failure on a generation that is still current is the caller's
      built.get(1).close();
      assertThrows(CacheException.class, () -> t.get("k"));
    } finally {
      t.close();
    }
  }

  @Test
  void closeStopsTheReportersFirst() throws Exception {
    FollowingTransport t = new FollowingTransport(this::connect, List.of(at("a", "127.0.0.1", 1)), 10);
    AtomicBoolean reporterClosed = new AtomicBoolean();
    t.closeWith(() -> {
      assertFalse(built.get(0).closed.get(), "the reporter closes before the transports");
      reporterClosed.set(true);
    });
    t.close();
    assertTrue(reporterClosed.get());
    assertFalse(t.follow(List.of(at("b", "127.0.0.1", 2))), "nothing is followed after close");
  }

  /** The rest of the transport, delegated to a map (not used by these tests beyond get). */
  private abstract static class InMemoryTransportDelegate implements MemcachedTransport {
    private final InMemoryTransport map = new InMemoryTransport(System::currentTimeMillis);

    @Override
    public Item gets(String key) {
      return map.gets(key);
    }

    @Override
    public Map<String, byte[]> getAll(java.util.Collection<String> keys) {
      return map.getAll(keys);
    }

    @Override
    public void set(String key, int ttl, byte[] value) {
      map.set(key, ttl, value);
    }

    @Override
    public void setAll(Map<String, byte[]> values, int ttl) {
      map.setAll(values, ttl);
    }

    @Override
    public boolean add(String key, int ttl, byte[] value) {
      return map.add(key, ttl, value);
    }

    @Override
    public CasOutcome cas(String key, long cas, int ttl, byte[] value) {
      return map.cas(key, cas, ttl, value);
    }

    @Override
    public boolean delete(String key) {
      return map.delete(key);
    }

    @Override
    public int deleteAll(java.util.Collection<String> keys) {
      return map.deleteAll(keys);
    }

    @Override
    public void eachKey(String prefix, java.util.function.Consumer<String> each) {
      map.eachKey(prefix, each);
    }
  }
}
