package io.github.newcache.internal.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import net.spy.memcached.ops.OperationErrorType;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;

/**
 * The gets of many keys on one server as one binary-protocol operation: a quiet get ({@code getq})
 * per key, its opaque telling the key's place in the batch, then a {@code noop}. memcached answers
 * only the keys it holds; the answer to the {@code noop} ends the batch. The binary twin of {@link
 * MetaMultiGetOperation}, and like it it reads a value longer than its key's head length in two
 * parts.
 *
 * <p>A status other than found, or an answer that is not this batch's, fails the whole operation as
 * spymemcached fails its own, and the connection is reset: the batch's other answers would still
 * come.
 */
final class BinaryMultiGetOperation extends BinaryOperation implements GetBatch {

  private static final int GETQ = 0x09;
  private static final int NOOP = 0x0a;
  private static final OperationStatus DONE = new OperationStatus(true, "OK", StatusCode.SUCCESS);

  private final String[] keys;
  private final List<String> keyList;
  private final byte[][] encoded;
  private final long keyBytes;
  /** Per key, the head length to read its value in two parts after; null: every value in one. */
  private final int[] headLengths;
  /** The place of the last key answered. */
  private int current = -1;

  /**
   * @param keys the keys, all of one server
   * @param encoded the keys as {@link GetBatch#encode} encoded them
   * @param headLengths per key, read a value longer than this many bytes in two parts (0: in one);
   *     null: every value in one
   */
  BinaryMultiGetOperation(String[] keys, byte[][] encoded, int[] headLengths, BatchCallback callback) {
    super(GETQ, keys.length + 1);
    this.keys = keys;
    this.keyList = List.of(keys);
    this.encoded = encoded;
    this.keyBytes = GetBatch.bytes(encoded);
    this.headLengths = headLengths;
    setCallback(callback);
  }

  @Override
  public Collection<String> getKeys() {
    return keyList;
  }

  @Override
  public long keyBytes() {
    return keyBytes;
  }

  @Override
  public void initialize() {
    int size = HEADER;
    for (byte[] key : encoded) {
      size += HEADER + key.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size);
    for (int i = 0; i < keys.length; i++) {
      putHeader(b, GETQ, encoded[i].length, 0, encoded[i].length, opaque() + i);
      b.put(encoded[i]);
    }
    putHeader(b, NOOP, 0, 0, 0, opaque() + keys.length);
    b.flip();
    setBuffer(b);
  }

  /** A found key's answer after the last one answered, or the {@code noop}'s. */
  @Override
  boolean expects(int answerOpcode, int answerOpaque) {
    int place = answerOpaque - opaque(); // in int arithmetic: right across the opaques' wrap
    return answerOpcode == GETQ ? place > current && place < keys.length
        : answerOpcode == NOOP && place == keys.length;
  }

  @Override
  int headLength() {
    return headLengths == null || answerOpcode() != GETQ ? 0 : headLengths[answerOpaque() - opaque()];
  }

  @Override
  void answered(int status, long cas, byte[] value, byte[] tail) throws IOException {
    if (answerOpcode() == NOOP) {
      complete(DONE);
    } else if (status == NOT_FOUND) {
      failed(status, value); // a quiet get does not answer a miss
    } else {
      current = answerOpaque() - opaque();
      ((BatchCallback) getCallback()).gotValue(current, value, tail);
    }
  }

  @Override
  void failed(int code, byte[] message) throws IOException {
    handleError(OperationErrorType.SERVER, "status 0x" + Integer.toHexString(code) + " in a batch of quiet gets: "
        + new String(message, StandardCharsets.UTF_8));
  }

  @Override
  public String toString() {
    return "Cmd: getq (" + keys.length + " keys) Keys: " + Arrays.toString(keys);
  }
}
