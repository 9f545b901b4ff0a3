package io.github.newcache.herd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.cache.Cache;
import javax.cache.configuration.FactoryBuilder;
import javax.cache.configuration.MutableConfiguration;
import javax.cache.integration.CacheLoader;
import javax.cache.integration.CompletionListenerFuture;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The manager's loader pool runs loads side by side, not one at a time. */
@ExtendWith(MemcachedExtension.class)
class LoaderPoolTest {

  /** Each loadAll waits until four of them run at once (bounded), then loads. */
  public static final class Meeting implements CacheLoader<String, String> {
    static volatile CountDownLatch together;
    static final AtomicInteger MET = new AtomicInteger();

    @Override
    public String load(String key) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Map<String, String> loadAll(Iterable<? extends String> keys) {
      together.countDown();
      try {
        if (together.await(10, TimeUnit.SECONDS)) {
          MET.incrementAndGet();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Map<String, String> out = new HashMap<>();
      keys.forEach(k -> out.put(k, "loaded:" + k));
      return out;
    }
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void fourLoadAllCallsRunAtOnce(Protocol p, TestManagers managers) throws Exception {
    Meeting.together = new CountDownLatch(4);
    Meeting.MET.set(0);
    Cache<String, String> c =
        managers.open(p).createCache("pool", new MutableConfiguration<String, String>()
            .setTypes(String.class, String.class)
            .setCacheLoaderFactory(FactoryBuilder.factoryOf(Meeting.class)));
    List<CompletionListenerFuture> done = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      CompletionListenerFuture f = new CompletionListenerFuture();
      c.loadAll(Set.of("k" + i), false, f);
      done.add(f);
    }
    for (CompletionListenerFuture f : done) {
      f.get(30, TimeUnit.SECONDS);
    }
    assertEquals(4, Meeting.MET.get(), "all four loads ran at the same time");
    for (int i = 0; i < 4; i++) {
      assertEquals("loaded:k" + i, c.get("k" + i));
    }
    assertTrue(Meeting.together.getCount() == 0);
  }
}
