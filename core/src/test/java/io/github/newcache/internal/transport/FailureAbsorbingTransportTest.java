package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.expiry.Ttl;
import io.github.newcache.internal.key.LeaseKeys;
import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The {@code failures=miss} policy over an in-memory memcached that fails the commands a test names:
 * a skipped write or removal is as good as an eviction (the older item is deleted, or the removal
 * tried once more), a skipped {@code add} touches nothing, and a lease of the herd is never deleted.
 */
class FailureAbsorbingTransportTest {

  private static final byte[] OLD = {1};
  private static final byte[] NEW = {2};

  private final InMemoryTransport memcached = new InMemoryTransport(new ManualClock());
  private final AtomicInteger absorbed = new AtomicInteger();
  private final List<String> skipped = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final FailureAbsorbingTransport miss = new FailureAbsorbingTransport(memcached, new FailureListener() {
    @Override
    public void absorbed(String what) {
      absorbed.incrementAndGet();
    }

    @Override
    public void unsigned(String what) {}

    @Override
    public void skipped(String key) {
      skipped.add(key);
    }
  }, LeaseKeys::matches);

  @Test
  void aSkippedSetDeletesTheItemItWasToReplace() {
    memcached.set("k", 0, OLD);
    memcached.failNext("set", 1);
    miss.set("k", 0, NEW);
    assertNull(memcached.get("k"), "the older value stays no longer");
    assertEquals(1, absorbed.get());
  }

  @Test
  void aSkippedBatchOfSetsDeletesEveryItemOfIt() {
    memcached.set("a", 0, OLD);
    memcached.set("b", 0, OLD);
    memcached.failNext("set", 1);
    miss.setAll(Map.of("a", NEW, "b", NEW), 0);
    assertNull(memcached.get("a"));
    assertNull(memcached.get("b"));
  }

  @Test
  void aSkippedCasDeletesTheItemAndReportsStored() {
    memcached.set("k", 0, OLD);
    long cas = memcached.gets("k").cas();
    memcached.failNext("cas", 1);
    assertEquals(CasOutcome.STORED, miss.cas("k", cas, 0, NEW));
    assertNull(memcached.get("k"));
  }

  @Test
  void aSkippedRemovalIsTriedOnceMore() {
    memcached.set("k", 0, OLD);
    memcached.failNext("delete", 1);
    miss.delete("k");
    assertNull(memcached.get("k"));
  }

  @Test
  void aSkippedAddTouchesNothing() {
    memcached.set("k", 0, OLD);
    memcached.failNext("add", 1);
    assertTrue(miss.add("k", 0, NEW), "a skipped write reports success");
    assertArrayEquals(OLD, memcached.get("k"));
    assertEquals(List.of("k"), skipped, "the near cache is told (once: nothing is deleted) not to hold what was never stored");
    memcached.failNext("add", 1);
    assertTrue(miss.addAsync("j", 0, NEW).join());
    assertEquals(List.of("k", "j"), skipped);
  }

  @Test
  void theKeysOfEverySkippedWriteAreHeardButNoLease() {
    memcached.failNext("set", 2);
    miss.set("k", 0, NEW);
    miss.setAsync("a", 0, NEW).join();
    memcached.failNext("cas", 1);
    miss.cas("f-1-c-0123456789abcdef0123456789abcdef.lease", 1, Ttl.EXPIRED, NEW);
    assertEquals(List.of("k", "k", "a", "a"), skipped,
        "each key twice: before the write returns, and once the delete sent in its place is answered");
  }

  @Test
  void aLeaseWhoseReleaseFailedIsLeftToExpire() {
    for (String lease : List.of("f-1-c-0123456789abcdef0123456789abcdef.lease", "lease-0123456789abcdef0123456789abcdef")) {
      assertTrue(LeaseKeys.matches(lease), lease);
      memcached.set(lease, 5, OLD);
      long cas = memcached.gets(lease).cas();
      memcached.failNext("cas", 1);
      miss.cas(lease, cas, Ttl.EXPIRED, new byte[] {0});
      assertArrayEquals(OLD, memcached.get(lease), "another client may hold it by now: " + lease);
    }
  }

  @Test
  void anAsyncSkippedCasDeletesTheItemAndReportsStored() {
    memcached.set("k", 0, OLD);
    long cas = memcached.gets("k").cas();
    memcached.failNext("cas", 1);
    assertEquals(CasOutcome.STORED, miss.casAsync("k", cas, 0, NEW).join());
    assertNull(memcached.get("k"));
  }

  @Test
  void anAsyncSkippedRemovalIsTriedOnceMore() {
    memcached.set("k", 0, OLD);
    memcached.failNext("delete", 1);
    miss.deleteAsync("k").join();
    assertNull(memcached.get("k"));
  }

  @Test
  void aSkippedBatchOfRemovalsIsTriedOnceMore() {
    memcached.set("a", 0, OLD);
    memcached.set("b", 0, OLD);
    memcached.failNext("delete", 1);
    miss.deleteAll(List.of("a", "b"));
    assertNull(memcached.get("a"));
    assertNull(memcached.get("b"));
  }

  @Test
  void anAsyncSkippedSetDeletesTheItemToo() {
    memcached.set("k", 0, OLD);
    memcached.failNext("set", 1);
    miss.setAsync("k", 0, NEW).join();
    assertNull(memcached.get("k"));
  }
}
