package io.github.newcache.internal.key;

import io.github.newcache.internal.codec.JavaSerialization;
import io.github.newcache.internal.codec.Utf16;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The stable binary form of a cache key: what the key function hashes and what each stored entry
 * carries to prove whose value it is.
 *
 * <ul>
 *   <li>A {@code String} is its UTF-8 bytes, exactly, so {@code "games"} hashes like it did in
 *       django-newcache.
 *   <li>Anything else starts with byte {@code 0xFF}, which never occurs in UTF-8, then a type tag:
 *       {@code I} + 4 bytes for Integer, {@code J} + 8 bytes for Long, {@code U} + UTF-16 for a
 *       String holding unpaired surrogates (UTF-8 cannot carry those), {@code O} + Java
 *       serialization for other types.
 * </ul>
 *
 * Equal keys must give equal forms: a key type whose serialized form depends on more than its
 * equality (say, a field holding a {@code HashSet}) is not a good cache key for any remote cache.
 */
public final class KeyForms {

  private static final byte MARK = (byte) 0xFF;

  private KeyForms() {}

  public static byte[] encode(Object key) {
    if (key instanceof String s) {
      if (!hasSurrogates(s) || wellFormed(s)) {
        return s.getBytes(StandardCharsets.UTF_8);
      }
      return tagged('U', Utf16.encode(s));
    }
    if (key instanceof Integer i) {
      return tagged('I', ByteBuffer.allocate(4).putInt(i).array());
    }
    if (key instanceof Long l) {
      return tagged('J', ByteBuffer.allocate(8).putLong(l).array());
    }
    return tagged('O', JavaSerialization.serialize(key, "key"));
  }

  /**
   * The key whose form is {@code form}; throws when {@code form} is no key's form (a form
   * {@link #encode} cannot give: a fixed-length key with bytes missing or left over).
   */
  public static Object decode(byte[] form, ClassLoader loader) {
    if (form.length == 0 || form[0] != MARK) {
      return new String(form, StandardCharsets.UTF_8);
    }
    if (form.length < 2) {
      throw new IllegalStateException("a key form of one byte");
    }
    char tag = (char) form[1];
    return switch (tag) {
      case 'U' -> Utf16.decode(form, 2, checked(form, tag, (form.length - 2) % 2 == 0));
      case 'I' -> ByteBuffer.wrap(form, 2, checked(form, tag, form.length == 6)).getInt();
      case 'J' -> ByteBuffer.wrap(form, 2, checked(form, tag, form.length == 10)).getLong();
      case 'O' -> JavaSerialization.deserialize(form, 2, form.length - 2, loader);
      default -> throw new IllegalStateException("unknown key form tag '" + tag + "'");
    };
  }

  /** The payload's length of {@code form} when {@code fits}; throws otherwise. */
  private static int checked(byte[] form, char tag, boolean fits) {
    if (!fits) {
      throw new IllegalStateException("a key form tagged '" + tag + "' of " + form.length + " bytes");
    }
    return form.length - 2;
  }

  private static byte[] tagged(char tag, byte[] payload) {
    byte[] out = new byte[payload.length + 2];
    out[0] = MARK;
    out[1] = (byte) tag;
    System.arraycopy(payload, 0, out, 2, payload.length);
    return out;
  }

  private static boolean hasSurrogates(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))) {
        return true;
      }
    }
    return false;
  }

  private static boolean wellFormed(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 >= s.length() || !Character.isLowSurrogate(s.charAt(i + 1))) {
          return false;
        }
        i++;
      } else if (Character.isLowSurrogate(c)) {
        return false;
      }
    }
    return true;
  }
}
