package io.github.newcache.internal.store;

/**
 * A live entry found by scanning the servers: its slot and value.
 *
 * @param slot the entry's key, key form and memcached key
 * @param value the decoded value
 */
public record Found<K, V>(Slot<K> slot, V value) {}
