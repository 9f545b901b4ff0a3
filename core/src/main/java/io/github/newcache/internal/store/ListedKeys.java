package io.github.newcache.internal.store;

import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.RandomAccess;
import javax.cache.CacheException;

/**
 * The memcached keys a listing found for one cache, held compactly while the iterator, {@code
 * clear()} or {@code removeAll()} works through them: a key of the default key function's shape
 * (the cache's prefix and 32 lower-case hex digits) as its 16 digest bytes, any other as itself.
 * That is 16 bytes per entry instead of about 100 for a {@code String} of a typical key. Keys of
 * the default shape come first, then the others, each in the order added.
 */
final class ListedKeys extends AbstractList<String> implements RandomAccess {

  private static final HexFormat HEX = HexFormat.of();
  private static final int DIGEST = 16;
  /** The most digest bytes held: 67 million keys. */
  private static final int MAX_BYTES = 1 << 30;

  private final String prefix;
  private byte[] digests = new byte[DIGEST * 64];
  private int packed;
  private final List<String> others = new ArrayList<>();

  /** @param prefix the cache's key prefix */
  ListedKeys(String prefix) {
    this.prefix = prefix;
  }

  @Override
  public boolean add(String mkey) {
    if (!isDigestKey(mkey)) {
      return others.add(mkey);
    }
    if ((packed + 1) * DIGEST > digests.length) {
      if (digests.length > MAX_BYTES / 2) {
        throw new CacheException("a key listing found more than " + MAX_BYTES / DIGEST
            + " keys of one cache, more than one listing can hold");
      }
      digests = Arrays.copyOf(digests, 2 * digests.length);
    }
    byte[] digest = HEX.parseHex(mkey, prefix.length(), mkey.length());
    System.arraycopy(digest, 0, digests, packed * DIGEST, DIGEST);
    packed++;
    return true;
  }

  @Override
  public String get(int index) {
    Objects.checkIndex(index, size());
    if (index < packed) {
      return prefix + HEX.formatHex(digests, index * DIGEST, (index + 1) * DIGEST);
    }
    return others.get(index - packed);
  }

  @Override
  public int size() {
    return packed + others.size();
  }

  /** The prefix and 32 lower-case hex digits, which format back to the same text. */
  private boolean isDigestKey(String mkey) {
    if (mkey.length() != prefix.length() + 2 * DIGEST || !mkey.startsWith(prefix)) {
      return false;
    }
    for (int i = prefix.length(); i < mkey.length(); i++) {
      char c = mkey.charAt(i);
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
        return false;
      }
    }
    return true;
  }
}
