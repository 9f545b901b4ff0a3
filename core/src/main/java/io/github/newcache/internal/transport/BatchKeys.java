package io.github.newcache.internal.transport;

import java.util.List;

/**
 * The keys of one {@link GetBatch}, all of one server: as given ({@code names}, and as a list for
 * spymemcached), as {@link GetBatch#encode} encoded them, the memory those encoded forms take
 * ({@code bytes}: each key's bytes and {@value #PER_KEY} for its array and the references to it),
 * and per key the head length to read its value in two parts after (0: in one; {@code headLengths}
 * null: every value in one).
 */
// Error Prone's ArrayRecordComponent: as Parts, handed from GetBatches to one operation, never
// compared or hashed.
@SuppressWarnings("ArrayRecordComponent")
record BatchKeys(String[] names, byte[][] encoded, int[] headLengths, List<String> list, long bytes) {

  /** An array's header and the references to a key's forms, beside the key's bytes. */
  static final int PER_KEY = 32;

  BatchKeys(String[] names, byte[][] encoded, int[] headLengths) {
    this(names, encoded, headLengths, List.of(names), totalLength(encoded));
  }

  /** How many keys a log line names; the rest it counts. */
  static final int NAMED = 3;

  /**
   * The keys for a log line or message, {@code [a, b, c and 97 more]}: spymemcached logs an
   * operation by its {@code toString()}, and a batch may hold {@value GetBatches#MAX_KEYS} keys.
   */
  String describe() {
    if (names.length <= NAMED) {
      return list.toString();
    }
    return "[" + String.join(", ", list.subList(0, NAMED)) + " and " + (names.length - NAMED) + " more]";
  }

  /** The head length of the {@code i}th key's value. */
  int headLength(int i) {
    return headLengths == null ? 0 : headLengths[i];
  }

  private static long totalLength(byte[][] keys) {
    long n = 0;
    for (byte[] k : keys) {
      n += k.length + PER_KEY;
    }
    return n;
  }
}
