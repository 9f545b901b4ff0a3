package io.github.newcache.fault;

import io.github.newcache.testing.AcceptingWriter;
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
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.MutableEntry;

/**
 * The client of {@link FrozenServerHeapTest}'s non-blocking cases, in its own JVM with a small heap:
 * after {@code go} on standard input, one thread writes a new value of {@code size} bytes for {@code
 * millis} ms, to distinct keys or to one hot key, against a server the test has frozen, in one of
 * three ways ({@link Through}): {@code async().put} on a cache with a CREATED listener (so every
 * put is a compute that first sends a small {@code gets}), {@code async().put} through a writer, or
 * {@code async().invoke} of a processor that stores its argument (both run as blocking calls on the
 * loader pool); and reports the heap: {@code RESULT base=<MB> live=<MB> peak=<MB> calls=<n>
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

  /** A writer that keeps nothing: its presence makes every non-blocking write a blocking call on the loader pool. */
  public static final class Discarding implements AcceptingWriter<String, byte[]>, Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** Stores its first argument: a processor whose value comes with the call. */
  public static final class StoreArgument implements EntryProcessor<String, byte[], Void>, Serializable {
    private static final long serialVersionUID = 1L;

    @Override
    public Void process(MutableEntry<String, byte[]> entry, Object... arguments) {
      entry.setValue((byte[]) arguments[0]);
      return null;
    }
  }

  /** How the values are written. */
  enum Through {
    /** {@code put} on a cache with a CREATED listener: a compute that sends a {@code gets} first. */
    LISTENER,
    /** {@code put} through a {@link Discarding} writer. */
    WRITER,
    /** {@code invoke} of {@link StoreArgument}, the value its argument. */
    INVOKE
  }

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    boolean oneKey = Boolean.parseBoolean(args[1]);
    int size = Integer.parseInt(args[2]);
    long millis = Long.parseLong(args[3]);
    Through through = Through.valueOf(args[4]);
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    CacheManager m = Caching.getCachingProvider().getCacheManager(uri, AsyncHeapChild.class.getClassLoader());
    MutableConfiguration<String, byte[]> config = new MutableConfiguration<String, byte[]>().setTypes(String.class, byte[].class);
    if (through == Through.LISTENER) {
      config.addCacheEntryListenerConfiguration(
          new MutableCacheEntryListenerConfiguration<>(FactoryBuilder.factoryOf(new Created()), null, false, false));
    } else if (through == Through.WRITER) {
      config.setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(new Discarding()));
    }
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
      String key = oneKey ? "hot" : "k" + calls;
      CompletableFuture<Void> f = through == Through.INVOKE
          ? async.invoke(key, new StoreArgument(), (Object) new byte[size])
          : async.put(key, new byte[size]);
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
      if ((calls & 63) == 0 || size >= 1 << 16) { // large values: few calls, each counts
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
