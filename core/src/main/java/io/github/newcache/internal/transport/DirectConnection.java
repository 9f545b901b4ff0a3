package io.github.newcache.internal.transport;

import io.github.newcache.internal.transport.tls.TlsContext;
import io.github.newcache.internal.transport.tls.TlsHandshakeException;
import io.github.newcache.internal.transport.tls.TlsSocketChannel;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.CancelledKeyException;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One connection to one server on which the calling thread itself writes a single-key get and
 * reads its answer ({@link DirectGets}): no hand-off to the client's IO thread and back. A caller
 * uses it alone, from its request to the end of its answer; between callers it lies idle.
 *
 * <p>It speaks the protocol the transport speaks: the meta get {@code mg <key> v} (answer {@code VA
 * <bytes>} and the value, or {@code EN}) or the binary get. The socket is non-blocking and waits
 * with a selector of its own, so each wait has a deadline. With TLS it reads and writes through a
 * {@link TlsSocketChannel} over that socket, whose handshake {@link #connect} finishes within the
 * deadline. Anything it does not expect (an error
 * line, an answer to another request, bytes after the answer, the server closing) ends the
 * connection: nothing later read on it could be trusted to line up.
 */
final class DirectConnection implements AutoCloseable {

  /** What {@link #get} answers when the server holds no item under the key. */
  static final Parts MISSING = new Parts(new byte[0], null);

  /** The connection ended before a whole answer was read. */
  static final class Lost extends IOException {
    Lost(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * The server answered what this connection did not ask for or cannot read: an error line, an
   * answer of another shape; {@code unknownCommand} when it does not know the meta get (a bare
   * {@code ERROR}: a server at its connection limit answers {@code ERROR Too many open connections}).
   */
  static final class Refused extends IOException {
    /** What the server answered, or what was wrong with it. */
    final String answer;
    final boolean unknownCommand;

    Refused(String answer, boolean unknownCommand) {
      super(answer);
      this.answer = answer;
      this.unknownCommand = unknownCommand;
    }
  }

  /** No answer before the deadline; the connection is closed. */
  static final class Late extends IOException {
    Late() {
      super("no answer in time");
    }
  }

  private static final int MAX_LINE = TextOperation.MAX_LINE;
  private static final int HEADER = BinaryOperation.HEADER;
  private static final byte BINARY_RESPONSE = (byte) 0x81;
  private static final int BINARY_GET = 0x00;
  private static final int BINARY_GETQ = 0x09;
  private static final int BINARY_NOOP = 0x0a;

  /** The socket, registered with {@link #selector}; closing it ends the connection. */
  private final SocketChannel socket;
  /** What requests are written to and answers read from: {@link #socket}, or TLS over it. */
  private final SocketChannel channel;
  /** The TLS over {@link #socket}; null without TLS. */
  private final TlsSocketChannel tls;
  private final Selector selector;
  private final SelectionKey key;
  private final boolean binary;
  /** The request being written: grown to the largest multi-get asked (at most 512 keys), then kept. */
  private ByteBuffer out = ByteBuffer.allocate(512);
  private final ByteBuffer in = ByteBuffer.allocate(16 * 1024);
  private final byte[] line = new byte[MAX_LINE];
  private int opaque;
  /** The header of the binary answer being read ({@link #readHeader}). */
  private int opcode;
  private int keyLength;
  private int extrasLength;
  private int status;
  private int body;
  private int answerOpaque;
  /** The deadline of the current call. */
  private Deadline deadline;
  /** Its place among its server's connections ({@link DirectGets}); set once, before it is shared. */
  int slot;

  /** The deadline of one call, which may move out (the client paused). */
  interface Deadline {
    /** Nanoseconds left, or 0 or less when the call is out of time. */
    long leftNanos();
  }

  private DirectConnection(SocketChannel socket, TlsSocketChannel tls, Selector selector, boolean binary)
      throws IOException {
    this.socket = socket;
    this.tls = tls;
    this.channel = tls != null ? tls : socket;
    this.selector = selector;
    this.binary = binary;
    this.key = socket.register(selector, 0);
  }

  /**
   * A connection to {@code server}, with {@code tls} (when not null) TLS over it, not yet connected:
   * {@link #close} ends its {@link #connect} from any thread. {@code handshakeMillis} is the time
   * the handshake has, which its failures name (the deadline of {@link #connect} bounds it).
   */
  static DirectConnection create(InetSocketAddress server, boolean binary, TlsContext tls, long handshakeMillis)
      throws IOException {
    SocketChannel ch = SocketChannel.open();
    Selector sel = null;
    try {
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      sel = Selector.open();
      TlsSocketChannel secured = tls == null ? null : new TlsSocketChannel(ch, tls, server, handshakeMillis);
      return new DirectConnection(ch, secured, sel, binary);
    } catch (IOException | RuntimeException | Error e) {
      closeQuietly(ch, sel);
      throw e;
    }
  }

  /**
   * Connects to {@code server} within {@code deadline}, the TLS handshake too when there is TLS;
   * throws {@link Lost} when connecting fails (or {@link #close} ended it), the handshake's failure
   * ({@link TlsHandshakeException}) when that fails, {@link Late} when it takes too long. The
   * connection must be closed after a failure.
   */
  void connect(InetSocketAddress server, Deadline within) throws IOException {
    deadline = within;
    try {
      if (!socket.connect(server)) {
        await(SelectionKey.OP_CONNECT);
        while (!socket.finishConnect()) {
          await(SelectionKey.OP_CONNECT);
        }
      }
    } catch (Late | Lost | InterruptedIOException e) {
      throw e;
    } catch (IOException e) {
      throw new Lost("cannot connect: " + e, e);
    }
    if (tls != null) {
      handshake();
    }
  }

  /** Advances the TLS handshake, waiting for the socket as it asks, until it is done or fails. */
  private void handshake() throws IOException {
    while (true) {
      tls.advance();
      if (tls.failure() != null) {
        throw tls.failure();
      }
      if (tls.isHandshakeDone()) {
        return;
      }
      await(tls.wantsWrite() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }
  }

  /**
   * True when the idle connection shows nothing since its last answer: no bytes and no close from
   * the server (a server restarted, or closing idle connections). False when it must not be used.
   */
  boolean quiet() {
    try {
      in.clear();
      return channel.read(in) == 0;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Asks the server for a no-op ({@code mn}, or the binary {@code noop}) and reads its answer: proof
   * that the server reads this connection, which a server at its connection limit may accept without
   * ever reading. Throws as {@link #get} does.
   */
  void probe(Deadline within) throws IOException {
    deadline = within;
    out.clear();
    if (binary) {
      opaque++;
      BinaryOperation.putHeader(out, BINARY_NOOP, 0, 0, 0, opaque);
    } else {
      out.put((byte) 'm').put((byte) 'n').put((byte) '\r').put((byte) '\n');
    }
    send(out.flip());
    if (binary) {
      readHeader();
      if (opcode != BINARY_NOOP || answerOpaque != opaque || status != 0) {
        throw unexpected("binary answer (opcode " + opcode + ", opaque " + answerOpaque + ", status " + status + ")");
      }
      skip(body);
    } else {
      int length = readLine();
      if (length != 2 || line[0] != 'M' || line[1] != 'N') {
        String text = TextOperation.text(line, 0, length);
        throw text.equals("ERROR") ? new Refused(text, true) : unexpected(text); // no meta commands
      }
    }
    endOfAnswer();
  }

  /**
   * Gets {@code key} (its UTF-8 bytes): writes the request, reads the answer and returns the item,
   * in two arrays past {@code headLength} when that is above 0, or {@link #MISSING}. Throws {@link
   * Lost}, {@link Refused}, {@link Late} or an {@link InterruptedIOException}; the connection must
   * then be closed.
   */
  Parts get(byte[] keyBytes, int headLength, Deadline within) throws IOException {
    deadline = within;
    out.clear();
    if (binary) {
      opaque++;
      BinaryOperation.putHeader(out, BINARY_GET, keyBytes.length, 0, keyBytes.length, opaque);
      out.put(keyBytes);
    } else {
      out.put((byte) 'm').put((byte) 'g').put((byte) ' ').put(keyBytes)
          .put((byte) ' ').put((byte) 'v').put((byte) '\r').put((byte) '\n');
    }
    send(out.flip());
    return binary ? binaryAnswer(headLength) : textAnswer(headLength);
  }

  /**
   * Gets every key of {@code keys} (UTF-8 bytes, at most {@link GetBatches#MAX_KEYS}) in one request:
   * the classic {@code get <key> <key> …} of the text protocol, or a quiet get per key and a no-op
   * in the binary protocol. Element {@code i} of the result is the item of {@code keys[i]}, in two
   * arrays past {@code headLengths[i]} when that array is given and the length is above 0, or null.
   * Throws as {@link #get} does.
   */
  Parts[] getAll(byte[][] keys, int[] headLengths, Deadline within) throws IOException {
    deadline = within;
    int bytes = binary ? HEADER : 6;
    for (byte[] k : keys) {
      bytes += binary ? HEADER + k.length : k.length + 1;
    }
    if (bytes > out.capacity()) {
      out = ByteBuffer.allocate(bytes);
    }
    ByteBuffer request = out.clear();
    int first = opaque + 1;
    if (binary) {
      for (int i = 0; i < keys.length; i++) {
        BinaryOperation.putHeader(request, BINARY_GETQ, keys[i].length, 0, keys[i].length, first + i);
        request.put(keys[i]);
      }
      BinaryOperation.putHeader(request, BINARY_NOOP, 0, 0, 0, first + keys.length);
      opaque = first + keys.length;
    } else {
      request.put((byte) 'g').put((byte) 'e').put((byte) 't');
      for (byte[] k : keys) {
        request.put((byte) ' ').put(k);
      }
      request.put((byte) '\r').put((byte) '\n');
    }
    send(request.flip());
    Parts[] found = new Parts[keys.length];
    if (binary) {
      binaryAnswers(keys.length, first, headLengths, found);
    } else {
      textAnswers(keys, headLengths, found);
    }
    endOfAnswer();
    return found;
  }

  /** Writes {@code request} whole, then readies {@link #in} for the answer. */
  private void send(ByteBuffer request) throws IOException {
    try {
      while (request.hasRemaining()) {
        if (channel.write(request) == 0) {
          await(SelectionKey.OP_WRITE);
        }
      }
    } catch (Late | Lost | Refused | InterruptedIOException | TlsHandshakeException e) {
      throw e;
    } catch (IOException e) {
      throw new Lost("write failed: " + e, e);
    }
    in.clear().flip();
  }

  /**
   * Reads a classic multi-get's answers up to its {@code END}: {@code VALUE <key> <flags> <bytes>
   * [<cas>]} and the value for each key found, in the order asked (memcached's), each matched to the
   * next place of its key after the last one answered.
   */
  private void textAnswers(byte[][] keys, int[] headLengths, Parts[] found) throws IOException {
    int last = -1;
    while (true) {
      int length = readLine();
      if (length == 3 && line[0] == 'E' && line[1] == 'N' && line[2] == 'D') {
        return;
      }
      if (length < 6 || line[0] != 'V' || line[1] != 'A' || line[2] != 'L' || line[3] != 'U' || line[4] != 'E'
          || line[5] != ' ') {
        throw unexpected(TextOperation.text(line, 0, length));
      }
      int keyEnd = 6;
      while (keyEnd < length && line[keyEnd] != ' ') {
        keyEnd++;
      }
      int place = last + 1;
      while (place < keys.length && !Arrays.equals(line, 6, keyEnd, keys[place], 0, keys[place].length)) {
        place++;
      }
      int flagsEnd = keyEnd + 1;
      while (flagsEnd < length && line[flagsEnd] >= '0' && line[flagsEnd] <= '9') {
        flagsEnd++;
      }
      int sizeEnd = flagsEnd < length && line[flagsEnd] == ' ' ? TextOperation.digitsEnd(line, flagsEnd + 1, length) : -1;
      if (place == keys.length || flagsEnd == keyEnd + 1 || sizeEnd <= flagsEnd + 1
          || (sizeEnd < length && line[sizeEnd] != ' ')) {
        throw unexpected(TextOperation.text(line, 0, length));
      }
      found[place] = readValue(TextOperation.decimal(line, flagsEnd + 1, sizeEnd), headLengths == null ? 0 : headLengths[place]);
      readCrLf();
      last = place;
    }
  }

  /**
   * Reads the answers of {@code n} quiet gets whose opaques begin at {@code first}, up to the no-op's:
   * one for each key found, in the order asked.
   */
  private void binaryAnswers(int n, int first, int[] headLengths, Parts[] found) throws IOException {
    int last = -1;
    while (true) {
      readHeader();
      int place = answerOpaque - first; // in int arithmetic: right across the opaques' wrap
      if (opcode == BINARY_NOOP && place == n && status == 0) {
        skip(body);
        return;
      }
      if (opcode != BINARY_GETQ || place <= last || place >= n || status != 0) {
        throw unexpected("binary answer (opcode " + opcode + ", place " + place + ", status " + status + ")");
      }
      skip(keyLength + extrasLength);
      found[place] = readValue(body - keyLength - extrasLength, headLengths == null ? 0 : headLengths[place]);
      last = place;
    }
  }

  /**
   * Reads a binary answer's header into {@link #opcode} and the fields after it; throws when it is
   * not an answer's or its lengths do not fit.
   */
  private void readHeader() throws IOException {
    fill(1);
    if (in.get(in.position()) != BINARY_RESPONSE) { // a text line: memcached's refusal of a connection past its limit, say
      throw unexpected(strayLine());
    }
    fill(HEADER);
    int at = in.position();
    opcode = in.get(at + 1) & 0xff;
    keyLength = in.getShort(at + 2) & 0xffff;
    extrasLength = in.get(at + 4) & 0xff;
    status = in.getShort(at + 6) & 0xffff;
    body = in.getInt(at + 8);
    answerOpaque = in.getInt(at + 12);
    in.position(at + HEADER);
    if (body < 0 || keyLength + extrasLength > body) {
      throw unexpected("binary answer (opcode " + opcode + ", body " + body + ")");
    }
  }

  private Parts textAnswer(int headLength) throws IOException {
    int length = readLine();
    if (length == 2 && line[0] == 'E' && line[1] == 'N') {
      endOfAnswer();
      return MISSING;
    }
    if (length < 4 || line[0] != 'V' || line[1] != 'A' || line[2] != ' ') {
      String text = TextOperation.text(line, 0, length);
      throw text.equals("ERROR") ? new Refused(text, true) : unexpected(text);
    }
    int end = TextOperation.digitsEnd(line, 3, length);
    if (end == 3 || (end < length && line[end] != ' ')) {
      throw unexpected(TextOperation.text(line, 0, length));
    }
    Parts found = readValue(TextOperation.decimal(line, 3, end), headLength);
    readCrLf();
    endOfAnswer();
    return found;
  }

  private Parts binaryAnswer(int headLength) throws IOException {
    readHeader();
    if (opcode != BINARY_GET || answerOpaque != opaque) {
      throw unexpected("binary answer (opcode " + opcode + ", opaque " + answerOpaque + ")");
    }
    if (status == BinaryOperation.NOT_FOUND) {
      skip(body);
      endOfAnswer();
      return MISSING;
    }
    if (status != 0) {
      throw unexpected("binary status 0x" + Integer.toHexString(status));
    }
    skip(keyLength + extrasLength);
    Parts found = readValue(body - keyLength - extrasLength, headLength);
    endOfAnswer();
    return found;
  }

  /** Reads a value of {@code size} bytes, in two arrays past {@code headLength} when that is above 0. */
  private Parts readValue(int size, int headLength) throws IOException {
    byte[] head;
    byte[] tail = null;
    if (headLength > 0 && size > headLength) {
      head = new byte[headLength];
      tail = new byte[size - headLength];
    } else {
      head = new byte[size];
    }
    readInto(head);
    if (tail != null) {
      readInto(tail);
    }
    return new Parts(head, tail);
  }

  /** Fills {@code to} from what is buffered, then straight from the socket. */
  private void readInto(byte[] to) throws IOException {
    int n = Math.min(in.remaining(), to.length);
    in.get(to, 0, n);
    if (n < to.length) {
      ByteBuffer rest = ByteBuffer.wrap(to, n, to.length - n);
      while (rest.hasRemaining()) {
        read(rest);
      }
    }
  }

  /**
   * The text line a server sent where a binary answer belongs, without its CRLF: up to its end, the
   * connection's, the deadline or {@link TextOperation#MAX_LINE} bytes, whichever comes first.
   */
  private String strayLine() {
    int length = 0;
    try {
      while (length < MAX_LINE) {
        if (!in.hasRemaining()) {
          refill();
        }
        byte b = in.get();
        if (b == '\n') {
          break;
        }
        line[length++] = b;
      }
    } catch (IOException e) {
      // what came before the close or the deadline is the answer
    }
    return TextOperation.text(line, 0, length > 0 && line[length - 1] == '\r' ? length - 1 : length);
  }

  /** One answer line, without its CRLF, into {@link #line}; returns its length. */
  private int readLine() throws IOException {
    int length = 0;
    while (true) {
      while (in.hasRemaining()) {
        byte b = in.get();
        if (b == '\n') {
          return length > 0 && line[length - 1] == '\r' ? length - 1 : length;
        }
        if (length == MAX_LINE) {
          throw unexpected("answer line longer than " + MAX_LINE + " bytes");
        }
        line[length++] = b;
      }
      refill();
    }
  }

  private void readCrLf() throws IOException {
    fill(2);
    if (in.get() != '\r' || in.get() != '\n') {
      throw unexpected("value not followed by CRLF");
    }
  }

  /** Skips {@code n} bytes of the answer. */
  private void skip(int n) throws IOException {
    int left = n;
    while (left > 0) {
      if (!in.hasRemaining()) {
        refill();
      }
      int k = Math.min(left, in.remaining());
      in.position(in.position() + k);
      left -= k;
    }
  }

  /** Makes at least {@code n} (at most the buffer's size) bytes readable in {@link #in}. */
  private void fill(int n) throws IOException {
    while (in.remaining() < n) {
      in.compact();
      read(in);
      in.flip();
    }
  }

  /** Reads more into the emptied {@link #in}. */
  private void refill() throws IOException {
    in.clear();
    read(in);
    in.flip();
  }

  /** Reads at least one byte into {@code b}, waiting for it within the deadline. */
  private void read(ByteBuffer b) throws IOException {
    while (true) {
      int n;
      try {
        n = channel.read(b);
      } catch (TlsHandshakeException e) { // TLS 1.3: a server refuses the client's certificate at the first read
        throw e;
      } catch (IOException e) {
        throw new Lost("read failed: " + e, e);
      }
      if (n > 0) {
        return;
      }
      if (n < 0) {
        throw new Lost("the server closed the connection", null);
      }
      await(SelectionKey.OP_READ);
    }
  }

  /** The answer is complete: bytes after it mean the connection no longer lines up. */
  private void endOfAnswer() throws IOException {
    if (in.hasRemaining()) {
      throw unexpected(in.remaining() + " bytes after the answer");
    }
  }

  private static Refused unexpected(String what) {
    return new Refused(what, false);
  }

  /**
   * Waits until the socket is ready for {@code ops} or the deadline passes ({@link Late}), or the
   * thread is interrupted ({@link InterruptedIOException}, the flag kept).
   */
  private void await(int ops) throws IOException {
    try {
      key.interestOps(ops);
      while (true) {
        long left = deadline.leftNanos();
        if (left <= 0) {
          throw new Late();
        }
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedIOException("interrupted");
        }
        int ready = selector.select(Math.max(1, (left + 999_999) / 1_000_000));
        selector.selectedKeys().clear();
        if (!socket.isOpen()) { // closed by another thread (the transport's close), which woke this
          throw new Lost("closed", null);
        }
        if (ready > 0) {
          return;
        }
      }
    } catch (ClosedSelectorException | CancelledKeyException e) {
      throw new Lost("closed", e);
    }
  }


  /**
   * Closes the socket (from any thread: a caller waiting on it is woken and fails as lost). With
   * TLS no close_notify is sent: the caller's thread may be using the TLS engine, and memcached
   * needs none.
   */
  @Override
  public void close() {
    closeQuietly(socket, selector);
  }

  private static void closeQuietly(SocketChannel ch, Selector sel) {
    try {
      ch.close();
    } catch (IOException e) {
      // closing: nothing to do
    }
    if (sel != null) {
      try {
        sel.close();
      } catch (IOException e) {
        // closing: nothing to do
      }
    }
  }

  static byte[] utf8(String key) {
    return key.getBytes(StandardCharsets.UTF_8);
  }
}
