package io.github.newcache.internal.key;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** MD5 as lower-case hex, the hash of django-newcache's keys; one digest per thread, one buffer per key. */
public final class Hashing {

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

  private Hashing() {}

  /** {@code prefix} followed by the md5 hex of {@code bytes}, built in one buffer. */
  public static String md5Key(String prefix, byte[] bytes) {
    byte[] digest = MD5.get().digest(bytes);
    int p = prefix.length();
    char[] out = new char[p + 32];
    prefix.getChars(0, p, out, 0);
    for (int i = 0; i < 16; i++) {
      out[p + 2 * i] = HEX[(digest[i] >> 4) & 0xf];
      out[p + 2 * i + 1] = HEX[digest[i] & 0xf];
    }
    return new String(out);
  }

  /** The MD5 digest of {@code bytes}. */
  public static byte[] md5(byte[] bytes) {
    return MD5.get().digest(bytes);
  }

  /** Lower-case hex of the MD5 digest of {@code bytes}. */
  public static String md5Hex(byte[] bytes) {
    return md5Key("", bytes);
  }

  /** Lower-case hex of the MD5 digest of {@code text}'s UTF-8 bytes. */
  public static String md5Hex(String text) {
    return md5Hex(text.getBytes(StandardCharsets.UTF_8));
  }
}
