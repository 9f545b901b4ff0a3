package io.github.newcache.internal.transport;

/**
 * The raw bytes stored under one memcached key together with the CAS token that memcached gave
 * them. The token is what makes conditional writes atomic across clients.
 *
 * @param value the stored bytes, exactly as written
 * @param cas the server's CAS token for this version of the item
 */
public record Item(byte[] value, long cas) {}
