package io.github.newcache.testing;

/** Printable forms of strings holding control characters or lone surrogates, for failure messages. */
public final class Escapes {

  private Escapes() {}

  /** {@code o} as text with every char outside printable ASCII written as {@code \\uXXXX}. */
  public static String of(Object o) {
    String s = String.valueOf(o);
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && sb.length() < 200; i++) {
      char c = s.charAt(i);
      if (c >= ' ' && c < 0x7f) {
        sb.append(c);
      } else {
        sb.append(String.format("\\u%04x", (int) c));
      }
    }
    return sb.toString();
  }
}
