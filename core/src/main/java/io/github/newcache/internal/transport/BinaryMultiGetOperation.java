package io.github.newcache.internal.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.spy.memcached.ops.OperationErrorType;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;

/**
 * The gets of many keys on one server as one binary-protocol operation: a quiet get ({@code getq})
 * per key, its opaque telling the key's place in the batch, then a {@code noop}. memcached answers
 * only the keys it holds; the answer to the {@code noop} ends the batch. The binary twin of {@link
 * TextMultiGetOperation}, and like it it reads a value longer than its key's head length in two
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

  private final BatchKeys keys;
  private final int requestBytes;
  /** The place of the last key answered. */
  private int current = -1;

  /** The gets of {@code keys}, all of one server. */
  BinaryMultiGetOperation(BatchKeys keys, BatchCallback callback) {
    super(GETQ, keys.names().length + 1);
    this.keys = keys;
    int size = HEADER;
    for (byte[] key : keys.encoded()) {
      size += HEADER + key.length;
    }
    this.requestBytes = size;
    setCallback(callback);
  }

  @Override
  public BatchKeys keys() {
    return keys;
  }

  @Override
  public int requestBytes() {
    return requestBytes;
  }

  @Override
  public void initialize() {
    ByteBuffer b = ByteBuffer.allocate(requestBytes);
    for (int i = 0; i < keys.names().length; i++) {
      putHeader(b, GETQ, keys.encoded()[i].length, 0, keys.encoded()[i].length, opaque() + i);
      b.put(keys.encoded()[i]);
    }
    putHeader(b, NOOP, 0, 0, 0, opaque() + keys.names().length);
    b.flip();
    setBuffer(b);
  }

  /** A found key's answer after the last one answered, or the {@code noop}'s. */
  @Override
  boolean expects(int answerOpcode, int answerOpaque) {
    int place = answerOpaque - opaque(); // in int arithmetic: right across the opaques' wrap
    return answerOpcode == GETQ ? place > current && place < keys.names().length
        : answerOpcode == NOOP && place == keys.names().length;
  }

  @Override
  int headLength() {
    return answerOpcode() != GETQ ? 0 : keys.headLength(answerOpaque() - opaque());
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
    return "Cmd: getq (" + keys.names().length + " keys) Keys: " + keys.describe();
  }
}
