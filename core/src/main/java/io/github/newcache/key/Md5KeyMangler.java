package io.github.newcache.key;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The default key function, in django-newcache's shape: {@code <flavor>-<version>-<namespace>-<md5
 * hex of the key>}, without the leading {@code <flavor>-} when the flavor is empty. With flavor
 * {@code staging}, version 2 and a cache named {@code games}, the key {@code "games"} is stored as
 * {@code staging-2-games-9cfa7aefcc61936b70aaec6729329eda}.
 */
public class Md5KeyMangler implements KeyMangler {

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static final ThreadLocal<MessageDigest> MD5 =
      ThreadLocal.withInitial(
          () -> {
            try {
              return MessageDigest.getInstance("MD5");
            } catch (NoSuchAlgorithmException e) {
              throw new IllegalStateException("the JVM has no MD5", e);
            }
          });

  @Override
  public String mangle(KeySpace space, byte[] keyBytes) {
    return key(prefix(space), keyBytes);
  }

  /** {@code prefix} followed by the md5 hex of {@code keyBytes}, built in one buffer. */
  public static String key(String prefix, byte[] keyBytes) {
    byte[] digest = MD5.get().digest(keyBytes);
    int p = prefix.length();
    char[] out = new char[p + 32];
    prefix.getChars(0, p, out, 0);
    for (int i = 0; i < 16; i++) {
      out[p + 2 * i] = HEX[(digest[i] >> 4) & 0xf];
      out[p + 2 * i + 1] = HEX[digest[i] & 0xf];
    }
    return new String(out);
  }

  @Override
  public String prefix(KeySpace space) {
    String versioned = space.version() + "-" + space.namespace() + "-";
    return space.flavor().isEmpty() ? versioned : space.flavor() + "-" + versioned;
  }

  /** Lower-case hex of the MD5 digest of {@code bytes}. */
  public static String md5Hex(byte[] bytes) {
    return key("", bytes);
  }
}
