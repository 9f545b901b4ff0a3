package io.github.newcache.fault;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.MutableConfiguration;

/**
 * The client of {@link FrozenServerHeapTest}, in its own JVM with a small heap: after {@code go}
 * on standard input, {@code threads} threads call {@code putAll} of {@code batch} values of
 * {@code size} bytes for {@code millis} ms, against a server the test has frozen, and report the
 * heap: {@code RESULT base=<MB> live=<MB> peak=<MB> calls=<n> refused=<n>}, where live is the heap
 * after a full collection while everything still waits for the server. It exits with 3 when it
 * runs out of memory ({@code -XX:+ExitOnOutOfMemoryError} makes that certain).
 */
public final class HeapChild {

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    int threads = Integer.parseInt(args[1]);
    int batch = Integer.parseInt(args[2]);
    int size = Integer.parseInt(args[3]);
    long millis = Long.parseLong(args[4]);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    CacheManager m = Caching.getCachingProvider().getCacheManager(uri, HeapChild.class.getClassLoader());
    Cache<String, byte[]> c = m.createCache("heap", new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class));
    c.put("warm", new byte[size]);
    System.gc();
    long base = memory.getHeapMemoryUsage().getUsed();
    System.out.println("READY");
    new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine(); // go
    AtomicLong peak = new AtomicLong();
    LongAdder calls = new LongAdder();
    LongAdder refused = new LongAdder();
    long end = System.nanoTime() + millis * 1_000_000L;
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread th = new Thread(() -> {
        byte[] value = new byte[size];
        int round = 0;
        while (System.nanoTime() < end) {
          Map<String, byte[]> values = new LinkedHashMap<>();
          for (int i = 0; i < batch; i++) {
            values.put("t" + id + "-" + round + "-" + i, value);
          }
          round++;
          try {
            c.putAll(values);
          } catch (RuntimeException e) {
            refused.increment();
          }
          calls.increment();
        }
      });
      th.setDaemon(true);
      workers.add(th);
      th.start();
    }
    while (System.nanoTime() < end) {
      peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
      Thread.sleep(20);
    }
    for (Thread th : workers) {
      th.join(30_000);
    }
    System.gc();
    long live = memory.getHeapMemoryUsage().getUsed();
    System.out.printf("RESULT base=%d live=%d peak=%d calls=%d refused=%d%n",
        base >> 20, live >> 20, peak.get() >> 20, calls.sum(), refused.sum());
    new java.io.BufferedReader(new java.io.InputStreamReader(System.in)).readLine(); // done
    m.close();
  }
}
