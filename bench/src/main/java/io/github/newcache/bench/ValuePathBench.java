package io.github.newcache.bench;

import io.github.newcache.codec.DefaultValueCodec;
import io.github.newcache.internal.expiry.Expiry;
import io.github.newcache.internal.key.KeyForms;
import io.github.newcache.internal.store.Envelope;
import java.nio.charset.StandardCharsets;
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

/**
 * The CPU our cache spends per value around the network: the codec's tagged copy and the envelope
 * copy on the way in, the envelope checks and the codec's copy on the way out. No memcached
 * involved.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class ValuePathBench {

  @Param({"100", "10240", "512000"})
  public int valueSize;

  final byte[] namespace = "bench".getBytes(StandardCharsets.US_ASCII);
  final DefaultValueCodec codec = new DefaultValueCodec();
  final ClassLoader loader = ValuePathBench.class.getClassLoader();
  byte[] form;
  byte[] value;
  byte[] stored;

  @Setup(Level.Trial)
  public void setUp() {
    form = KeyForms.encode("key:123");
    value = Data.value(valueSize, 1);
    stored = Envelope.encode(namespace, form, Expiry.ETERNAL, codec.encode(value));
  }

  /** Write path per value: codec tag copy plus envelope copy. */
  @Benchmark
  public byte[] encodeForPut() {
    return Envelope.encode(namespace, form, Expiry.ETERNAL, codec.encode(value));
  }

  /** Read path per value: envelope checks plus the codec's copy out of the item. */
  @Benchmark
  public Object decodeAfterGet() {
    return Envelope.parse(stored, namespace, form).value(codec, loader);
  }

  /** One plain copy of the value, the unit for the two rows above. */
  @Benchmark
  public byte[] copyOnce() {
    return value.clone();
  }
}
