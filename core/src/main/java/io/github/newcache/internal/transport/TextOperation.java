package io.github.newcache.internal.transport;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import net.spy.memcached.ops.OperationErrorType;
import net.spy.memcached.ops.OperationState;
import net.spy.memcached.protocol.BaseOperationImpl;

/**
 * A text-protocol operation of ours: reads memcached's answer lines straight from the client's
 * buffer and hands each to {@link #answer}, and a value a line announces ({@link #expectValue})
 * into arrays of its size, handed to {@link #valueRead}. spymemcached's own text operations read
 * each line byte by byte into a string; their base class is not open to other packages.
 *
 * <p>An error line ({@code ERROR}, {@code CLIENT_ERROR}, {@code SERVER_ERROR}) or an answer that
 * does not fit fails the operation as spymemcached fails its own: the operation errors and the
 * connection is reset, since nothing after such an answer can be trusted to line up.
 */
abstract class TextOperation extends BaseOperationImpl {

  /** The longest answer line kept for an error message; the rest of a longer one is skipped. */
  static final int MAX_LINE = 512;

  /** The part of the answer line read so far, when it came split over reads; else null. */
  private byte[] partial;
  private int partialLength;
  /** The value being read (its first part when it is read in two), or null between values. */
  private byte[] value;
  /** The value's bytes after {@link #value} when it is read in two parts, else null. */
  private byte[] tail;
  private int valueRead;
  /** Bytes of the value's closing CRLF still to come. */
  private int endLeft;

  /** Acts on one answer line, {@code line[from, to)} without its CRLF. */
  abstract void answer(byte[] line, int from, int to) throws IOException;

  /**
   * A value announced with {@link #expectValue} has been read with its CRLF: {@code head} followed
   * by {@code tail}, or all of it in {@code head} and a null {@code tail}.
   */
  void valueRead(byte[] head, byte[] tail) throws IOException {
    throw new IllegalStateException(getClass().getSimpleName() + " reads no value");
  }

  @Override
  public final void readFromBuffer(ByteBuffer b) throws IOException {
    while (getState() != OperationState.COMPLETE && b.hasRemaining()) {
      if (value == null) {
        readLine(b);
      } else {
        readValue(b);
      }
    }
  }

  /**
   * Called from {@link #answer}: the next {@code size} bytes of the answer and a CRLF are a value,
   * read in two arrays, the first {@code headLength} bytes and the rest, when it is longer than
   * {@code headLength} and that is above 0; else in one.
   */
  final void expectValue(int size, int headLength) {
    if (headLength > 0 && size > headLength) {
      value = new byte[headLength];
      tail = new byte[size - headLength];
    } else {
      value = new byte[size];
    }
    valueRead = 0;
    endLeft = 2;
  }

  /** Reads value bytes, then the CRLF after them, then hands the value to {@link #valueRead}. */
  private void readValue(ByteBuffer b) throws IOException {
    int size = value.length + (tail == null ? 0 : tail.length);
    while (valueRead < size && b.hasRemaining()) {
      valueRead += Parts.readInto(b, value, tail, valueRead);
    }
    while (valueRead == size && endLeft > 0 && b.hasRemaining()) {
      if (b.get() != (endLeft == 2 ? '\r' : '\n')) {
        fail(OperationErrorType.CLIENT, "a value of " + size + " bytes not followed by CRLF");
      }
      endLeft--;
    }
    if (endLeft == 0) {
      byte[] head = value;
      byte[] rest = tail;
      value = null;
      tail = null;
      valueRead(head, rest);
    }
  }

  /** Reads up to the end of the answer line and acts on it; keeps a line split over reads. */
  final void readLine(ByteBuffer b) throws IOException {
    int start = b.position();
    int limit = b.limit();
    int newline = -1;
    for (int i = start; i < limit; i++) {
      if (b.get(i) == '\n') {
        newline = i;
        break;
      }
    }
    int end = newline < 0 ? limit : newline;
    if (partial == null && newline >= 0 && b.hasArray()) {
      b.position(newline + 1);
      int from = b.arrayOffset() + start;
      answer(b.array(), from, withoutCr(b.array(), from, b.arrayOffset() + end));
      return;
    }
    keep(b, start, end);
    b.position(newline < 0 ? limit : newline + 1);
    if (newline >= 0) {
      byte[] line = partial;
      int length = partialLength;
      partial = null;
      partialLength = 0;
      answer(line, 0, withoutCr(line, 0, length));
    }
  }

  private static int withoutCr(byte[] line, int from, int to) {
    return to > from && line[to - 1] == '\r' ? to - 1 : to;
  }

  private void keep(ByteBuffer b, int from, int to) {
    if (partial == null) {
      partial = new byte[64];
    }
    int n = Math.min(to - from, MAX_LINE - partialLength);
    if (partialLength + n > partial.length) {
      partial = Arrays.copyOf(partial, Math.min(MAX_LINE, Math.max(partial.length * 2, partialLength + n)));
    }
    for (int i = 0; i < n; i++) {
      partial[partialLength++] = b.get(from + i);
    }
  }

  /**
   * The end of the run of decimal digits that starts at {@code line[from]} (before {@code to}):
   * {@code from} when there is none. Runs longer than nine digits end at the ninth, so that the
   * caller's {@link #decimal} cannot overflow and the character after it is a digit, not a space.
   */
  static int digitsEnd(byte[] line, int from, int to) {
    int i = from;
    while (i < to && i - from < 9 && line[i] >= '0' && line[i] <= '9') {
      i++;
    }
    return i;
  }

  /** The number written in the decimal digits {@code line[from, to)}. */
  static int decimal(byte[] line, int from, int to) {
    int n = 0;
    for (int i = from; i < to; i++) {
      n = n * 10 + (line[i] - '0');
    }
    return n;
  }

  /** Whether {@code line[from, to)} is exactly {@code word} (ASCII). */
  static boolean is(byte[] line, int from, int to, byte[] word) {
    return to - from == word.length && Arrays.equals(line, from, to, word, 0, word.length);
  }

  /**
   * Fails the operation on an error line as spymemcached fails its own; on any other line, as on
   * an answer that is not this operation's.
   */
  final void failOn(byte[] line, int from, int to, String command) throws IOException {
    String text = text(line, from, to);
    if (text.startsWith("CLIENT_ERROR")) {
      fail(OperationErrorType.CLIENT, text);
    } else if (text.startsWith("SERVER_ERROR")) {
      fail(OperationErrorType.SERVER, text);
    } else if (text.startsWith("ERROR")) {
      fail(OperationErrorType.SERVER, text);
    } else {
      fail(OperationErrorType.CLIENT, "an answer that is not a " + command + "'s: " + text);
    }
  }

  static String text(byte[] line, int from, int to) {
    return new String(line, from, Math.min(to - from, MAX_LINE), StandardCharsets.UTF_8);
  }

  /** Fails the operation as spymemcached fails its own on an error line (it throws). */
  final void fail(OperationErrorType type, String message) throws IOException {
    handleError(type, message);
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
