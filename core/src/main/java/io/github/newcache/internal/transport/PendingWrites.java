package io.github.newcache.internal.transport;

import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Function;
import javax.cache.CacheException;
import net.spy.memcached.MemcachedNode;

/**
 * The bytes that accepted non-blocking writes hold for each server outside its queues, against a
 * second {@code opQueueBytes}: what {@link QueueBudget} cannot see. A write that does more than a
 * lone {@code set} (a listener to tell, an expiry to read, a condition) first sends only a small
 * {@code gets}, and keeps its value and encoded copy in a closure until the answer comes; a write
 * behind an unfinished one of the same key waits in the key's line, holding its value, with nothing
 * queued at all. Behind a frozen server, one thread of such puts filled a 256 MB heap in 0.6 s.
 *
 * <p>Charged as the write is accepted, released when it is done, whatever its outcome. Past the
 * budget the caller waits up to {@code opQueueWait} for room (not at all for a {@link BestEffort}
 * send), then gets the queue's error, as a full queue refuses a send. On the client's IO thread (a
 * write made in a stage that runs there) it does not wait either: room comes back as the writes
 * accepted for the server finish, which takes answers only that thread reads, so the wait would
 * stall every caller for {@code opQueueWait} and then refuse all the same. Refused at once, the
 * write fails its future; taking the room without waiting instead would let such a stage, in a
 * loop, hold any amount of memory behind a frozen server. A separate budget, not the
 * queues' own: charges that filled the queues' budget would refuse the very {@code gets} and
 * {@code cas} of the writes they were taken for, and nothing would drain. So what waits for one
 * server is at most twice {@code opQueueBytes}: its queues, and the writes accepted for it.
 */
final class PendingWrites {

  private final Map<SocketAddress, QueueBudget> budgets = new ConcurrentHashMap<>();
  private final Function<String, MemcachedNode> nodes;
  private final long limit;
  private final long waitNanos;
  private final String queueLimits;

  /**
   * @param nodes the server of a key
   * @param limit {@code opQueueBytes}
   * @param waitMillis {@code opQueueWait}
   * @param queueLimits the bounds, for messages
   */
  PendingWrites(Function<String, MemcachedNode> nodes, long limit, long waitMillis, String queueLimits) {
    this.nodes = nodes;
    this.limit = limit;
    this.waitNanos = TimeUnit.MILLISECONDS.toNanos(waitMillis);
    this.queueLimits = queueLimits;
  }

  /** Charges {@code bytes} to the server of {@code key}, waiting as the class comment says; throws when refused. */
  Runnable charge(String key, long bytes) {
    MemcachedNode node = nodes.apply(key);
    if (node == null) {
      return () -> { }; // not connected yet: the write fails at its first send
    }
    return charge(node.getSocketAddress(), bytes, "memcached write of " + key);
  }

  /**
   * Charges a write of several keys (a batch for a writer), {@code bytes.get(key)} for each, with
   * one charge per server for the sum of its keys: like one operation, a batch larger than the
   * budget still goes when nothing else waits for the server. Refused as a whole: what it took of
   * other servers' budgets is released before it throws.
   */
  Runnable chargeAll(Map<String, Long> bytes) {
    Map<SocketAddress, Long> perServer = new LinkedHashMap<>();
    for (Map.Entry<String, Long> e : bytes.entrySet()) {
      MemcachedNode node = nodes.apply(e.getKey());
      if (node != null) { // not connected yet: the write fails at its first send
        perServer.merge(node.getSocketAddress(), e.getValue(), Long::sum);
      }
    }
    List<Runnable> taken = new ArrayList<>(perServer.size());
    Runnable all = () -> taken.forEach(Runnable::run);
    try {
      for (Map.Entry<SocketAddress, Long> e : perServer.entrySet()) {
        taken.add(charge(e.getKey(), e.getValue(), "memcached write of " + bytes.size() + " keys"));
      }
    } catch (RuntimeException refused) {
      all.run();
      throw refused;
    }
    return all;
  }

  /** Charges {@code bytes} to {@code server}, waiting as the class comment says; throws, naming {@code what}, when refused. */
  private Runnable charge(SocketAddress server, long bytes, String what) {
    QueueBudget budget = budgets.computeIfAbsent(server, s -> new QueueBudget(limit));
    if (budget.tryTake(bytes)) {
      return new WriteCharge(budget, bytes);
    }
    boolean ioThread = IoThread.isCurrent();
    long deadline = System.nanoTime() + (BestEffort.sending() || ioThread ? 0 : waitNanos);
    boolean interrupted = false; // a non-blocking call does not depend on the flag: kept for the caller
    try {
      while (!budget.tryTake(bytes)) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new CacheException(what + " refused: the queue for server " + NodeBreakers.name(server)
              + " is full (the non-blocking writes accepted for it hold " + budget.bytes() + " bytes, besides its queues;"
              + " " + queueLimits + ")" + (ioThread ? "; called on the client's IO thread, which reads the answers"
              + " that free room, so it did not wait for room: make such writes from your own executor" : ""));
        }
        LockSupport.parkNanos(this, Math.min(left, 1_000_000L)); // room appears as writes finish
        interrupted |= Thread.interrupted();
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
    return new WriteCharge(budget, bytes);
  }
}
