package io.github.newcache.key;

/**
 * Where a key lives: the manager's flavor and version and the cache's namespace. Two caches, two
 * versions or two flavors never share a memcached key because they never share a key space.
 *
 * @param flavor the environment prefix, possibly empty
 * @param version the key version
 * @param namespace the cache's namespace, already safe for memcached keys (no {@code -},
 *     whitespace or control characters)
 */
public record KeySpace(String flavor, int version, String namespace) {}
