package io.github.newcache.fault;

import io.github.newcache.AsyncCache;
import io.github.newcache.NewcacheCache;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.Serializable;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.net.URI;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import javax.cache.Cache;
import javax.cache.CacheException;
import javax.cache.CacheManager;
import javax.cache.Caching;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;

/**
 * The client of {@link FrozenServerHeapTest}'s non-blocking case, in its own JVM with a small heap:
 * after {@code go} on standard input, one thread calls {@code async().put} of a new value of {@code
 * size} bytes for {@code millis} ms, on a cache with a CREATED listener (so every put is a compute
 * that first sends a small {@code gets}), to distinct keys or to one hot key, against a server the
 * test has frozen, and reports the heap: {@code RESULT base=<MB> live=<MB> peak=<MB> calls=<n>
 * refused=<n> other=<n>} then {@code REFUSAL <message>}, where live is the heap after a full
 * collection while the accepted puts still wait for the server, refused counts the calls failed
 * with the queue's error (naming {@code opQueueBytes}) and other any other failure so far.
 */
public final class AsyncHeapChild {

  /** A listener that does nothing: its presence makes every put a compute. */
  public static final class Created implements CacheEntryCreatedListener<String, byte[]>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends byte[]>> events) {}
  }

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    boolean oneKey = Boolean.parseBoolean(args[1]);
    int size = Integer.parseInt(args[2]);
    long millis = Long.parseLong(args[3]);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    CacheManager m = Caching.getCachingProvider().getCacheManager(uri, AsyncHeapChild.class.getClassLoader());
    MutableConfiguration<String, byte[]> config = new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class);
    config.addCacheEntryListenerConfiguration(
        new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(new Created()), null, false, false));
    Cache<String, byte[]> c = m.createCache("asyncheap", config);
    @SuppressWarnings("unchecked")
    AsyncCache<String, byte[]> async = c.unwrap(NewcacheCache.class).async();
    async.put("warm", new byte[size]).join();
    System.gc();
    long base = memory.getHeapMemoryUsage().getUsed();
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in));
    System.out.println("READY");
    in.readLine(); // go
    long peak = 0;
    long calls = 0;
    LongAdder refused = new LongAdder();
    LongAdder other = new LongAdder();
    AtomicReference<String> refusal = new AtomicReference<>("none");
    long end = System.nanoTime() + millis * 1_000_000L;
    while (System.nanoTime() < end) {
      CompletableFuture<Void> f = async.put(oneKey ? "hot" : "k" + calls, new byte[size]);
      f.whenComplete((x, e) -> {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        if (cause instanceof CacheException && cause.getMessage().contains("opQueueBytes")) {
          refused.increment();
          refusal.compareAndSet("none", cause.getMessage());
        } else if (cause != null) {
          other.increment();
        }
      });
      calls++;
      if ((calls & 63) == 0) {
        peak = Math.max(peak, memory.getHeapMemoryUsage().getUsed());
      }
    }
    System.gc();
    long live = memory.getHeapMemoryUsage().getUsed();
    System.out.printf("RESULT base=%d live=%d peak=%d calls=%d refused=%d other=%d%n",
        base >> 20, live >> 20, peak >> 20, calls, refused.sum(), other.sum());
    System.out.println("REFUSAL " + refusal.get());
    in.readLine(); // done
    m.close();
  }
}
