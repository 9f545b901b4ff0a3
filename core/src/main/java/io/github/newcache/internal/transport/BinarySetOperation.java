package io.github.newcache.internal.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.ops.StoreOperation;

/**
 * A binary-protocol set of an item given in {@link Parts}: both parts are copied straight into the
 * request when the operation is made ({@link EncodedSet}), so the caller's value is copied once, as
 * spymemcached copies a one-array item into its own set's request. The binary twin of {@link
 * TextSetOperation}.
 */
final class BinarySetOperation extends BinaryOperation implements EncodedSet {

  private static final int SET = 0x01;
  /** Flags and expiry. */
  private static final int EXTRAS = 8;
  private static final OperationStatus STORED = new OperationStatus(true, "OK", StatusCode.SUCCESS);
  private static final OperationStatus NOT_FOUND =
      new OperationStatus(false, "NOT_FOUND", StatusCode.ERR_NOT_FOUND);

  private final SetRequest request;

  BinarySetOperation(String key, int exptime, Parts item, StoreOperation.Callback callback) {
    super(SET);
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    int length = item.length();
    int start = HEADER + EXTRAS + k.length;
    byte[] encoded = new byte[start + length];
    ByteBuffer b = request(encoded, k.length, EXTRAS);
    b.putInt(0).putInt(exptime).put(k);
    item.putInto(b);
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
  void answered(int status, long cas, byte[] value, byte[] tail) {
    if (status == 0) {
      ((StoreOperation.Callback) getCallback()).gotData(request.key(), cas);
      complete(STORED);
    } else {
      complete(NOT_FOUND);
    }
  }

  @Override
  public String toString() {
    return "Cmd: set (binary) Key: " + request.key() + " Exp: " + getExpiration() + " Data Length: " + request.dataLength();
  }
}
