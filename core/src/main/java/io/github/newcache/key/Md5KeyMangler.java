package io.github.newcache.key;

import io.github.newcache.internal.key.Hashing;

/**
 * The default key function, in django-newcache's shape: {@code <flavor>-<version>-<namespace>-<md5
 * hex of the key>}, without the leading {@code <flavor>-} when the flavor is empty. With flavor
 * {@code staging}, version 2 and a cache named {@code games}, the key {@code "games"} is stored as
 * {@code staging-2-games-9cfa7aefcc61936b70aaec6729329eda}.
 */
public class Md5KeyMangler implements KeyMangler {

  /** Creates the default key function. */
  public Md5KeyMangler() {}

  @Override
  public String mangle(KeySpace space, byte[] keyBytes) {
    return Hashing.md5Key(prefix(space), keyBytes);
  }

  @Override
  public String prefix(KeySpace space) {
    String versioned = space.version() + "-" + space.namespace() + "-";
    return space.flavor().isEmpty() ? versioned : space.flavor() + "-" + versioned;
  }
}
