package io.github.newcache.internal.key;

import java.nio.charset.StandardCharsets;

/**
 * Derives a cache's namespace from its name. Letters, digits, {@code _} and {@code .} are kept;
 * every other byte becomes {@code %XX}, so the namespace never contains {@code -} (the separator)
 * and distinct names give distinct namespaces. Names whose namespace would pass 64 bytes are
 * replaced by {@code %h} and the MD5 of the name, which keeps memcached keys well under 250 bytes:
 * escaping writes {@code %} only before two upper-case hex digits, so no name's own namespace can
 * ever be {@code %h…}, and a cache literally named like a hashed one keeps its own entries.
 */
public final class Namespaces {

  static final int MAX = 64;

  private Namespaces() {}

  public static String of(String cacheName) {
    byte[] utf8 = cacheName.getBytes(StandardCharsets.UTF_8);
    StringBuilder sb = new StringBuilder(utf8.length);
    for (byte b : utf8) {
      int c = b & 0xff;
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.') {
        sb.append((char) c);
      } else {
        sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
      }
      if (sb.length() > MAX) {
        return "%h" + Hashing.md5Hex(utf8);
      }
    }
    return sb.length() == 0 ? "%" : sb.toString();
  }
}
