package io.github.newcache.internal.transport;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;

/**
 * A binary-protocol get whose value, when longer than a head length, is read in two arrays, the
 * first that many bytes and the rest, and handed to a {@link MetaGetOperation.PartsCallback}; a
 * shorter one, or with head length 0 any, in one. The binary twin of {@link MetaGetOperation}'s
 * reading in parts ({@link MemcachedTransport#getParts}), and like it a {@link GetOperation}, so a
 * redistribution clones it into spymemcached's get with the same callback.
 */
final class BinaryGetOperation extends BinaryOperation implements GetOperation {

  private static final int GET = 0x00;
  private static final OperationStatus FOUND = new OperationStatus(true, "OK", StatusCode.SUCCESS);
  private static final OperationStatus MISSING =
      new OperationStatus(false, "NOT_FOUND", StatusCode.ERR_NOT_FOUND);

  private final String key;
  private final Collection<String> keys;
  private final int headLength;

  BinaryGetOperation(String key, GetOperation.Callback callback, int headLength) {
    super(GET);
    this.key = key;
    this.keys = List.of(key);
    this.headLength = headLength;
    setCallback(callback);
  }

  @Override
  public void initialize() {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = request(new byte[HEADER + k.length], k.length, 0);
    b.put(k).flip();
    setBuffer(b);
  }

  @Override
  int headLength() {
    return headLength;
  }

  @Override
  void answered(int status, long cas, byte[] value, byte[] tail) {
    if (status == NOT_FOUND) {
      complete(MISSING);
    } else if (tail == null) {
      ((GetOperation.Callback) getCallback()).gotData(key, 0, value);
      complete(FOUND);
    } else {
      ((MetaGetOperation.PartsCallback) getCallback()).gotParts(key, value, tail);
      complete(FOUND);
    }
  }

  @Override
  public Collection<String> getKeys() {
    return keys;
  }

  @Override
  public String toString() {
    return "Cmd: get (binary) Keys: " + key;
  }
}
