package io.github.newcache.testkit;

/** The two memcached protocols every behaviour test that can differ runs in. */
public enum Protocol {
  TEXT(false),
  BINARY(true);

  private final boolean binary;

  Protocol(boolean binary) {
    this.binary = binary;
  }

  public boolean binary() {
    return binary;
  }
}
