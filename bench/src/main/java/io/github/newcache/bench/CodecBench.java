package io.github.newcache.bench;

import io.github.newcache.codec.DefaultValueCodec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/** Our value codec against plain Java serialization, per value, without any network. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class CodecBench {

  @Param({"newcache", "java"})
  public String codec;

  @Param({"String", "Integer", "byte[100]"})
  public String type;

  final DefaultValueCodec ours = new DefaultValueCodec();
  final ClassLoader loader = CodecBench.class.getClassLoader();
  boolean java;
  Object value;
  byte[] encoded;

  @Setup(Level.Trial)
  public void setUp() throws IOException {
    java = "java".equals(codec);
    value = switch (type) {
      case "String" -> "user:1234567 signed in from the web client";
      case "Integer" -> Integer.valueOf(1_234_567);
      case "byte[100]" -> Data.value(100, 3);
      default -> throw new IllegalArgumentException("unknown type " + type);
    };
    encoded = encode();
  }

  @Benchmark
  public byte[] encode() throws IOException {
    if (!java) {
      return ours.encode(value);
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(value);
    }
    return bytes.toByteArray();
  }

  @Benchmark
  public Object decode() throws IOException, ClassNotFoundException {
    if (!java) {
      return ours.decode(encoded, 0, encoded.length, loader);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(encoded))) {
      return in.readObject();
    }
  }
}
