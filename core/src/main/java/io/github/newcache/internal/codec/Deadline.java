package io.github.newcache.internal.codec;

import java.io.ObjectInputFilter;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * One stream's filter: the cache's filter, plus a limit on array lengths for the stream's size
 * ({@link #maxArrayLength}) and on the CPU time the reading may use. It
 * refuses the stream at the first object read after the limit, so work spread over many objects
 * (inserting thousands of keys whose hashes collide, each insert comparing against all before it)
 * ends within the limit plus one step. Work inside a single step cannot be stopped here; {@link
 * StreamShape} bounds that before reading starts.
 *
 * <p>Why CPU time and not the clock: a value that is being read while the JVM pauses for garbage
 * collection, or while the host is overloaded, is not costly, and refusing it would turn an
 * innocent entry into a miss. Reading the thread's CPU clock costs a system call, so it is read only
 * for streams still being read after {@link #CHEAP_MILLIS} on the clock (nearly every stream is
 * done long before); the CPU time before that moment is not counted, which errs on the side of
 * reading a value.
 */
final class Deadline implements ObjectInputFilter {

  /** Wall-clock time after which the CPU clock is consulted. */
  static final long CHEAP_MILLIS = 10;
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  private final ObjectInputFilter filter;
  private final long limitNanos;
  private final long maxArrayLength;
  private final long started = System.nanoTime();
  /** The thread's CPU time when it was first read, or -1 before. */
  private long cpuMark = -1;
  /** Clock time before which the CPU clock is not read again. */
  private long nextLook;
  private boolean expired;

  /**
   * @param streamLength the stream's size in bytes: an array (or a collection's table) longer than
   *     {@link #maxArrayLength} of it is refused before the JDK allocates it
   */
  Deadline(ObjectInputFilter filter, long limitMillis, long streamLength) {
    this.filter = filter;
    this.limitNanos = limitMillis * 1_000_000L;
    this.maxArrayLength = maxArrayLength(streamLength);
  }

  /**
   * The longest array a stream of {@code streamLength} bytes may ask for: every element of an
   * honest array or collection takes at least one byte of the stream, and a hash table at most
   * eight slots for every two bytes of its entries (load factor 0.25, the lowest the JDK reads).
   * Without it only the cache's item size bounded a length that a collection declares in its own
   * data (an {@code ArrayList}'s size, a map's entry count), so a stream of a few bytes made the
   * JDK allocate an array of up to the item size in elements before finding nothing to fill it.
   */
  static long maxArrayLength(long streamLength) {
    return 4 * streamLength + 64;
  }

  @Override
  public Status checkInput(FilterInfo info) {
    if (expired || (System.nanoTime() - started > CHEAP_MILLIS * 1_000_000L && overCpu())) {
      expired = true;
      return Status.REJECTED;
    }
    if (info.arrayLength() > maxArrayLength) {
      return Status.REJECTED;
    }
    return filter.checkInput(info);
  }

  /** True when the stream was refused for its time. */
  boolean expired() {
    return expired;
  }

  private boolean overCpu() {
    long now = System.nanoTime();
    if (now - nextLook < 0) {
      return false;
    }
    nextLook = now + 1_000_000L; // at most once per millisecond
    long cpu = THREADS.getCurrentThreadCpuTime();
    if (cpu < 0) { // CPU time not measurable here: fall back to the clock
      return now - started > limitNanos;
    }
    if (cpuMark < 0) {
      cpuMark = cpu;
      return false;
    }
    return cpu - cpuMark > limitNanos - CHEAP_MILLIS * 1_000_000L;
  }
}
