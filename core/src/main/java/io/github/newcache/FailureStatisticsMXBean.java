package io.github.newcache;

/** Failures a cache absorbed and stored entries it refused, in this JVM. */
public interface FailureStatisticsMXBean {

  /** memcached failures turned into misses or skipped writes ({@code failures=miss}). */
  long getAbsorbedFailures();

  /** Entries refused by the deserialization filter (a class outside the allow-list, a limit). */
  long getRejectedEntries();

  /** Entries refused because their signature was missing or wrong ({@code secret} set). */
  long getUnsignedEntries();
}
