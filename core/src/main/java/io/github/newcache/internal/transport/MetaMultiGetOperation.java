package io.github.newcache.internal.transport;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import net.spy.memcached.ops.OperationErrorType;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;

/**
 * The gets of many keys on one server as one operation: a quiet meta get per key, {@code mg <key>
 * v q O<i>}, then a meta no-op, {@code mn}. memcached answers only the keys it holds, each {@code VA
 * <bytes> O<i>} and the value, naming the key by its place {@code i} in the batch; {@code MN} ends
 * the batch.
 *
 * <p>Why: sent as one single-key operation per key, a multi-get of 100 keys cost the caller and
 * spymemcached's IO thread a hundred operations' queueing, locking and wake-ups; as one, it costs
 * one. The classic multi-key {@code get} would do that too, but each of its answers repeats the
 * key.
 *
 * <p>Values longer than their key's head length are read in two parts, as {@link MetaGetOperation}
 * reads them. An error line or an answer that is not this batch's fails the whole operation, as
 * spymemcached fails its own, and the connection is reset.
 */
final class MetaMultiGetOperation extends TextOperation implements GetBatch {

  private static final OperationStatus DONE = new OperationStatus(true, "MN", StatusCode.SUCCESS);
  private static final byte[] GET = "mg ".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] FLAGS = " v q O".getBytes(StandardCharsets.US_ASCII);
  private static final byte[] NO_OP = "mn\r\n".getBytes(StandardCharsets.US_ASCII);

  private final BatchKeys keys;
  private final int requestBytes;
  private final Consumer<SocketAddress> unknown;
  /** The place of the key whose value is being read; the last one answered. */
  private int current = -1;

  /**
   * The gets of {@code keys}, all of one server; {@code unknown} is told of a server that does not
   * know the meta get.
   */
  MetaMultiGetOperation(BatchKeys keys, BatchCallback callback, Consumer<SocketAddress> unknown) {
    this.keys = keys;
    this.unknown = unknown;
    int size = NO_OP.length;
    for (int i = 0; i < keys.names().length; i++) {
      size += GET.length + keys.encoded()[i].length + FLAGS.length + Decimal.length(i) + 2;
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
      b.put(GET).put(keys.encoded()[i]).put(FLAGS);
      Decimal.put(b, i);
      b.put((byte) '\r').put((byte) '\n');
    }
    b.put(NO_OP).flip();
    setBuffer(b);
  }

  @Override
  void answer(byte[] line, int from, int to) throws IOException {
    int length = to - from;
    if (length >= 4 && line[from] == 'V' && line[from + 1] == 'A' && line[from + 2] == ' ') {
      int sizeEnd = digitsEnd(line, from + 3, to);
      int place = sizeEnd == from + 3 || (sizeEnd < to && line[sizeEnd] != ' ') ? -1 : place(line, sizeEnd, to);
      if (place < 0) {
        fail(OperationErrorType.CLIENT, "an answer that is not a quiet meta get's: " + text(line, from, to));
      }
      if (place <= current || place >= keys.names().length) {
        fail(OperationErrorType.CLIENT, "an answer for key " + place + " of a batch of " + keys.names().length
            + " after key " + current + ": " + text(line, from, to));
      }
      current = place;
      expectValue(decimal(line, from + 3, sizeEnd), keys.headLength(place));
    } else if (length == 2 && line[from] == 'M' && line[from + 1] == 'N') {
      getCallback().receivedStatus(DONE);
      transitionState(OperationState.COMPLETE);
    } else if (text(line, from, to).startsWith("ERROR")) {
      MetaGetOperation.unknownCommand(this, unknown);
    } else {
      failOn(line, from, to, "quiet meta get");
    }
  }

  /**
   * The key's place that the flags {@code line[from, to)} name with {@code O<place>}, each flag after
   * a space; -1 when none does. Other flags (memcached marks a stale item with one) are skipped.
   */
  private static int place(byte[] line, int from, int to) {
    for (int i = from; i + 1 < to; i++) {
      if (line[i] == ' ' && line[i + 1] == 'O') {
        int end = digitsEnd(line, i + 2, to);
        return end > i + 2 && (end == to || line[end] == ' ') ? decimal(line, i + 2, end) : -1;
      }
    }
    return -1;
  }

  @Override
  void valueRead(byte[] head, byte[] tail) {
    ((BatchCallback) getCallback()).gotValue(current, head, tail);
  }

  @Override
  public String toString() {
    return "Cmd: mg (" + keys.names().length + " keys) Keys: " + keys.describe();
  }
}
