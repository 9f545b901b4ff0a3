package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.spy.memcached.ops.Operation;

/**
 * Feeds a text operation of ours memcached's answer as socket reads may split it, followed by the
 * next operation's answer, and checks the operation stopped exactly at the end of its own.
 */
final class AnswerFeed {

  /** Another operation's answer, after the one fed. */
  static final byte[] NEXT = ascii("VA 3\r\nnot\r\n");

  private AnswerFeed() {}

  /**
   * Feeds {@code answer} and {@link #NEXT} to {@code op} in two reads, the first {@code cut} bytes
   * long, in heap buffers with an offset or in direct ones.
   */
  static <T extends Operation> T feed(T op, byte[] answer, int cut, boolean direct) throws Exception {
    op.initialize();
    op.writing();
    op.writeComplete();
    byte[] all = concat(answer, NEXT);
    ByteBuffer first = buffer(all, 0, cut, direct);
    op.readFromBuffer(first);
    assertFalse(first.hasRemaining(), "the first read is all its own");
    ByteBuffer second = buffer(all, cut, all.length, direct);
    op.readFromBuffer(second);
    assertEquals(NEXT.length, second.remaining(), "the next answer is left for the next operation");
    return op;
  }

  /** The request {@code op} sends, once initialized. */
  static byte[] sent(Operation op) {
    op.initialize();
    ByteBuffer b = op.getBuffer();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }

  private static ByteBuffer buffer(byte[] all, int from, int to, boolean direct) {
    ByteBuffer b = direct ? ByteBuffer.allocateDirect(to - from) : ByteBuffer.allocate(to - from + 8).position(4);
    b.put(all, from, to - from);
    return b.flip().position(direct ? 0 : 4);
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }
}
