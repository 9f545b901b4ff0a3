package io.github.newcache.internal.key;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The lease's key beside an entry's key: pure logic, no server. */
class LeaseKeysTest {

  @Test
  void anAsciiKeyGetsItsLeaseBesideIt() {
    String mkey = "staging-2-games-9cfa7aefcc61936b70aaec6729329eda";
    assertEquals(mkey + ".lease", LeaseKeys.of(mkey));
  }

  /**
   * A custom key function may return non-ASCII keys: one of 230 characters and 250 bytes passes
   * memcached's limit, and its lease must too. Before, the length was counted in characters and the
   * lease key was 256 bytes, so every load of that key failed.
   */
  @Test
  void aLeaseFitsMemcachedsLimitCountedInBytes() {
    String mkey = "\u00e9".repeat(20) + "k".repeat(210);
    assertEquals(250, mkey.getBytes(StandardCharsets.UTF_8).length);
    String lease = LeaseKeys.of(mkey);
    assertTrue(lease.getBytes(StandardCharsets.UTF_8).length <= MemcachedKeys.MAX_BYTES, lease);
  }
}
