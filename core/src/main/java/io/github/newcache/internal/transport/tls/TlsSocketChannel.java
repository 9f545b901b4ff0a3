package io.github.newcache.internal.transport.tls;

import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketOption;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.util.Set;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLEngineResult;
import javax.net.ssl.SSLException;

/**
 * TLS over a connected, non-blocking {@link SocketChannel}, seen as a {@link SocketChannel} that
 * reads and writes plaintext: what a client built on NIO channels (spymemcached) can use without
 * knowing about TLS. It is never registered with a selector itself; the raw channel is, and the
 * owner asks {@link #wantsRead()} / {@link #wantsWrite()} which readiness the handshake waits for.
 *
 * <p>Nothing here blocks or spins: the handshake advances a step whenever the owner calls {@link
 * #read}, {@link #write} or {@link #advance} and the socket is ready, so a server that accepts TCP
 * but never answers the handshake stalls only its own connection (its operations time out), never
 * the IO thread that serves the other servers. Handshake failures are {@link
 * TlsHandshakeException}s that name the server and say why ({@link TlsContext#describe}).
 *
 * <p>Writes follow the contract NIO clients rely on: {@code write(src)} returns how many plaintext
 * bytes of {@code src} are consumed, and only counts bytes whose TLS records went out completely.
 * When the socket takes a record only partly, the call returns 0 and leaves {@code src} untouched;
 * a later call with the same buffer finishes the record and reports the bytes then. (A client that
 * keeps its buffer until it is drained, as spymemcached does, needs nothing else.)
 */
public final class TlsSocketChannel extends SocketChannel {

  private static final ByteBuffer EMPTY = ByteBuffer.allocate(0);

  private final SocketChannel raw;
  private final SSLEngine engine;
  private final TlsContext tls;
  private final InetSocketAddress server;
  private final long handshakeTimeoutNanos;

  /** Encrypted bytes from the server, in write mode (position = end of data). */
  private ByteBuffer netIn;
  /** Decrypted bytes not yet read, in read mode. */
  private ByteBuffer appIn;
  /** Encrypted bytes not yet sent, in read mode. */
  private ByteBuffer netOut;
  /** Plaintext wrapped into {@link #netOut} but not yet reported to the writer. */
  private int pendingPlain;

  private boolean started;
  private volatile boolean handshakeDone;
  private final Runnable secured;
  /** When bytes last moved on the socket, either way ({@link System#nanoTime()}). */
  private volatile long lastProgressNanos = System.nanoTime();
  private volatile boolean handshakeStarted;
  private volatile long handshakeDeadline;
  private boolean inboundClosed;
  private IOException failure;
  /** Set with {@link #failure}: for {@link #wakeIfStuck}, from another thread. */
  private volatile boolean stuck;

  /**
   * @param raw the connected (or connecting) non-blocking channel to {@code server}
   * @param tls where the engine comes from (verification of {@code server}'s name) and how
   *     failures are described
   * @param handshakeTimeoutMillis how long the handshake may take once it started
   */
  public TlsSocketChannel(SocketChannel raw, TlsContext tls, InetSocketAddress server, long handshakeTimeoutMillis) {
    this(raw, tls, server, handshakeTimeoutMillis, () -> { });
  }

  /**
   * @param secured run on the thread that finishes the handshake, once it is done
   */
  public TlsSocketChannel(
      SocketChannel raw, TlsContext tls, InetSocketAddress server, long handshakeTimeoutMillis, Runnable secured) {
    super(raw.provider());
    this.secured = secured;
    this.raw = raw;
    this.tls = tls;
    this.server = server;
    this.engine = tls.engine(server);
    this.handshakeTimeoutNanos = handshakeTimeoutMillis * 1_000_000L;
    int packet = engine.getSession().getPacketBufferSize();
    int app = engine.getSession().getApplicationBufferSize();
    netIn = ByteBuffer.allocate(packet);
    appIn = ByteBuffer.allocate(app);
    appIn.flip();
    netOut = ByteBuffer.allocate(packet * 2);
    netOut.flip();
  }

  /** The channel that is registered with the selector. */
  public SocketChannel raw() {
    return raw;
  }

  public InetSocketAddress server() {
    return server;
  }

  /** True once the handshake finished; plaintext flows only then. */
  public boolean isHandshakeDone() {
    return handshakeDone;
  }

  /** When bytes last moved on the socket, either way ({@link System#nanoTime()}). */
  public long lastProgressNanos() {
    return lastProgressNanos;
  }

  /** The failure that ended this connection, or null. */
  public IOException failure() {
    return failure;
  }

