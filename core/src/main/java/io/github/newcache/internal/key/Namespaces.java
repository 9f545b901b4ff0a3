package io.github.newcache.internal.key;

import java.nio.charset.StandardCharsets;

/**
 * Derives a cache's namespace from its name. Letters, digits, {@code _} and {@code .} are kept;
 * every other byte becomes {@code %XX}, so the namespace never contains {@code -} (the separator)
 * and distinct names give distinct namespaces. Names whose namespace would pass 64 bytes are
 * replaced by {@code %h} and the MD5 of the name, which keeps memcached keys well under 250 bytes:
 * escaping writes {@code %} only before two upper-case hex digits, so no name's own namespace can
 * ever be {@code %h…}, and a cache literally named like a hashed one keeps its own entries. A
 * name that is not well-formed UTF-16 writes each unpaired surrogate as {@code %u} and its four
 * lower-case hex digits (UTF-8 would write {@code ?}, and {@code a\uD800} would share the
 * namespace of {@code a?}).
 */
public final class Namespaces {

  static final int MAX = 64;

  private Namespaces() {}

  public static String of(String cacheName) {
    StringBuilder sb = new StringBuilder(cacheName.length());
    boolean malformed = false;
    for (int i = 0; i < cacheName.length(); ) {
      int cp = cacheName.codePointAt(i);
      int units = Character.charCount(cp);
      if (Character.isSurrogate(cacheName.charAt(i)) && units == 1) {
        // An unpaired surrogate: UTF-8 would write it as '?', the namespace of another name.
        sb.append("%u").append(String.format("%04x", (int) cacheName.charAt(i)));
        malformed = true;
      } else {
        for (byte b : cacheName.substring(i, i + units).getBytes(StandardCharsets.UTF_8)) {
          escape(b & 0xff, sb);
        }
      }
      i += units;
    }
    if (sb.length() > MAX) {
      return "%h" + Hashing.md5Hex(malformed ? malformedForm(sb) : cacheName.getBytes(StandardCharsets.UTF_8));
    }
    return sb.length() == 0 ? "%" : sb.toString();
  }

  /** The escaped form after a byte (0xFF) no UTF-8 text holds: no well-formed name hashes the same. */
  private static byte[] malformedForm(StringBuilder escaped) {
    byte[] ascii = escaped.toString().getBytes(StandardCharsets.US_ASCII);
    byte[] out = new byte[ascii.length + 1];
    out[0] = (byte) 0xFF;
    System.arraycopy(ascii, 0, out, 1, ascii.length);
    return out;
  }

  private static void escape(int c, StringBuilder sb) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.') {
      sb.append((char) c);
    } else {
      sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
          .append(Character.toUpperCase(Character.forDigit(c & 0xf, 16)));
    }
  }
}
