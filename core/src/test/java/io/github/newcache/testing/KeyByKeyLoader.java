package io.github.newcache.testing;

import java.io.Serializable;
import java.util.HashMap;
import java.util.Map;
import javax.cache.integration.CacheLoader;

/** A test loader whose {@code loadAll} loads key by key with {@link #load}. */
public abstract class KeyByKeyLoader implements CacheLoader<String, String>, Serializable {

  private static final long serialVersionUID = 1L;

  @Override
  public Map<String, String> loadAll(Iterable<? extends String> keys) {
    Map<String, String> out = new HashMap<>();
    keys.forEach(k -> out.put(k, load(k)));
    return out;
  }
}
