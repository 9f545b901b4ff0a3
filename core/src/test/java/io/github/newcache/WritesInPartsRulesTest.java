package io.github.newcache;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testing.InMemoryTransport;
import io.github.newcache.testing.ManualClock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.cache.Cache;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.integration.CacheWriter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Which writes hand the caller's {@code byte[]} to the transport as the second part of the item
 * ({@link io.github.newcache.internal.transport.MemcachedTransport#setParts}), so it is copied once,
 * into the request: a blind {@code put} or {@code putAll} of a {@code byte[]} cache with no writer.
 * Every other write encodes the value first, as before. Over real memcached: {@link
 * WritesInPartsTest}.
 */
class WritesInPartsRulesTest {

  private final ManualClock clock = new ManualClock();
  private final InMemoryTransport memcached = new InMemoryTransport(clock);
  private NewcacheCacheManager manager;

  @BeforeEach
  void open() {
    manager = InMemoryManagers.open("flavor=parts", memcached, clock);
  }

  @AfterEach
  void close() {
    manager.close();
  }

  private Cache<String, byte[]> cache(String name, MutableConfiguration<String, byte[]> config) {
    return manager.createCache(name, config.setTypes(String.class, byte[].class));
  }

  @Test
  void aBlindPutAndPutAllHandTheCallersArraysOver() {
    Cache<String, byte[]> c = cache("blind", new MutableConfiguration<>());
    byte[] one = {1, 2, 3};
    c.put("one", one);
    Map<String, byte[]> batch = new LinkedHashMap<>();
    batch.put("two", new byte[] {4});
    batch.put("three", new byte[0]);
    c.putAll(batch);
    List<byte[]> tails = memcached.tailsWritten();
    assertEquals(3, tails.size(), "each value written in parts");
    assertSame(one, tails.get(0), "the caller's array itself, not a copy");
    assertSame(batch.get("two"), tails.get(1));
    assertSame(batch.get("three"), tails.get(2));
    assertArrayEquals(one, c.get("one"));
    assertArrayEquals(new byte[] {4}, c.get("two"));
    assertArrayEquals(new byte[0], c.get("three"));
  }

  @Test
  void writesThatDecideOnTheStoredEntryOrHandTheValueToAWriterEncodeItFirst() {
    Cache<String, byte[]> listened = cache("listened", new MutableConfiguration<String, byte[]>()
        .addCacheEntryListenerConfiguration(new MutableCacheEntryListenerConfiguration<>(
            FactoryBuilder.factoryOf(Created.class), null, false, true)));
    listened.put("k", new byte[] {1});
    listened.putAll(Map.of("m", new byte[] {2}));
    Cache<String, byte[]> written = cache("written", new MutableConfiguration<String, byte[]>()
        .setWriteThrough(true).setCacheWriterFactory(FactoryBuilder.factoryOf(Writes.class)));
    written.put("k", new byte[] {3});
    written.putAll(Map.of("m", new byte[] {4}));
    Cache<String, Object> objects = manager.createCache("objects", new MutableConfiguration<String, Object>().setTypes(String.class, Object.class));
    objects.put("k", new byte[] {5});
    assertTrue(memcached.tailsWritten().isEmpty(), "nothing written in parts: " + memcached.tailsWritten().size());
    assertArrayEquals(new byte[] {1}, listened.get("k"));
    assertArrayEquals(new byte[] {2}, listened.get("m"));
    assertArrayEquals(new byte[] {3}, written.get("k"));
    assertArrayEquals(new byte[] {4}, written.get("m"));
    assertArrayEquals(new byte[] {5}, (byte[]) objects.get("k"));
  }

  /** Hears creations, so a put's outcome depends on what was stored. */
  public static final class Created implements CacheEntryCreatedListener<String, byte[]> {
    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends byte[]>> events) {
      // heard
    }
  }

  /** A writer that takes every write. */
  public static final class Writes implements CacheWriter<String, byte[]> {
    final List<String> keys = new ArrayList<>();

    @Override
    public void write(Cache.Entry<? extends String, ? extends byte[]> entry) {
      keys.add(entry.getKey());
    }

    @Override
    public void writeAll(java.util.Collection<Cache.Entry<? extends String, ? extends byte[]>> entries) {
      entries.clear();
    }

    @Override
    public void delete(Object key) {}

    @Override
    public void deleteAll(java.util.Collection<?> keys) {
      keys.clear();
    }
  }
}
