package io.github.newcache.key;

import java.nio.charset.StandardCharsets;

/** A custom key function that keeps the key's text in the memcached key (for ASCII keys in tests). */
public class ReadableKeyMangler implements KeyMangler {

  @Override
  public String mangle(KeySpace space, byte[] keyBytes) {
    return prefix(space) + new String(keyBytes, StandardCharsets.US_ASCII);
  }

  @Override
  public String prefix(KeySpace space) {
    return "r." + space.flavor() + "." + space.version() + "." + space.namespace() + ".";
  }
}
