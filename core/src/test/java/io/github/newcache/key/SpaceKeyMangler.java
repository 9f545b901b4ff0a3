package io.github.newcache.key;

/** A broken key function for tests: produces keys holding a space, which memcached forbids. */
public class SpaceKeyMangler implements KeyMangler {

  /** The key it produces for the key {@code "k"} in a cache named {@code broken}. */
  public static String keyFor(KeySpace space) {
    return space.flavor() + "-bad key";
  }

  @Override
  public String mangle(KeySpace space, byte[] keyBytes) {
    return keyFor(space);
  }
}
