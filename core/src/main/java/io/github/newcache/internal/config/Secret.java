package io.github.newcache.internal.config;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A secret setting (the signing {@code secret}, a SASL {@code password}). It never shows itself:
 * {@link #toString()} is a fixed placeholder, so settings, exceptions and logs cannot leak it.
 */
public final class Secret {

  private final byte[] bytes;

  private Secret(byte[] bytes) {
    this.bytes = bytes;
  }

  public static Secret of(String text) {
    return new Secret(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A copy of the secret's UTF-8 bytes. */
  public byte[] bytes() {
    return bytes.clone();
  }

  /** The secret as text, for APIs that want a String (SASL). */
  public String reveal() {
    return new String(bytes, StandardCharsets.UTF_8);
  }

  public int length() {
    return bytes.length;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret secret && Arrays.equals(bytes, secret.bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    return "[hidden]";
  }
}
