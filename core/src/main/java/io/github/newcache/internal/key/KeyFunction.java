package io.github.newcache.internal.key;

import io.github.newcache.key.KeyMangler;
import io.github.newcache.key.KeySpace;
import io.github.newcache.key.Md5KeyMangler;

/**
 * One cache's key function: its {@link KeyMangler} bound to the cache's {@link KeySpace}. The one
 * place that knows whether the mangler is the default one, whose output is legal by construction,
 * never shared by two keys, and always starts with a prefix that only this cache's keys carry.
 */
public final class KeyFunction {

  private final KeyMangler mangler;
  private final KeySpace space;
  private final String prefix;
  private final boolean exact;

  private KeyFunction(KeyMangler mangler, KeySpace space) {
    this.mangler = mangler;
    this.space = space;
    this.prefix = mangler.prefix(space);
    this.exact = mangler.getClass() == Md5KeyMangler.class;
  }

  public static KeyFunction of(KeyMangler mangler, KeySpace space) {
    return new KeyFunction(mangler, space);
  }

  /** The memcached key for a key's stable form ({@link KeyForms}); checked unless the mangler is the default. */
  public String mangle(byte[] form) {
    if (exact) {
      // The default key function, inlined: its output is legal by construction.
      return Hashing.md5Key(prefix, form);
    }
    return MemcachedKeys.check(mangler.mangle(space, form), mangler);
  }

  /** The prefix every memcached key of this cache starts with (possibly empty for a custom mangler). */
  public String prefix() {
    return prefix;
  }

  /**
   * True for the default key function: distinct keys never share a memcached key (so whatever is
   * stored under a key is that key's entry or nothing of ours), and only this cache's keys carry
   * its prefix.
   */
  public boolean exact() {
    return exact;
  }

  public KeySpace space() {
    return space;
  }
}
