package io.github.newcache.internal.codec;

import java.io.ObjectInputFilter;

/**
 * A view of the manager's class loader that carries one cache's deserialization filter. The cache
 * hands it to its {@link ValueCodec} and to key decoding in place of the manager's loader, so every
 * Java deserialization done for the cache ({@link JavaSerialization}, and so the default codec,
 * key forms and any custom codec built on it) applies the cache's allow-list and decoding limits
 * ({@link DecodingLimits}) without a change to
 * the codec SPI. It defines no classes: every load goes to the parent first, so classes keep their
 * identity.
 */
public final class FilteringClassLoader extends ClassLoader {

  private final ObjectInputFilter filter;
  private final DecodingLimits limits;

  public FilteringClassLoader(ClassLoader parent, ObjectInputFilter filter) {
    super("newcache-deserialization", parent);
    this.filter = filter;
    this.limits = DeserializationFilter.limitsOf(filter);
  }

  /** The filter to apply to streams deserialized with this loader. */
  public ObjectInputFilter filter() {
    return filter;
  }

  /** How much work decoding one stream with this loader may take. */
  DecodingLimits limits() {
    return limits;
  }
}
