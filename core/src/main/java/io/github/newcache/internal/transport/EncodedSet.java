package io.github.newcache.internal.transport;

import java.util.Collection;
import net.spy.memcached.ops.StoreOperation;
import net.spy.memcached.ops.StoreType;

/**
 * A set of ours ({@link TextSetOperation}, {@link BinarySetOperation}) whose whole request is
 * encoded when the operation is made, on the caller's thread, so the caller's arrays are read
 * before the write returns whenever spymemcached gets to it. It is a {@link StoreOperation} (flags
 * 0): spymemcached's redistribution (failure mode {@code redistribute}) clones it into its own set
 * for another server from {@link #getData}, and queues weigh it by its request alone.
 */
interface EncodedSet extends StoreOperation {

  /** The request and where the item lies in it. */
  SetRequest request();

  @Override
  default Collection<String> getKeys() {
    return request().keys();
  }

  @Override
  default StoreType getStoreType() {
    return StoreType.set;
  }

  @Override
  default int getFlags() {
    return 0;
  }

  @Override
  default int getExpiration() {
    return request().exptime();
  }

  /** The item, copied out of the request (only a redistribution asks, to clone this set). */
  @Override
  default byte[] getData() {
    return request().data();
  }

  /** The bytes of the encoded request, all this operation holds of the item. */
  default int requestBytes() {
    return request().length();
  }
}
