package io.github.newcache.testing;

import io.github.newcache.codec.ValueCodec;
import java.nio.charset.StandardCharsets;

/**
 * A value codec a user might plug in so that other languages' clients can read the values: a
 * value's text as UTF-8, nothing else. Its id is its class name (the default).
 */
public class PlainTextCodec implements ValueCodec {

  @Override
  public byte[] encode(Object value) {
    return value.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public Object decode(byte[] data, int offset, int length, ClassLoader loader) {
    return new String(data, offset, length, StandardCharsets.UTF_8);
  }

  /** The same encoding under another class that keeps {@link PlainTextCodec}'s id: it reads its entries. */
  public static final class SameId extends PlainTextCodec {
    @Override
    public String id() {
      return PlainTextCodec.class.getName();
    }
  }

  /** The same bytes under its own id (the class name): it reads none of {@link PlainTextCodec}'s entries. */
  public static final class OwnId extends PlainTextCodec {}
}
