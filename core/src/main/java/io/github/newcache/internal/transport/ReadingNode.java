package io.github.newcache.internal.transport;

import java.nio.channels.SelectionKey;
import net.spy.memcached.MemcachedNode;

/**
 * A plain connection that the selector watches for answers all the time it is connected, instead
 * of from each request to its answer. spymemcached switches a connection's READ interest on when a
 * request goes out and off when its answer is in: with one caller, that is two {@code epoll_ctl}
 * system calls per call on the IO thread, one to add the socket to the selector's set and one to
 * remove it. Kept on, the interest changes only while something waits to be written.
 *
 * <p>The selector then also reports what arrives with nothing asked: a server that closes the
 * connection (read at once, and spymemcached reconnects, where it used to find out at the next
 * request) or one that sends bytes no request asked for (spymemcached's read finds no operation,
 * fails, and reconnects, where the bytes used to wait and be taken for the next request's answer).
 *
 * <p>spymemcached asserts, before each wait of its selector, that the interest matches its queues
 * ({@code selectorsMakeSense}: READ exactly when an answer is awaited, fatal to its IO thread under
 * {@code -ea}). {@link #hasReadOp()} therefore also answers true while the READ interest is set;
 * it is read by that assertion only. Whether an answer is really awaited is {@link
 * #awaitsAnswer()}.
 */
final class ReadingNode extends ForwardingNode {

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

  @Override
  public boolean hasReadOp() {
    if (node.hasReadOp()) {
      return true;
    }
    SelectionKey s = node.getSk();
    return s != null && s.isValid() && (s.interestOps() & SelectionKey.OP_READ) != 0;
  }
}
