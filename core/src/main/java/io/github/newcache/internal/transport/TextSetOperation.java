package io.github.newcache.internal.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.ops.StoreOperation;

/**
 * A text-protocol {@code set <key> 0 <exptime> <bytes>} of an item given in {@link Parts}: both
 * parts are copied straight into the request when the operation is made ({@link EncodedSet}), so
 * the caller's value is copied once, as spymemcached copies a one-array item into its own set's
 * request; joining the parts first would copy it twice.
 */
final class TextSetOperation extends TextOperation implements EncodedSet {

  private static final OperationStatus STORED = new OperationStatus(true, "STORED", StatusCode.SUCCESS);
  private static final OperationStatus NOT_STORED =
      new OperationStatus(false, "NOT_STORED", StatusCode.ERR_NOT_STORED);
  private static final byte[] STORED_LINE = "STORED".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NOT_STORED_LINE = "NOT_STORED".getBytes(StandardCharsets.US_ASCII);

  private final SetRequest request;

  TextSetOperation(String key, int exptime, Parts item, StoreOperation.Callback callback) {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int length = item.length();
    int start = 4 + k.length + 3 + Decimal.length(exptime) + 1 + Decimal.length(length) + 2;
    byte[] encoded = new byte[start + length + 2];
    ByteBuffer b = ByteBuffer.wrap(encoded);
    b.put((byte) 's').put((byte) 'e').put((byte) 't').put((byte) ' ').put(k)
        .put((byte) ' ').put((byte) '0').put((byte) ' ');
    Decimal.put(b, exptime);
    b.put((byte) ' ');
    Decimal.put(b, length);
    b.put((byte) '\r').put((byte) '\n');
    item.putInto(b);
    b.put((byte) '\r').put((byte) '\n');
    request = new SetRequest(key, exptime, encoded, start, length);
    setCallback(callback);
  }

  @Override
  public SetRequest request() {
    return request;
  }

  @Override
  public void initialize() {
    setBuffer(request.rewound());
  }

  @Override
  void answer(byte[] line, int from, int to) throws IOException {
    if (is(line, from, to, STORED_LINE)) {
      getCallback().receivedStatus(STORED);
      transitionState(OperationState.COMPLETE);
    } else if (is(line, from, to, NOT_STORED_LINE)) {
      getCallback().receivedStatus(NOT_STORED);
      transitionState(OperationState.COMPLETE);
    } else {
      failOn(line, from, to, "set");
    }
  }

  @Override
  public String toString() {
    return "Cmd: set Key: " + request.key() + " Exp: " + getExpiration() + " Data Length: " + request.dataLength();
  }
}
