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

  @Override
  public String mangle(KeySpace space, byte[] keyBytes) {
    return prefix(space) + md5Hex(keyBytes);
  }

  @Override
  public String prefix(KeySpace space) {
    String versioned = space.version() + "-" + space.namespace() + "-";
    return space.flavor().isEmpty() ? versioned : space.flavor() + "-" + versioned;
  }

  /** Lower-case hex of the MD5 digest of {@code bytes}. */
  public static String md5Hex(byte[] bytes) {
    byte[] digest;
    try {
      digest = MessageDigest.getInstance("MD5").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no MD5", e);
    }
    char[] out = new char[digest.length * 2];
    for (int i = 0; i < digest.length; i++) {
      out[2 * i] = HEX[(digest[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[digest[i] & 0xf];
    }
    return new String(out);
  }
}
