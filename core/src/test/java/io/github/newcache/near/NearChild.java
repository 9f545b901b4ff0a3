package io.github.newcache.near;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.Caching;

/**
 * The writing JVM of {@link NearCacheFleetTest}: opens its own manager, waits for the go file,
 * writes {@code v1} to each key (2 ms apart) and prints {@code WRITTEN <ms>,<ms>,…}: the wall-clock
 * time each write returned.
 */
public final class NearChild {

  public static void main(String[] args) throws Exception {
    URI uri = URI.create(args[0]);
    int keys = Integer.parseInt(args[1]);
    Path go = Path.of(args[2]);
    CacheManager m = Caching.getCachingProvider().getCacheManager(uri, NearChild.class.getClassLoader());
    Cache<String, String> c = m.createCache("fleet", NearCacheTest.plain());
    System.out.println("READY");
    System.out.flush();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(go) && System.nanoTime() < deadline) {
      Thread.sleep(1);
    }
    StringBuilder written = new StringBuilder("WRITTEN ");
    for (int i = 0; i < keys; i++) {
      c.put("key" + i, "v1");
      written.append(System.currentTimeMillis()).append(i + 1 < keys ? "," : "");
      Thread.sleep(2);
    }
    System.out.println(written);
    System.out.flush();
    m.close();
  }
}
