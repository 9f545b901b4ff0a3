package io.github.newcache.internal.key;

import io.github.newcache.key.KeyMangler;
import java.nio.charset.StandardCharsets;

/** Checks that a produced memcached key is legal in both protocols. */
public final class MemcachedKeys {

  public static final int MAX_BYTES = 250;

  private MemcachedKeys() {}

  /** Returns {@code key} or throws, naming the key and what is wrong with it. */
  public static String check(String key, KeyMangler producer) {
    if (key == null || key.isEmpty()) {
      throw new IllegalStateException(producer.getClass().getName() + " produced an empty memcached key");
    }
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (!allowed(c)) {
        throw new IllegalStateException(
            producer.getClass().getName() + " produced the memcached key '" + printable(key)
                + "', which holds whitespace or a control character at index " + i
                + "; memcached keys allow neither");
      }
    }
    if (key.length() > MAX_BYTES / 3 && key.getBytes(StandardCharsets.UTF_8).length > MAX_BYTES) {
      throw new IllegalStateException(
          producer.getClass().getName() + " produced the memcached key '" + printable(key)
              + "', which is " + key.getBytes(StandardCharsets.UTF_8).length
              + " bytes long; memcached allows at most " + MAX_BYTES);
    }
    return key;
  }

  /**
   * Whether {@code key} passes {@link #check}: a key a Newcache key function may have written. A key
   * listed on a server that does not (another client's, say with a space or over 250 bytes) is
   * none of any cache's.
   */
  public static boolean legal(String key) {
    if (key.isEmpty()) {
      return false;
    }
    for (int i = 0; i < key.length(); i++) {
      if (!allowed(key.charAt(i))) {
        return false;
      }
    }
    return key.length() <= MAX_BYTES / 3 || key.getBytes(StandardCharsets.UTF_8).length <= MAX_BYTES;
  }

  private static boolean allowed(char c) {
    return c > ' ' && c != 0x7f && !Character.isWhitespace(c) && !Character.isISOControl(c);
  }

  private static String printable(String key) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < key.length() && sb.length() < 300; i++) {
      char c = key.charAt(i);
      if (c < ' ' || c == 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
