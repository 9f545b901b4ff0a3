package io.github.newcache.internal.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicInteger;
import net.spy.memcached.ops.OperationErrorType;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StatusCode;
import net.spy.memcached.protocol.BaseOperationImpl;

/**
 * A binary-protocol operation of ours: one request and one answer of a 24-byte header and a body of
 * extras, key and value; or, for a batch ({@link BinaryMultiGetOperation}), several of each, told
 * apart by their opaques. It reads the answer straight from the client's buffer into arrays of the
 * value's size, the value in two when it is longer than {@link #headLength} (spymemcached's binary
 * operations read the whole body into one array and copy the value out of it; their base class is
 * not open to other packages).
 *
 * <p>An answer that is not this request's (another magic, command or opaque) fails the operation as
 * spymemcached fails its own on an error: the operation errors and the connection is reset, since
 * nothing after such an answer can be trusted to line up. A status memcached defines ends the
 * operation with that status and its message; an unknown one fails it.
 */
abstract class BinaryOperation extends BaseOperationImpl {

  static final int HEADER = 24;
  static final int NOT_FOUND = 0x01;
  private static final byte REQUEST = (byte) 0x80;
  private static final byte RESPONSE = (byte) 0x81;
  /** Tells this client's requests apart in its answers. */
  private static final AtomicInteger OPAQUES = new AtomicInteger();

  private final int opcode;
  /** The opaque of this operation's (first) request. */
  private final int opaque;
  private final byte[] header = new byte[HEADER];
  private int headerRead;
  private int status;
  private long cas;
  private int answerOpcode;
  private int answerOpaque;
  /** Body bytes before the value (extras and key), skipped. */
  private int skip;
  private byte[] value;
  private byte[] tail;
  private int bodyLength;
  private int bodyRead;

  BinaryOperation(int opcode) {
    this(opcode, 1);
  }

  /** An operation of {@code requests} requests, given opaques {@link #opaque()} and the next ones. */
  BinaryOperation(int opcode, int requests) {
    this.opcode = opcode;
    this.opaque = OPAQUES.getAndAdd(requests);
  }

  /** The opaque of this operation's (first) request. */
  final int opaque() {
    return opaque;
  }

  /**
   * Puts the header of a request with this operation's command and opaque into {@code into}, which
   * is {@link #HEADER} bytes longer than the body that follows; returns it wrapped, positioned at
   * the body.
   */
  final ByteBuffer request(byte[] into, int keyLength, int extrasLength) {
    ByteBuffer b = ByteBuffer.wrap(into);
    putHeader(b, opcode, keyLength, extrasLength, into.length - HEADER, opaque);
    return b;
  }

  /** Puts a request header at {@code b}'s position: its command, lengths and opaque. */
  static void putHeader(ByteBuffer b, int opcode, int keyLength, int extrasLength, int body, int opaque) {
    b.put(REQUEST).put((byte) opcode).putShort((short) keyLength).put((byte) extrasLength).put((byte) 0)
        .putShort((short) 0).putInt(body).putInt(opaque).putLong(0);
  }

  /**
   * Whether an answer with this command and opaque is one this operation waits for now; any other
   * fails it. By default the answer to its one request.
   */
  boolean expects(int answerOpcode, int answerOpaque) {
    return answerOpcode == opcode && answerOpaque == opaque;
  }

  /** The command of the answer being read (and given to {@link #answered}). */
  final int answerOpcode() {
    return answerOpcode;
  }

  /** The opaque of the answer being read (and given to {@link #answered}). */
  final int answerOpaque() {
    return answerOpaque;
  }

  /**
   * Value bytes of the answer being read past this many are read into a second array; 0 reads
   * every value in one.
   */
  int headLength() {
    return 0;
  }

  /**
   * An answer, read whole: {@code status} 0 (success) or {@link #NOT_FOUND} with its value ({@code
   * tail} null unless the value was read in two parts). Other statuses go to {@link #failed}. An
   * operation that does not complete here goes on to read the next answer.
   */
  abstract void answered(int status, long cas, byte[] value, byte[] tail) throws IOException;

  @Override
  public final void readFromBuffer(ByteBuffer b) throws IOException {
    while (getState() != OperationState.COMPLETE && b.hasRemaining()) {
      if (headerRead < HEADER) {
        int n = Math.min(HEADER - headerRead, b.remaining());
        b.get(header, headerRead, n);
        headerRead += n;
        if (headerRead == HEADER) {
          begin();
        }
      } else {
        readBody(b);
      }
      if (headerRead == HEADER && bodyRead == bodyLength && getState() != OperationState.COMPLETE) {
        end();
        headerRead = 0;
        bodyRead = 0;
      }
    }
  }

  private void begin() throws IOException {
    ByteBuffer h = ByteBuffer.wrap(header);
    int keyLength = h.getShort(2) & 0xffff;
    int extrasLength = h.get(4) & 0xff;
    status = h.getShort(6) & 0xffff;
    bodyLength = h.getInt(8);
    cas = h.getLong(16);
    skip = keyLength + extrasLength;
    answerOpcode = h.get(1) & 0xff;
    answerOpaque = h.getInt(12);
    if (h.get(0) != RESPONSE || !expects(answerOpcode, answerOpaque) || bodyLength < skip) {
      handleError(OperationErrorType.CLIENT, "an answer that is not to this request (magic " + h.get(0)
          + ", command " + answerOpcode + ", opaque " + answerOpaque + " for " + opaque + ", body " + bodyLength + ")");
    }
    int size = bodyLength - skip;
    int head = status == 0 ? headLength() : 0;
    if (head > 0 && size > head) {
      value = new byte[head];
      tail = new byte[size - head];
    } else {
      value = new byte[size];
    }
  }

  private void readBody(ByteBuffer b) {
    if (bodyRead < skip) {
      int n = Math.min(skip - bodyRead, b.remaining());
      b.position(b.position() + n);
      bodyRead += n;
      return;
    }
    bodyRead += Parts.readInto(b, value, tail, bodyRead - skip);
  }

  private void end() throws IOException {
    byte[] v = value;
    byte[] t = tail;
    value = null;
    tail = null;
    if (status == 0 || status == NOT_FOUND) {
      answered(status, cas, v, t);
    } else {
      failed(status, v);
    }
  }

  /** Ends the operation with a status memcached defines and its message; fails it on any other. */
  void failed(int code, byte[] message) throws IOException {
    String text = new String(message, StandardCharsets.UTF_8);
    StatusCode status = StatusCode.fromBinaryCode(code);
    if (status == StatusCode.ERR_CLIENT) {
      handleError(OperationErrorType.SERVER, "status 0x" + Integer.toHexString(code) + ": " + text);
    }
    getCallback().receivedStatus(new OperationStatus(false, text, status));
    transitionState(OperationState.COMPLETE);
  }

  /** Ends the operation with {@code status}. */
  final void complete(OperationStatus status) {
    getCallback().receivedStatus(status);
    transitionState(OperationState.COMPLETE);
  }

  @Override
  protected void wasCancelled() {
    // cancel() tells the callback itself
  }

  @Override
  public byte[] getErrorMsg() {
    return null;
  }
}
