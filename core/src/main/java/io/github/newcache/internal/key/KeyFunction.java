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

  /**
   * The memcached key for a key's stable form ({@link KeyForms}); checked unless the mangler is the
   * default.
   *
   * @throws IllegalArgumentException when a custom mangler gives a lease's key ({@link LeaseKeys}):
   *     the caller's key cannot be stored with this key function
   * @throws IllegalStateException when a custom mangler gives a key memcached refuses, or one
   *     without its prefix
   */
  public String mangle(byte[] form) {
    if (exact) {
      // The default key function, inlined: its output is legal by construction, and never a lease's.
      return Hashing.md5Key(prefix, form);
    }
    String mkey = MemcachedKeys.check(mangler.mangle(space, form), mangler);
    if (LeaseKeys.matches(mkey)) {
      // Stored, it would be taken for the lease of another key: that key's loads, write-through
      // writes and entry processors would wait the whole lease timeout for it.
      throw new IllegalArgumentException(mangler.getClass().getName() + " produced the memcached key '" + mkey
          + "', which no entry may have: " + LeaseKeys.RULE + "; a key function must never give a key that shape");
    }
    if (!mkey.startsWith(prefix)) {
      // Stored, it would be missed by every listing of the cache (iterator, clear, removeAll,
      // destroyCache), which looks for keys with the prefix: a recreated cache would see it again.
      throw new IllegalStateException(mangler.getClass().getName() + " produced the memcached key '" + mkey
          + "', which does not start with its prefix(space) '" + prefix + "'; every key must");
    }
    return mkey;
  }

  /**
   * True when this key function maps the key form {@code form} to {@code mkey}, a key listed on a
   * server: with the stored envelope, the proof that the item there is the entry of that key. Unlike
   * {@link #mangle} it takes a key of a lease's shape, which versions before 0.2.0 let a custom
   * mangler give an entry, so that such an entry can still be told from a lease and removed.
   *
   * @throws RuntimeException whatever a custom mangler throws for {@code form}
   */
  public boolean gives(byte[] form, String mkey) {
    return mkey.equals(exact ? Hashing.md5Key(prefix, form) : mangler.mangle(space, form));
  }

  /**
   * True when {@code mkey}, listed on a server, may be one of this cache's keys. For the default key
   * function it must be exactly the prefix and 32 hex digits, or the lease beside such a key: no
   * flavor, version or namespace holds {@code -}, so a key of another flavor, version or cache never
   * has that shape, even when its text starts with this prefix ({@code 1-2-} is the unflavored
   * prefix of version 1, cache {@code 2}, and the start of flavor {@code 1}, version 2 keys). For a
   * custom mangler, every key with its prefix may be; the stored envelope decides.
   */
  public boolean mayOwn(String mkey) {
    if (!mkey.startsWith(prefix)) {
      return false;
    }
    if (!exact) {
      return true;
    }
    int end = prefix.length() + 32;
    if (mkey.length() != end && !(mkey.length() == end + LeaseKeys.SUFFIX.length() && mkey.endsWith(LeaseKeys.SUFFIX))) {
      return false;
    }
    for (int i = prefix.length(); i < end; i++) {
      char c = mkey.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
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
