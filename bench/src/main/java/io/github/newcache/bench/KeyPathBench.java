package io.github.newcache.bench;

import io.github.newcache.internal.key.Hashing;
import io.github.newcache.internal.key.KeyForms;
import io.github.newcache.internal.key.MemcachedKeys;
import io.github.newcache.key.KeySpace;
import io.github.newcache.key.Md5KeyMangler;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The CPU our cache spends per key before it reaches the network, piece by piece (the public
 * building blocks the cache calls): key form, MD5 mangling, key check. No memcached involved.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KeyPathBench {

  final Md5KeyMangler mangler = new Md5KeyMangler();
  final KeySpace space = new KeySpace("", 1, "bench");
  final String prefix = mangler.prefix(space);
  final String key = "key:123";
  byte[] form;
  MessageDigest md5;

  @Setup(Level.Trial)
  public void setUp() throws NoSuchAlgorithmException {
    form = KeyForms.encode(key);
    md5 = MessageDigest.getInstance("MD5");
  }

  /** The public SPI path: key form, {@code mangle} (prefix built per call), key check. */
  @Benchmark
  public String keyPath() {
    byte[] f = KeyForms.encode(key);
    return MemcachedKeys.check(mangler.mangle(space, f), mangler);
  }

  /**
   * What the cache does per key with the default mangler: key form, then the MD5 key after the
   * cache's precomputed prefix (per-thread digest, one buffer, no check needed).
   */
  @Benchmark
  public String cacheKeyPath() {
    return Hashing.md5Key(prefix, KeyForms.encode(key));
  }

  /** MessageDigest.getInstance("MD5") alone, which the key path no longer pays per key. */
  @Benchmark
  public MessageDigest md5GetInstance() throws NoSuchAlgorithmException {
    return MessageDigest.getInstance("MD5");
  }

  /** MD5 of the key form with a reused digest, for comparison. */
  @Benchmark
  public byte[] md5Reused() {
    return md5.digest(form);
  }
}
