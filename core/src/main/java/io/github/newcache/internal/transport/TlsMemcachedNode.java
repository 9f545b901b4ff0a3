package io.github.newcache.internal.transport;

import io.github.newcache.internal.transport.tls.TlsSocketChannel;
import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Collection;
import java.util.function.Function;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.ops.Operation;

/**
 * TLS for spymemcached 2.12.3 without changing it: a {@link MemcachedNode} that hands the node
 * spymemcached made a {@link TlsSocketChannel} instead of the raw channel, on the first connection
 * and on every reconnect ({@link #setChannel}, {@link #registerChannel}), and tells the selector
 * what the handshake waits for ({@link #getSelectionOps}). Everything else is the wrapped node's.
 *
 * <p>spymemcached registers the raw channel with its selector, reads through {@code
 * node.getChannel()} and writes through the channel the wrapped node holds, so reads and writes go
 * through TLS while readiness comes from the socket. The handshake advances on the IO thread
 * without blocking it: when the selector reports the socket readable ({@code handleReads} calls
 * {@code read}) or writable ({@code handleWrites} calls {@link #fillWriteBuffer} first).
 *
 * <p>spymemcached's assertions hold, so an application run with {@code -ea} (as test runners do)
 * keeps its IO thread: while TCP is still connecting, {@link #getChannel()} is the raw channel
 * (after a reconnect {@code MemcachedConnection} asserts that it is the channel it registered;
 * only {@code finishConnect} is called on it meanwhile), and while the handshake runs, {@link
 * #hasReadOp()}, {@link #hasWriteOp()} and {@link #getBytesRemainingToWrite()} describe the
 * handshake's interest, which is what the selector is set to ({@code selectorsMakeSense}).
 * Operations queued meanwhile wait in the wrapped node and go out when the handshake is done.
 *
 * <p>The handshake's deadline (the operation timeout) is checked whenever the socket is ready. A
 * server that accepts TCP and then never answers the handshake is a stalled server: its
 * operations time out (and the stall breaker fails them fast), and no other server waits for it.
 */
final class TlsMemcachedNode extends ForwardingNode {

  private final Function<SocketChannel, TlsSocketChannel> wrap;
  private volatile TlsSocketChannel channel;
  private final NudgeCount nudging = new NudgeCount();

  /**
   * @param make builds the wrapped node around a given channel (spymemcached's own factory
   *     method with the TLS channel)
   * @param raw the raw channel spymemcached opened for this node
   * @param wrap makes the TLS channel over a raw one (a new engine each time)
   */
  TlsMemcachedNode(
      Function<SocketChannel, MemcachedNode> make, SocketChannel raw, Function<SocketChannel, TlsSocketChannel> wrap) {
    this(make, wrap, wrap.apply(raw));
  }

  private TlsMemcachedNode(
      Function<SocketChannel, MemcachedNode> make, Function<SocketChannel, TlsSocketChannel> wrap, TlsSocketChannel first) {
    super(make.apply(first));
    this.wrap = wrap;
    this.channel = first;
  }

  /** The TLS channel of the current connection. */
  TlsSocketChannel tlsChannel() {
    return channel;
  }

  /** Why the current connection failed (a {@code TlsHandshakeException} for TLS), or null. */
  IOException failure() {
    return channel.failure();
  }

  /** True once the current connection's handshake is done: plaintext flows. */
  boolean isHandshakeDone() {
    TlsSocketChannel c = channel;
    return c != null && c.isHandshakeDone();
  }

  /**
   * True when operations wait for answers and nothing has moved on the connection for {@code
   * quietNanos}: what {@link TlsNudges} looks for. Read from another thread, so only a hint.
   */
  boolean waitsInSilence(long nowNanos, long quietNanos) {
    TlsSocketChannel c = channel;
    return c != null && c.isHandshakeDone() && c.isOpen() && node.hasReadOp()
        && nowNanos - c.lastProgressNanos() > quietNanos;
  }

  /** True when {@code nudge} may be sent now ({@link NudgeCount}); it then counts until answered. */
  boolean startNudge(Operation nudge, long nowNanos) {
    return nudging.tryStart(nudge, nowNanos);
  }

  /** {@code nudge} was answered, or cancelled with its connection. */
  void nudgeAnswered(Operation nudge) {
    nudging.answered(nudge);
  }

  /** {@link TlsSocketChannel#wakeIfStuck} of the current connection; from any thread. */
  void wakeIfStuck(long nowNanos) {
    TlsSocketChannel c = channel;
    if (c != null) {
      c.wakeIfStuck(nowNanos);
    }
  }

  /** True while TCP is up and the TLS handshake is not done. */
  private boolean handshaking() {
    TlsSocketChannel c = channel;
    return c != null && !c.isHandshakeDone() && c.isOpen() && c.raw().isConnected();
  }

  @Override
  public void setChannel(SocketChannel to) {
    node.setChannel(replace(to));
  }

  @Override
  public void registerChannel(SocketChannel ch, SelectionKey selectionKey) {
    node.registerChannel(replace(ch), selectionKey);
  }

  /**
   * The TLS view for spymemcached's new raw channel (null when it drops the connection). The old
   * view is closed first: spymemcached closed only the raw socket, and the wrapped node asserts
   * that the channel it replaces is closed.
   */
  private SocketChannel replace(SocketChannel to) {
    if (to instanceof TlsSocketChannel) {
      return to;
    }
    TlsSocketChannel old = channel;
    if (old != null && (to == null || old.raw() != to)) {
      try {
        old.close();
      } catch (IOException e) {
        // closed anyway
      }
    }
    if (to == null) {
      return null; // keep the closed view: failure() still tells why the connection ended
    }
    channel = wrap.apply(to);
    return channel;
  }

  /** The TLS view once TCP is connected; the raw channel before (see the class comment). */
  @Override
  public SocketChannel getChannel() {
    SocketChannel c = node.getChannel();
    if (c instanceof TlsSocketChannel tls) {
      SocketChannel raw = tls.raw();
      if (!raw.isConnected()) {
        return raw;
      }
    }
    return c;
  }

  @Override
  public int getSelectionOps() {
    int ops = node.getSelectionOps();
    if (ops != SelectionKey.OP_CONNECT && handshaking()) {
      TlsSocketChannel c = channel;
      int want = 0;
      if (c.wantsRead()) {
        want |= SelectionKey.OP_READ;
      }
      if (c.wantsWrite()) {
        want |= SelectionKey.OP_WRITE;
      }
      return want;
    }
    return ops;
  }



  @Override
  public void fillWriteBuffer(boolean optimizeGets) {
    TlsSocketChannel c = channel;
    if (c != null && !c.isHandshakeDone()) {
      c.advance();
    }
    node.fillWriteBuffer(optimizeGets);
  }



















  @Override
  public boolean hasReadOp() {
    return handshaking() ? channel.wantsRead() : node.hasReadOp();
  }

  @Override
  public boolean hasWriteOp() {
    return handshaking() ? channel.wantsWrite() : node.hasWriteOp();
  }











  /**
   * Active as soon as TCP is up, handshake or not: operations queue behind the handshake. (Not
   * active until the handshake is done would be stricter, but spymemcached keeps an inactive node
   * that has queued work in its "added" queue, counts every wake-up of its selector as an empty
   * select, and after 256 of them drops every server's connection.)
   */
  @Override
  public boolean isActive() {
    return node.isActive();
  }

















  /** Nothing can be written while the handshake runs (see the class comment). */
  @Override
  public int getBytesRemainingToWrite() {
    return handshaking() ? 0 : node.getBytesRemainingToWrite();
  }














}