  /** While the handshake runs: true when it waits for data from the server. */
  public boolean wantsRead() {
    if (failure != null) {
      return true; // let the owner's read report it
    }
    return started && !handshakeDone && !netOut.hasRemaining()
        && engine.getHandshakeStatus() != SSLEngineResult.HandshakeStatus.NEED_WRAP;
  }

  /** While the handshake runs: true when it has something to send (or has not started). */
  public boolean wantsWrite() {
    return failure == null && !handshakeDone && (!started || netOut.hasRemaining()
        || engine.getHandshakeStatus() == SSLEngineResult.HandshakeStatus.NEED_WRAP);
  }

  /**
   * From any thread: when the handshake has outlived its timeout, or has failed, makes the socket
   * readable (its input shut down), so that the owner's next read reports the failure and the
   * connection is made again. The deadline is otherwise checked only when the socket is ready,
   * and a server that stays silent (a host gone after it accepted TCP), or waits for the alert
   * a refused certificate should have sent, never makes it ready.
   */
  public void wakeIfStuck(long nowNanos) {
    if (handshakeStarted && !handshakeDone && (stuck || nowNanos - handshakeDeadline > 0)) {
      try {
        raw.shutdownInput();
      } catch (IOException | RuntimeException e) {
        // closed meanwhile: nothing left to wake
      }
    }
  }

  /**
   * Advances the handshake as far as the socket allows without waiting. Never throws: a failure is
   * kept and thrown by the next {@link #read} or {@link #write}.
   */
  public void advance() {
    try {
      handshake();
    } catch (IOException e) {
      // kept in failure
    }
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (appIn.hasRemaining()) {
      return copy(appIn, dst);
    }
    handshake();
    if (!handshakeDone) {
      return 0;
    }
    flush();
    unwrapAvailable();
    while (!appIn.hasRemaining() && !inboundClosed) {
      int n = raw.read(netIn);
      if (n < 0) {
        inboundClosed = true;
        break;
      }
      if (n == 0) {
        break;
      }
      lastProgressNanos = System.nanoTime();
      unwrapAvailable();
    }
    if (appIn.hasRemaining()) {
      return copy(appIn, dst);
    }
    return inboundClosed ? -1 : 0;
  }

