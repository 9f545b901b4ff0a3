package io.github.newcache.internal.transport;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import net.spy.memcached.ops.GetOperation;

/**
 * A batch of gets of ours, one operation for many keys of one server ({@link
 * TextMultiGetOperation}, {@link BinaryMultiGetOperation}), made from keys encoded and checked
 * once ({@link #encode}). Queues weigh it by what it holds ({@link #heldBytes}), counted when it was
 * made, instead of walking its keys each time it moves.
 */
interface GetBatch extends GetOperation {

  /** The longest key memcached takes, in bytes. */
  int MAX_KEY_BYTES = 250;

  /** The batch's keys. */
  BatchKeys keys();

  @Override
  default Collection<String> getKeys() {
    return keys().list();
  }

  /** The bytes of the batch's request, counted when it was made. */
  int requestBytes();

  /**
   * The bytes the batch holds beside an operation's own (what queues weigh it by): its keys'
   * encoded forms and its request.
   */
  default long heldBytes() {
    return keys().bytes() + requestBytes();
  }

  /**
   * {@code key} in UTF-8; throws {@link IllegalArgumentException} for a key memcached would refuse:
   * empty, longer than {@value #MAX_KEY_BYTES} bytes, or in the text protocol with a space, CR, LF
   * or NUL (the rules spymemcached checks its own keys by).
   */
  static byte[] encode(String key, boolean binary) {
    byte[] b = key.getBytes(StandardCharsets.UTF_8);
    if (b.length == 0 || b.length > MAX_KEY_BYTES) {
      throw new IllegalArgumentException("memcached key of " + b.length + " bytes (1 to " + MAX_KEY_BYTES
          + " allowed): '" + key + "'");
    }
    if (!binary) {
      for (byte c : b) {
        if (c == ' ' || c == '\n' || c == '\r' || c == 0) {
          throw new IllegalArgumentException("memcached key with a space, CR, LF or NUL, which the text protocol "
              + "does not allow: '" + key + "'");
        }
      }
    }
    return b;
  }
}
