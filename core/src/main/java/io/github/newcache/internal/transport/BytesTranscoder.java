package io.github.newcache.internal.transport;

import net.spy.memcached.CachedData;
import net.spy.memcached.transcoders.Transcoder;

/**
 * Hands byte arrays to spymemcached untouched: no flags, no compression, no serialization. The
 * envelope above the transport already decided the bytes.
 */
final class BytesTranscoder implements Transcoder<byte[]> {

  private final int maxSize;

  BytesTranscoder(int maxSize) {
    this.maxSize = maxSize;
  }

  @Override
  public boolean asyncDecode(CachedData d) {
    return false;
  }

  @Override
  public CachedData encode(byte[] o) {
    return new CachedData(0, o, maxSize);
  }

  @Override
  public byte[] decode(CachedData d) {
    return d.getData();
  }

  @Override
  public int getMaxSize() {
    return maxSize;
  }
}
