package io.github.newcache.key;

/**
 * A deliberately bad key function for tests: every key of every cache goes to one memcached key
 * (per flavor and version). The envelope's key check must keep values apart anyway.
 */
public class CollidingKeyMangler implements KeyMangler {

  @Override
  public String mangle(KeySpace space, byte[] keyBytes) {
    return prefix(space) + "same";
  }

  @Override
  public String prefix(KeySpace space) {
    return space.flavor() + "-" + space.version() + "-collide-";
  }
}
