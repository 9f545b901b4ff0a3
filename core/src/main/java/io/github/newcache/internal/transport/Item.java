package io.github.newcache.internal.transport;

/**
 * The raw bytes stored under one memcached key together with the CAS token that memcached gave
 * them. The token is what makes conditional writes atomic across clients.
 *
 * @param value the stored bytes, exactly as written
 * @param cas the server's CAS token for this version of the item
 */
// Error Prone's ArrayRecordComponent: a record's equals and hashCode see an array component's
// identity, not its bytes. An Item is a read result handed from the transport to the store and is
// never compared or hashed; where bytes must be compared, the store does it (Current#sameItem).
@SuppressWarnings("ArrayRecordComponent")
public record Item(byte[] value, long cas) {}
