package io.github.newcache.internal.codec;

/**
 * How much work decoding one stored Java-serialized stream may take, beyond the allow-list and the
 * JEP 290 limits. A stream whose object graph would take more than {@code maxWork} steps to build is
 * refused before anything is created ({@link StreamShape}): that stops work hidden inside single
 * {@code hashCode} calls (nested sets shared by reference), which grows exponentially with the
 * stream. A stream still being read after its CPU time limit ({@link #maxMillis}) is refused at its
 * next object ({@link Deadline}): that stops work spread over many small steps (thousands of keys
 * whose hashes collide), which grows with the square of the stream.
 *
 * <p>The CPU limit grows with the stream, because honest decoding does too: a 900 KB graph of 65,000
 * objects took 50 to 220 ms to read on a loaded 2-core machine. A hostile stream gets the same
 * limit as an honest one of its size.
 *
 * @param maxWork graph steps a stream may cost (see {@link StreamShape})
 */
record DecodingLimits(long maxWork) {

  /** Graph steps allowed for any stream: about 40 ms of hashing nested sets. */
  static final long MIN_WORK = 1_000_000;
  /** CPU time any stream may take. */
  static final long BASE_MILLIS = 50;
  /** Stream bytes per further millisecond of CPU time. */
  static final long BYTES_PER_MILLI = 2048;

  /** The limits when no cache is involved (a plain class loader). */
  static final DecodingLimits DEFAULT = forItemSize(1 << 20);

  /**
   * The limits for items of at most {@code maxBytes}: one graph step per byte an item may hold, and
   * at least {@link #MIN_WORK}. Only sharing makes the work of a graph exceed its object count
   * times its depth, so honest values that fit are not refused.
   */
  static DecodingLimits forItemSize(long maxBytes) {
    return new DecodingLimits(Math.max(MIN_WORK, maxBytes));
  }

  /** CPU milliseconds reading a stream of {@code length} bytes may take: 50 ms plus 1 ms per 2 KB. */
  long maxMillis(int length) {
    return BASE_MILLIS + length / BYTES_PER_MILLI;
  }
}
