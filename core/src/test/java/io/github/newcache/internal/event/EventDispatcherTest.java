package io.github.newcache.internal.event;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.newcache.internal.integration.UserResources;
import java.io.Closeable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableCacheEntryListenerConfiguration;
import javax.cache.event.CacheEntryCreatedListener;
import javax.cache.event.CacheEntryEvent;
import javax.cache.event.EventType;
import org.junit.jupiter.api.Test;

/** The listeners' registry: what its close leaves behind. */
class EventDispatcherTest {

  /** A listener that counts its closes. */
  public static final class Counted implements CacheEntryCreatedListener<String, String>, Closeable {
    static final AtomicInteger CLOSES = new AtomicInteger();

    @Override
    public void onCreated(Iterable<CacheEntryEvent<? extends String, ? extends String>> events) {}

    @Override
    public void close() {
      CLOSES.incrementAndGet();
    }
  }

  /**
   * A registration that comes after the close (it passed the cache's open check before the close
   * began) is refused: the close has closed the listeners already, and one registered now would
   * stay open for good (review 74: it was registered, and never closed).
   */
  @Test
  void aRegistrationAfterTheCloseIsRefusedAndCreatesNoListener() {
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
    try {
      EventDispatcher<String, String> events = new EventDispatcher<>("c", 1000, timer);
      events.close(new UserResources("c"));
      MutableCacheEntryListenerConfiguration<String, String> config = new MutableCacheEntryListenerConfiguration<>(
          FactoryBuilder.factoryOf(Counted.class), null, false, true);
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> events.register(config, closing -> { }, Runnable::run));
      assertEquals("cache c is closed", e.getMessage());
      assertFalse(events.wants(EventType.CREATED));
    } finally {
      timer.shutdownNow();
    }
  }
}
