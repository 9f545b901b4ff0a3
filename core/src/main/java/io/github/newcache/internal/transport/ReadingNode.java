package io.github.newcache.internal.transport;

import java.nio.channels.CancelledKeyException;
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
 * connection (read at once, and spymemcached reconnects after its reconnect delay, where it used to
 * find out when the next request failed on the closed connection) or one that sends bytes no request asked for (spymemcached's read finds no operation,
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
    if (s == null) {
      return false;
    }
    try {
      return (s.interestOps() & SelectionKey.OP_READ) != 0;
    } catch (CancelledKeyException e) {
      // A close on another thread cancelled the key after the assertion had found it valid and
      // read its interest, which a connected plain connection sets with READ (review 77: answering
      // false here would fail the assertion, and end the IO thread with an error, during a close).
      return true;
    }
  }
}
