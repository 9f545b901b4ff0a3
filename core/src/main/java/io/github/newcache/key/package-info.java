/**
 * The key function SPI: a {@link io.github.newcache.key.KeyMangler} turns a cache key, within its
 * {@link io.github.newcache.key.KeySpace} (flavor, version, cache namespace), into the memcached
 * key it is stored under. {@link io.github.newcache.key.Md5KeyMangler} is the default.
 */
package io.github.newcache.key;
