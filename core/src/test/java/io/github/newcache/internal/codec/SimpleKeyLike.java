package io.github.newcache.internal.codec;

/**
 * A stand-in for Spring's {@code org.springframework.cache.interceptor.SimpleKey}: a binary name of
 * the same length and the same field, so that a test can write it and rename it in the stream.
 */
final class SimpleKeyLike implements java.io.Serializable {
  private static final long serialVersionUID = 1L;
  final Object[] params;

  SimpleKeyLike(Object... params) {
    this.params = params;
  }
}
