package io.github.newcache.internal.codec;

/**
 * Strings as raw big-endian UTF-16 code units, two bytes per {@code char}. Unlike the
 * {@code UTF-16BE} charset, this keeps unpaired surrogates exactly (the charset replaces them with
 * U+FFFD, which would make distinct strings equal once stored).
 */
public final class Utf16 {

  private Utf16() {}

  public static byte[] encode(String s) {
    byte[] out = new byte[s.length() * 2];
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out[2 * i] = (byte) (c >>> 8);
      out[2 * i + 1] = (byte) c;
    }
    return out;
  }

  public static String decode(byte[] data, int offset, int length) {
    char[] chars = new char[length / 2];
    for (int i = 0; i < chars.length; i++) {
      chars[i] = (char) (((data[offset + 2 * i] & 0xff) << 8) | (data[offset + 2 * i + 1] & 0xff));
    }
    return new String(chars);
  }
}
