package io.github.newcache.codec;

import io.github.newcache.internal.codec.JavaSerialization;
import io.github.newcache.internal.codec.Utf16;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import javax.cache.CacheException;

/**
 * The default codec: one tag byte, then a type-specific form for {@code String}, {@code byte[]}
 * and the boxed primitives, and Java serialization for everything else. The common types never
 * touch {@code ObjectOutputStream}, which costs microseconds per value.
 *
 * <p>Tags: {@code S} UTF-8 string, {@code U} UTF-16 string (only when it holds unpaired
 * surrogates), {@code B} bytes, {@code I} int, {@code J} long, {@code D} double, {@code F} float,
 * {@code Z} boolean, {@code H} short, {@code Y} byte, {@code C} char, {@code O} Java serialization.
 */
public class DefaultValueCodec implements ValueCodec {

  /**
   * This class's name, for this class and for a subclass that overrides neither {@code encode}
   * method nor {@code decode}: such a subclass writes exactly this class's bytes, so its entries
   * are the default codec's (formats 1 and 2), shared with caches of the default codec and with
   * version 0.1.0. A subclass that overrides one of them may write other bytes and gets its own
   * class name, as any other codec does; one that keeps this class's bytes all the same (say, it
   * counts the values it encodes) returns this class's name by overriding this method.
   *
   * @return {@code io.github.newcache.codec.DefaultValueCodec}, or the subclass's name
   */
  @Override
  public String id() {
    Class<?> type = getClass();
    return type == DefaultValueCodec.class || writesTheseBytes(type) ? DefaultValueCodec.class.getName() : type.getName();
  }

  /** True when {@code type} inherits every method of this class that turns values into bytes and back. */
  private static boolean writesTheseBytes(Class<?> type) {
    try {
      return type.getMethod("encode", Object.class).getDeclaringClass() == DefaultValueCodec.class
          && type.getMethod("encode", Object.class, int.class).getDeclaringClass() == DefaultValueCodec.class
          && type.getMethod("decode", byte[].class, int.class, int.class, ClassLoader.class).getDeclaringClass()
              == DefaultValueCodec.class;
    } catch (NoSuchMethodException e) {
      throw new IllegalStateException("DefaultValueCodec declares encode and decode", e);
    }
  }

  @Override
  public byte[] encode(Object value) {
    return encode(value, 0);
  }

  /** One allocation: the tag and the value's form are written after {@code headroom} bytes. */
  @Override
  public byte[] encode(Object value, int headroom) {
    Class<?> type = value.getClass();
    if (type == String.class) {
      String s = (String) value;
      byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
      if (utf8.length >= s.length() && roundTrips(s, utf8)) {
        return tagged(headroom, 'S', utf8);
      }
      return tagged(headroom, 'U', Utf16.encode(s));
    }
    if (type == byte[].class) {
      return tagged(headroom, 'B', (byte[]) value);
    }
    if (type == Integer.class) {
      return tagged(headroom, 'I', ByteBuffer.allocate(4).putInt((Integer) value).array());
    }
    if (type == Long.class) {
      return tagged(headroom, 'J', ByteBuffer.allocate(8).putLong((Long) value).array());
    }
    if (type == Double.class) {
      return tagged(headroom, 'D', ByteBuffer.allocate(8).putDouble((Double) value).array());
    }
    if (type == Float.class) {
      return tagged(headroom, 'F', ByteBuffer.allocate(4).putFloat((Float) value).array());
    }
    if (type == Boolean.class) {
      return tagged(headroom, 'Z', new byte[] {(byte) ((Boolean) value ? 1 : 0)});
    }
    if (type == Short.class) {
      return tagged(headroom, 'H', ByteBuffer.allocate(2).putShort((Short) value).array());
    }
    if (type == Byte.class) {
      return tagged(headroom, 'Y', new byte[] {(Byte) value});
    }
    if (type == Character.class) {
      return tagged(headroom, 'C', ByteBuffer.allocate(2).putChar((Character) value).array());
    }
    byte[] out = JavaSerialization.serialize(value, "value", headroom + 1);
    out[headroom] = 'O';
    return out;
  }

  /**
   * The value stored by {@link #encode}. Bytes this codec did not write (an unknown tag, a fixed-size
   * form of the wrong length, a broken or refused serialization stream) throw an exception naming
   * the problem; the cache reads such an item as a miss and counts it.
   *
   * @param data the stored bytes
   * @param offset where this codec's encoding starts
   * @param length the encoding's length
   * @param loader the class loader for any classes the value needs
   * @return the value
   * @throws CacheException if the bytes are not a value this codec wrote
   */
  @Override
  public Object decode(byte[] data, int offset, int length, ClassLoader loader) {
    if (length < 1) {
      throw new CacheException("an empty stored value");
    }
    char tag = (char) data[offset];
    int n = length - 1;
    int at = offset + 1;
    return switch (tag) {
      case 'S' -> new String(data, at, n, StandardCharsets.UTF_8);
      case 'U' -> Utf16.decode(data, at, fixed(tag, n, n - n % 2));
      case 'B' -> Arrays.copyOfRange(data, at, at + n);
      case 'I' -> ByteBuffer.wrap(data, at, fixed(tag, n, 4)).getInt();
      case 'J' -> ByteBuffer.wrap(data, at, fixed(tag, n, 8)).getLong();
      case 'D' -> ByteBuffer.wrap(data, at, fixed(tag, n, 8)).getDouble();
      case 'F' -> ByteBuffer.wrap(data, at, fixed(tag, n, 4)).getFloat();
      case 'Z' -> data[at + fixed(tag, n, 1) - 1] != 0;
      case 'H' -> ByteBuffer.wrap(data, at, fixed(tag, n, 2)).getShort();
      case 'Y' -> data[at + fixed(tag, n, 1) - 1];
      case 'C' -> ByteBuffer.wrap(data, at, fixed(tag, n, 2)).getChar();
      case 'O' -> JavaSerialization.deserialize(data, at, n, loader);
      default -> throw new CacheException("an unknown stored value tag " + (data[offset] & 0xff));
    };
  }

  /** {@code expected}, after checking that the form of {@code tag} holds exactly that many bytes. */
  private static int fixed(char tag, int actual, int expected) {
    if (actual != expected) {
      throw new CacheException(
          "a stored value of tag " + tag + " with " + actual + " bytes where " + expected + " belong");
    }
    return expected;
  }

  private static boolean roundTrips(String s, byte[] utf8) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.isSurrogate(s.charAt(i))) {
        return s.equals(new String(utf8, StandardCharsets.UTF_8));
      }
    }
    return true;
  }

  private static byte[] tagged(int headroom, char tag, byte[] payload) {
    byte[] out = new byte[headroom + 1 + payload.length];
    out[headroom] = (byte) tag;
    System.arraycopy(payload, 0, out, headroom + 1, payload.length);
    return out;
  }
}
