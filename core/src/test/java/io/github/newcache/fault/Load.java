package io.github.newcache.fault;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import javax.cache.Cache;

/**
 * Mixed load from many threads on one cache: gets, puts and removes (one memcached command each,
 * so each call's time is one operation's time) on keys whose
 * server is known. Every operation is timed and attributed to its key's server. Each key is written
 * by one thread only, with increasing numbers, so a read older than the last acknowledged write of
 * its key (a stale read) can be told apart from a miss. Bounded: threads stop at a deadline.
 */
final class Load {

  /** What happened to the operations on one server's keys. */
  static final class Tally {
    final LongAdder ok = new LongAdder();
    final LongAdder errors = new LongAdder();
    final AtomicLong maxNanos = new AtomicLong();
    final List<Long> failNanos = new ArrayList<>();
    String firstError;

    synchronized void failed(long nanos, Exception e) {
      errors.increment();
      failNanos.add(nanos);
      if (firstError == null) {
        firstError = e.toString();
      }
    }

    synchronized long failP99Nanos() {
      if (failNanos.isEmpty()) {
        return 0;
      }
      long[] a = failNanos.stream().mapToLong(Long::longValue).toArray();
      Arrays.sort(a);
      return a[(int) Math.min(a.length - 1, Math.ceil(a.length * 0.99) - 1)];
    }
  }

  private final Cache<String, String> cache;
  private final List<String> keys;
  private final Map<String, String> owner;
  private final Map<String, Tally> tallies;
  private final int threads;
  /** Last acknowledged write per key index. */
  private final AtomicLongArray acked;
  private final AtomicLongArray counters;
  final LongAdder staleReads = new LongAdder();
  /** System.nanoTime() of the first operation failed as "stalled", 0 until then. */
  final AtomicLong firstStalledFailure = new AtomicLong();
  private final List<Thread> running = new ArrayList<>();
  private volatile boolean stop;

  Load(Cache<String, String> cache, List<String> keys, Map<String, String> owner, Map<String, Tally> tallies, int threads) {
    this.cache = cache;
    this.keys = keys;
    this.owner = owner;
    this.tallies = tallies;
    this.threads = threads;
    this.acked = new AtomicLongArray(keys.size());
    this.counters = new AtomicLongArray(keys.size());
  }

  /**
   * The longest a thread here waited beyond a 5 ms sleep while the load ran: how late this machine
   * schedules a thread that is ready. On a calm machine it is about a millisecond; when other
   * processes saturate the cores it can reach hundreds, and every operation's time includes it.
   */
  final AtomicLong schedulingJitterNanos = new AtomicLong();

  void start() {
    stop = false;
    Thread jitter = new Thread(() -> {
      while (!stop) {
        long t = System.nanoTime();
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
        schedulingJitterNanos.accumulateAndGet(System.nanoTime() - t - 5_000_000L, Math::max);
      }
    }, "fault-load-jitter");
    jitter.setDaemon(true);
    running.add(jitter);
    jitter.start();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> run(id), "fault-load-" + t);
      th.setDaemon(true);
      running.add(th);
      th.start();
    }
  }

  /** Stops the threads; returns those still alive after {@code graceMillis} (hung threads). */
  List<Thread> stop(long graceMillis) throws InterruptedException {
    stop = true;
    long deadline = System.nanoTime() + graceMillis * 1_000_000L;
    List<Thread> hung = new ArrayList<>();
    for (Thread t : running) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      if (t.isAlive()) {
        hung.add(t);
      }
    }
    running.clear();
    return hung;
  }

  private void run(int id) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    while (!stop) {
      int i = r.nextInt(keys.size());
      String key = keys.get(i);
      boolean mine = i % threads == id; // only the owning thread writes a key
      int dice = r.nextInt(10);
      long start = System.nanoTime();
      Tally tally = tallies.get(owner.get(key));
      try {
        if (mine && dice < 4) {
          long n = counters.incrementAndGet(i);
          cache.put(key, Long.toString(n)); // one set
          acked.accumulateAndGet(i, n, Math::max);
        } else if (mine && dice == 4) {
          cache.remove(key); // one delete; a miss is never stale
        } else {
          long floor = acked.get(i);
          String v = cache.get(key); // one get
          if (v != null && Long.parseLong(v) < floor) {
            staleReads.increment();
          }
        }
        tally.ok.increment();
      } catch (RuntimeException e) {
        long took = System.nanoTime() - start;
        tally.failed(took, e);
        if (String.valueOf(e.getMessage()).contains("is stalled")) {
          firstStalledFailure.compareAndSet(0, System.nanoTime());
        }
      }
      long took = System.nanoTime() - start;
      tally.maxNanos.accumulateAndGet(took, Math::max);
    }
  }
}
