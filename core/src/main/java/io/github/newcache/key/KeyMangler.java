package io.github.newcache.key;

/**
 * Turns a cache key into the memcached key it is stored under: the successor of django-newcache's
 * {@code CACHE_KEY_MODULE}. Choose one with {@code keyMangler=<class name>} in the manager URI or
 * properties file, or per cache with {@link io.github.newcache.NewcacheConfiguration}.
 *
 * <p>An implementation needs a public no-argument constructor and must be thread-safe. Its output
 * is checked: at most 250 bytes, no whitespace or control characters, starting with {@link
 * #prefix}, and not of the shape reserved for leases (the items that hold a key for the fleet while
 * one client loads it, writes it through or runs an entry processor on it): a memcached key that
 * ends in {@code .lease}, or that is {@code lease-} followed by exactly 32 more characters. The
 * operation on a key mangled to such a key fails with an {@link IllegalArgumentException} naming
 * the memcached key, the mangler and this rule, before anything is sent; a mangler that keeps the
 * key's text, say, must not let a key ending in {@code .lease} end its output. An entry
 * that a version before 0.2.0 stored under such a key is removed by {@code clear()} and {@code
 * removeAll()}. Every key should depend on the space's flavor and version as well as its namespace:
 * those are what keep flavors apart and make a version bump hide older entries. It need not be collision
 * free: every stored entry carries its own key, so two keys mapped to the same memcached key
 * displace each other but never read each other's values.
 */
public interface KeyMangler {

  /**
   * The memcached key for one cache key.
   *
   * @param space the flavor, version and cache namespace
   * @param keyBytes the key's stable binary form: the UTF-8 bytes of a {@code String}; for other
   *     types byte {@code 0xFF}, a type tag and the value's bytes (see the README's key function)
   * @return the memcached key
   */
  String mangle(KeySpace space, byte[] keyBytes);

  /**
   * A prefix shared by every memcached key this mangler produces for {@code space}, used to find a
   * cache's entries on the servers (iterator, clear, removeAll). The default, the empty string,
   * is always correct but makes those operations read every entry on the servers.
   *
   * @param space the flavor, version and cache namespace
   * @return a prefix of every key {@link #mangle} returns for {@code space}, possibly empty
   */
  default String prefix(KeySpace space) {
    return "";
  }
}