  /**
   * Writes as the class comment says; throws once the server has closed its side ({@link
   * #peerClosed}, or the end of its stream). A server that sent its close_notify may still read and
   * apply what comes after (TLS 1.3 allows a half-closed connection), but its answer never comes:
   * the client would give the operation up as failed although it was applied. Failing the write
   * makes the client drop the connection and make it again before it sends anything more.
   */
  @Override
  public int write(ByteBuffer src) throws IOException {
    handshake();
    if (!handshakeDone) {
      return 0;
    }
    if (inboundClosed) {
      throw new EOFException("memcached at " + server.getHostString() + ":" + server.getPort()
          + " closed its side of the TLS connection: nothing more is sent on it");
    }
    if (netOut.hasRemaining()) {
      flush();
      if (netOut.hasRemaining()) {
        return 0;
      }
    }
    if (pendingPlain > 0) {
      int n = pendingPlain;
      pendingPlain = 0;
      src.position(src.position() + n);
      return n;
    }
    ByteBuffer view = src.duplicate();
    int start = view.position();
    netOut.compact();
    try {
      while (view.hasRemaining()) {
        SSLEngineResult r = engine.wrap(view, netOut);
        if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
          if (netOut.position() == 0) {
            netOut = grow(netOut, engine.getSession().getPacketBufferSize());
            continue;
          }
          break;
        }
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
          throw fail(new SSLException("TLS connection closed"));
        }
        if (r.bytesConsumed() == 0) {
          break;
        }
      }
    } finally {
      netOut.flip();
    }
    int consumed = view.position() - start;
    flush();
    if (netOut.hasRemaining()) {
      pendingPlain = consumed;
      return 0;
    }
    src.position(view.position());
    return consumed;
  }

  /** Runs the handshake until it is done or must wait for the socket. */
  private void handshake() throws IOException {
    if (failure != null) {
      throw failure;
    }
    if (handshakeDone) {
      return;
    }
    try {
      if (!started) {
        if (!raw.isConnected()) {
          return;
        }
        started = true;
        handshakeDeadline = System.nanoTime() + handshakeTimeoutNanos;
        handshakeStarted = true;
        engine.beginHandshake();
      }
      boolean more = true;
      while (more) {
        more = switch (engine.getHandshakeStatus()) {
          case NEED_WRAP -> wrapHandshake();
          case NEED_UNWRAP, NEED_UNWRAP_AGAIN -> unwrapHandshake();
          case NEED_TASK -> runTasks();
          default -> finishHandshake(); // FINISHED, NOT_HANDSHAKING
        };
      }
    } catch (TlsHandshakeException e) {
      throw fail(e);
    } catch (IOException e) {
      throw fail(tls.describe(server, e, (int) (handshakeTimeoutNanos / 1_000_000L)));
    }
  }

  /** Sends the engine's next handshake message; false when the socket must drain first. */
  private boolean wrapHandshake() throws IOException {
    netOut.compact();
    SSLEngineResult r;
    try {
      r = engine.wrap(EMPTY, netOut);
    } finally {
      netOut.flip();
    }
    if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
      netOut = growForRead(netOut, engine.getSession().getPacketBufferSize()); // netOut is in read mode here
    }
    flush();
    if (netOut.hasRemaining()) {
      checkDeadline();
      return false;
    }
    return true;
  }

  /** Reads the server's next handshake message; false when it has not arrived yet. */
  private boolean unwrapHandshake() throws IOException {
    flush();
    if (netOut.hasRemaining()) {
      checkDeadline();
      return false;
    }
    SSLEngineResult r = unwrapOnce();
    if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW) {
      int n = raw.read(netIn);
      if (n < 0) {
        checkDeadline(); // the input shut down by wakeIfStuck: a timeout, not the server's close
        throw new EOFException("the server closed the connection during the TLS handshake");
      }
      if (n == 0) {
        checkDeadline();
        return false;
      }
    } else if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
      throw new EOFException("the server closed TLS during the handshake");
    }
    return true;
  }

  /** Runs the engine's delegated tasks (certificate checks, key agreement) on this thread. */
  private boolean runTasks() {
    Runnable task;
    while ((task = engine.getDelegatedTask()) != null) {
      task.run();
    }
    return true;
  }

  private boolean finishHandshake() throws IOException {
    handshakeDone = true;
    flush();
    secured.run();
    return false;
  }

  private void checkDeadline() throws IOException {
    if (System.nanoTime() - handshakeDeadline > 0) {
      throw new TlsHandshakeException(
          "TLS with memcached at " + server.getHostString() + ":" + server.getPort()
              + " failed: no TLS handshake within " + handshakeTimeoutNanos / 1_000_000L
              + " ms (is this a TLS port of memcached? is the server frozen?)",
          TlsHandshakeException.Kind.TIMEOUT, null);
    }
  }

  /** One unwrap of {@link #netIn} into {@link #appIn}, handling buffer sizes. */
  private SSLEngineResult unwrapOnce() throws IOException {
    while (true) {
      netIn.flip();
      appIn.compact();
      SSLEngineResult r;
      try {
        r = engine.unwrap(netIn, appIn);
      } finally {
        netIn.compact();
        appIn.flip();
      }
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_OVERFLOW) {
        appIn = growForRead(appIn, engine.getSession().getApplicationBufferSize());
        continue;
      }
      if (r.getStatus() == SSLEngineResult.Status.BUFFER_UNDERFLOW && netIn.position() == netIn.capacity()) {
        netIn = grow(netIn, engine.getSession().getPacketBufferSize());
      }
      return r;
    }
  }

  /**
   * The server's close_notify: nothing more comes. The socket's input is shut down too, so that it
   * stays readable and the owner's next read reports the end. A server may send its close_notify
   * right behind its last answer and keep TCP open: the read that returns that answer takes the
   * close_notify with it, and spymemcached, which looks for the end only in the first read after the
   * socket became readable, would otherwise never hear of it (its operations timing out on a
   * connection that answers nothing more, never made again).
   */
  private void peerClosed() {
    inboundClosed = true;
    try {
      raw.shutdownInput();
    } catch (IOException | RuntimeException e) {
      // closed meanwhile: its owner hears of it anyway
    }
  }

  /** Decrypts every complete record already received (and answers post-handshake messages). */
  private void unwrapAvailable() throws IOException {
    try {
      while (netIn.position() > 0) {
        SSLEngineResult r = unwrapOnce();
        if (r.getStatus() == SSLEngineResult.Status.CLOSED) {
          peerClosed();
          return;
        }
        if (r.getStatus() != SSLEngineResult.Status.OK) {
          return;
        }
        SSLEngineResult.HandshakeStatus hs = r.getHandshakeStatus();
        if (hs == SSLEngineResult.HandshakeStatus.NEED_TASK) {
          Runnable task;
          while ((task = engine.getDelegatedTask()) != null) {
            task.run();
          }
          hs = engine.getHandshakeStatus();
        }
        if (hs == SSLEngineResult.HandshakeStatus.NEED_WRAP) {
          // a post-handshake message that wants an answer (TLS 1.3 key update)
          netOut.compact();
          try {
            engine.wrap(EMPTY, netOut);
          } finally {
            netOut.flip();
          }
          flush();
        }
        if (r.bytesConsumed() == 0 && r.bytesProduced() == 0) {
          return;
        }
      }
    } catch (SSLException e) {
      throw fail(tls.describe(server, e, 0));
    }
  }

  private void flush() throws IOException {
    while (netOut.hasRemaining()) {
      if (raw.write(netOut) == 0) {
        return;
      }
      lastProgressNanos = System.nanoTime();
    }
  }

  private IOException fail(IOException e) {
    if (failure == null) {
      failure = e;
      stuck = true;
    }
    return failure;
  }

  private static int copy(ByteBuffer from, ByteBuffer to) {
    int n = Math.min(from.remaining(), to.remaining());
    if (n == from.remaining()) {
      to.put(from);
    } else {
      ByteBuffer slice = from.duplicate();
      slice.limit(slice.position() + n);
      to.put(slice);
      from.position(from.position() + n);
    }
    return n;
  }

  /** A larger buffer in write mode with {@code b}'s content (b in write mode). */
  private static ByteBuffer grow(ByteBuffer b, int atLeast) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, b.capacity() * 2));
    b.flip();
    bigger.put(b);
    return bigger;
  }

  /** A larger buffer in read mode with {@code b}'s unread content (b in read mode). */
  private static ByteBuffer growForRead(ByteBuffer b, int atLeast) {
    ByteBuffer bigger = ByteBuffer.allocate(Math.max(atLeast, b.capacity() * 2));
    bigger.put(b);
    bigger.flip();
    return bigger;
  }

  // ---- the rest of SocketChannel: the raw channel's

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      int n = read(dsts[i]);
      if (n < 0) {
        return total == 0 ? -1 : total;
      }
      total += n;
      if (dsts[i].hasRemaining()) {
        break;
      }
    }
    return total;
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    long total = 0;
    for (int i = offset; i < offset + length; i++) {
      int n = write(srcs[i]);
      total += n;
      if (srcs[i].hasRemaining()) {
        break;
      }
    }
    return total;
  }

  @Override
  public SocketChannel bind(SocketAddress local) throws IOException {
    raw.bind(local);
    return this;
  }

  @Override
  public <T> SocketChannel setOption(SocketOption<T> name, T value) throws IOException {
    raw.setOption(name, value);
    return this;
  }

  @Override
  public <T> T getOption(SocketOption<T> name) throws IOException {
    return raw.getOption(name);
  }

  @Override
  public Set<SocketOption<?>> supportedOptions() {
    return raw.supportedOptions();
  }

  @Override
  public SocketChannel shutdownInput() throws IOException {
    raw.shutdownInput();
    return this;
  }

  @Override
  public SocketChannel shutdownOutput() throws IOException {
    raw.shutdownOutput();
    return this;
  }

  @Override
  public Socket socket() {
    return raw.socket();
  }

  @Override
  public boolean isConnected() {
    return raw.isConnected();
  }

  @Override
  public boolean isConnectionPending() {
    return raw.isConnectionPending();
  }

  @Override
  public boolean connect(SocketAddress remote) throws IOException {
    return raw.connect(remote);
  }

  @Override
  public boolean finishConnect() throws IOException {
    return raw.finishConnect();
  }

  @Override
  public SocketAddress getRemoteAddress() throws IOException {
    return raw.getRemoteAddress();
  }

  @Override
  public SocketAddress getLocalAddress() throws IOException {
    return raw.getLocalAddress();
  }

  @Override
  protected void implCloseSelectableChannel() throws IOException {
    try {
      if (handshakeDone && failure == null && raw.isOpen()) {
        engine.closeOutbound();
        netOut.compact();
        try {
          engine.wrap(EMPTY, netOut); // close_notify, best effort
        } finally {
          netOut.flip();
        }
        flush();
      }
    } catch (IOException | RuntimeException e) {
      // closing anyway; spymemcached's shutdown closes this from the caller's thread, possibly
      // while the IO thread still writes: nothing may escape, or its other connections and its
      // selector would stay open
    } finally {
      raw.close();
    }
  }

  @Override
  protected void implConfigureBlocking(boolean block) throws IOException {
    raw.configureBlocking(block);
  }

  @Override
  public String toString() {
    return "TLS(" + raw + (handshakeDone ? "" : ", handshaking") + ")";
  }
}
