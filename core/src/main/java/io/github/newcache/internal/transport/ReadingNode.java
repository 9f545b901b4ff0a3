package io.github.newcache.internal.transport;

import java.nio.channels.CancelledKeyException;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import net.spy.memcached.MemcachedNode;

/**
 * A plain connection that the selector watches for answers all the time it is connected, instead
 * of from each request to its answer. spymemcached switches a connection's READ interest on when a
 * request goes out and off when its answer is in: with one caller, that is two {@code epoll_ctl}
 * system calls per call on the IO thread, one to add the socket to the selector's set and one to
 * remove it. Kept on, the interest changes only while something waits to be written.
 *
 * <p>The selector then also reports what arrives with nothing asked: a server that closes the
 * connection (read at once, and spymemcached reconnects after its reconnect delay, where it used to
 * find out when the next request failed on the closed connection) or one that sends bytes no
 * request asked for (spymemcached's read finds no operation, fails, and reconnects, where the bytes
 * used to wait and be taken for the next request's answer).
 *
 * <p>spymemcached asserts, before each wait of its selector, that the interest matches its queues
 * ({@code selectorsMakeSense}: READ exactly when an answer is awaited, fatal to its IO thread under
 * {@code -ea}). {@link #hasReadOp()} therefore also answers true while the READ interest is set;
 * it is read by that assertion only. Whether an answer is really awaited is {@link
 * #awaitsAnswer()}.
 */
final class ReadingNode extends ForwardingNode {

  /**
   * Whether the interest this node last gave the selector holds READ. Written and read on the IO
   * thread only (set first, at the connection's registration, before that thread starts), so a
   * plain field: it is written at every change of interest.
   */
  private boolean reading;
  /** The key of the last channel registered ({@link #getSk()}). */
  private volatile SelectionKey key;

  ReadingNode(MemcachedNode node) {
    super(node);
  }

  /** True when a request written to this connection waits for its answer. */
  boolean awaitsAnswer() {
    return node.hasReadOp();
  }

  @Override
  public int getSelectionOps() {
    int ops = node.getSelectionOps();
    return ops == SelectionKey.OP_CONNECT ? ops : ops | SelectionKey.OP_READ;
  }

  /**
   * True when an answer is awaited, or when the selector's interest holds READ. The interest is
   * the one this node last gave the selector ({@link #interestSet}, or the registration of a new
   * channel), remembered on the IO thread, not read from the key: a close on another thread
   * (spymemcached's {@code shutdown}) closes the channel and clears the node's key between the
   * assertion's read of the interest and its call of this method (review 78), and an answer taken
   * from the key then would fail the assertion and end the IO thread with an error.
   */
  @Override
  public boolean hasReadOp() {
    return node.hasReadOp() || reading;
  }

  @Override
  void interestSet(int ops) {
    reading = (ops & SelectionKey.OP_READ) != 0;
  }

  /**
   * The key of the current channel, or of the last one once spymemcached clears the key at a close
   * (a cancelled key then). spymemcached's interest check reads a node's key three times and throws
   * a NullPointerException, ending the IO thread, when a close on another thread clears it in
   * between (review 79); a cancelled key is skipped, or fails with an exception its loop catches.
   */
  @Override
  public SelectionKey getSk() {
    SelectionKey k = node.getSk();
    return k != null ? k : key;
  }

  @Override
  public void setSk(SelectionKey to) {
    node.setSk(to);
    if (to != null) {
      registered(to);
    }
  }

  @Override
  public void registerChannel(SocketChannel ch, SelectionKey selectionKey) {
    node.registerChannel(ch, selectionKey);
    registered(selectionKey);
  }

  /** A channel was just registered with {@code k}, whose interest is the one it was given. */
  private void registered(SelectionKey k) {
    key = k;
    try {
      reading = (k.interestOps() & SelectionKey.OP_READ) != 0;
    } catch (CancelledKeyException e) {
      reading = false;
    }
  }
}
