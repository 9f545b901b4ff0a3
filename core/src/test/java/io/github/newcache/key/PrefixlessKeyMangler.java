package io.github.newcache.key;

import io.github.newcache.internal.key.Hashing;

/**
 * A custom key function that keeps flavors, versions and caches apart but, like many a user's, does
 * not override {@link KeyMangler#prefix}: enumeration then lists every key on the servers.
 */
public class PrefixlessKeyMangler implements KeyMangler {

  @Override
  public String mangle(KeySpace space, byte[] keyBytes) {
    return "u." + space.flavor() + "." + space.version() + "." + space.namespace() + "." + Hashing.md5Hex(keyBytes);
  }
}
