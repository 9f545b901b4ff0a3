package io.github.newcache.bench;

import io.github.newcache.codec.DefaultValueCodec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;

/** Encoded sizes for the codec table (not timed). */
final class CodecSizes {

  private CodecSizes() {}

  static String describe(String type) {
    CodecBench b = new CodecBench();
    b.type = type;
    b.codec = "newcache";
    try {
      b.setUp();
      int ours = new DefaultValueCodec().encode(b.value).length;
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(b.value);
      }
      return ours + " / " + bytes.size();
    } catch (IOException e) {
      return "–";
    }
  }
}
