package io.github.newcache.internal.transport;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.OperationErrorType;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;

/**
 * A single-key get in the text protocol sent as memcached's meta get, {@code mg <key> v}, in place
 * of spymemcached's {@code get <key>}; used while every server says it speaks it (memcached 1.6
 * and later, asked by {@link ServerCheck}).
 *
 * <p>Why: the classic answer, {@code VALUE <key> <flags> <bytes>}, repeats the key, and ends with
 * a second line, {@code END}; spymemcached reads each line byte by byte into a string and splits
 * it. With our keys (a namespace, flavor, version and 32 hex digits) that parsing took twice the
 * IO thread's time of the raw client's short keys. The meta answer is {@code VA <bytes>} and the
 * value, or {@code EN} on a miss: one short line, read here straight from the client's buffer.
 *
 * <p>It is a {@link GetOperation}, so spymemcached's redistribution (failure mode {@code
 * redistribute}) clones it into a classic get for another server, with the same callback. An error
 * line ({@code ERROR}, {@code CLIENT_ERROR}, {@code SERVER_ERROR}) or an answer that is not a meta
 * get's fails it as spymemcached fails its own get on one: the operation errors and the
 * connection is reset, since nothing after such an answer can be trusted to line up.
 *
 * <p>Given a head length, it reads a longer value in two arrays, the first that many bytes and the
 * rest, and hands both to a {@link PartsCallback}: the store asks for its header as the head, so the
 * rest is the caller's value as it stands, with no copy out of the item ({@link
 * MemcachedTransport#getParts}).
 */
final class MetaGetOperation extends TextOperation implements GetOperation {

  private static final OperationStatus FOUND = new OperationStatus(true, "END", StatusCode.SUCCESS);
  private static final OperationStatus NOT_FOUND =
      new OperationStatus(false, "NOT_FOUND", StatusCode.ERR_NOT_FOUND);

  /** A get's callback that takes a value read in two parts ({@link Parts}). */
  interface PartsCallback extends GetOperation.Callback {
    /** The value found: {@code head} followed by {@code tail}. */
    void gotParts(String key, byte[] head, byte[] tail);
  }

  private final String key;
  private final Collection<String> keys;
  /** Told the server when it answers that it does not know the command. */
  private final Consumer<SocketAddress> unknown;
  /** Read a value longer than this many bytes in two parts; 0: in one. */
  private final int headLength;

  MetaGetOperation(String key, GetOperation.Callback callback, Consumer<SocketAddress> unknown) {
    this(key, callback, 0, unknown);
  }

  /**
   * A get whose value, when longer than {@code headLength} bytes, is read in two parts and handed
   * to {@code callback}'s {@link PartsCallback#gotParts}; 0 reads every value in one.
   */
  MetaGetOperation(String key, PartsCallback callback, int headLength, Consumer<SocketAddress> unknown) {
    this(key, (GetOperation.Callback) callback, headLength, unknown);
  }

  private MetaGetOperation(String key, GetOperation.Callback callback, int headLength, Consumer<SocketAddress> unknown) {
    this.key = key;
    this.keys = List.of(key);
    this.unknown = unknown;
    this.headLength = headLength;
    setCallback(callback);
  }

  @Override
  public Collection<String> getKeys() {
    return keys;
  }

  @Override
  public void initialize() {
    byte[] k = key.getBytes(StandardCharsets.UTF_8);
    ByteBuffer b = ByteBuffer.allocate(k.length + 7);
    b.put((byte) 'm').put((byte) 'g').put((byte) ' ').put(k)
        .put((byte) ' ').put((byte) 'v').put((byte) '\r').put((byte) '\n');
    b.flip();
    setBuffer(b);
  }

  @Override
  void valueRead(byte[] head, byte[] tail) {
    if (tail == null) {
      ((GetOperation.Callback) getCallback()).gotData(key, 0, head);
    } else {
      ((PartsCallback) getCallback()).gotParts(key, head, tail);
    }
    getCallback().receivedStatus(FOUND);
    transitionState(OperationState.COMPLETE);
  }

  @Override
  void answer(byte[] line, int from, int to) throws IOException {
    int length = to - from;
    if (length >= 4 && line[from] == 'V' && line[from + 1] == 'A' && line[from + 2] == ' ') {
      int end = digitsEnd(line, from + 3, to);
      if (end == from + 3 || (end < to && line[end] != ' ')) {
        fail(OperationErrorType.CLIENT, "an answer that is not a meta get's: " + text(line, from, to));
      }
      expectValue(decimal(line, from + 3, end), headLength);
    } else if (length == 2 && line[from] == 'E' && line[from + 1] == 'N') {
      getCallback().receivedStatus(NOT_FOUND);
      transitionState(OperationState.COMPLETE);
    } else if (text(line, from, to).startsWith("ERROR")) {
      unknownCommand(this, unknown);
    } else {
      failOn(line, from, to, "meta get");
    }
  }

  /**
   * Fails {@code op}, whose server answered a meta command with {@code ERROR}: it does not know it.
   * Tells {@code unknown} the server first.
   */
  static void unknownCommand(TextOperation op, Consumer<SocketAddress> unknown) throws IOException {
    MemcachedNode node = op.getHandlingNode();
    unknown.accept(node == null ? null : node.getSocketAddress());
    op.fail(OperationErrorType.SERVER, "ERROR (it does not know the meta get, mg, of memcached 1.6 and later; "
        + "single-key gets use the classic get from now on)");
  }

  @Override
  public String toString() {
    return "Cmd: mg Keys: " + key;
  }
}
