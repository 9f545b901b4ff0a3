package io.github.newcache.internal.transport;

/**
 * The callback of a batch of gets sent as one operation ({@link TextMultiGetOperation}, {@link
 * BinaryMultiGetOperation}): each value found is told by its key's place in the batch. A redistribution clones such an operation into spymemcached's
 * single-key gets with the same callback, which then hear of values by key, through {@link
 * MetaGetOperation.PartsCallback}.
 */
interface BatchCallback extends MetaGetOperation.PartsCallback {

  /** The value of the batch's {@code index}th key: {@code head} followed by {@code tail} (or null). */
  void gotValue(int index, byte[] head, byte[] tail);
}
