package io.github.newcache.internal.transport;

import java.io.IOException;
import java.net.SocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.Collection;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.ops.Operation;

/**
 * A spymemcached node that hands every call to the node spymemcached made, {@link #node}: the base
 * of our nodes ({@link ReadingNode}, {@link TlsMemcachedNode}), which override what they change.
 * spymemcached's node classes are final in what matters (the selector's interest, the channel), so
 * a change there is a node around them; spymemcached then holds ours everywhere it holds a node
 * (its locator, each selection key's attachment).
 *
 * <p>{@link #fixupOps()} is not forwarded: the wrapped node's would set the selector's interest from
 * its own {@link #getSelectionOps()}, not from the overriding one; here it is set from this node's.
 */
abstract class ForwardingNode implements MemcachedNode {

  /** The node spymemcached made, which does the work. */
  final MemcachedNode node;

  ForwardingNode(MemcachedNode node) {
    this.node = node;
  }

  @Override
  public void fixupOps() {
    SelectionKey s = node.getSk();
    if (s != null && s.isValid()) {
      int ops = getSelectionOps();
      s.interestOps(ops);
      interestSet(ops);
    }
  }

  /** Told, on the IO thread, the interest {@link #fixupOps()} just gave the selector. */
  void interestSet(int ops) {}

  @Override
  public int getSelectionOps() {
    return node.getSelectionOps();
  }

  @Override
  public void fillWriteBuffer(boolean optimizeGets) {
    node.fillWriteBuffer(optimizeGets);
  }

  @Override
  public int writeSome() throws IOException {
    return node.writeSome();
  }

  @Override
  public void copyInputQueue() {
    node.copyInputQueue();
  }

  @Override
  public Collection<Operation> destroyInputQueue() {
    return node.destroyInputQueue();
  }

  @Override
  public void setupResend() {
    node.setupResend();
  }

  @Override
  public void transitionWriteItem() {
    node.transitionWriteItem();
  }

  @Override
  public Operation getCurrentReadOp() {
    return node.getCurrentReadOp();
  }

  @Override
  public Operation removeCurrentReadOp() {
    return node.removeCurrentReadOp();
  }

  @Override
  public Operation getCurrentWriteOp() {
    return node.getCurrentWriteOp();
  }

  @Override
  public Operation removeCurrentWriteOp() {
    return node.removeCurrentWriteOp();
  }

  @Override
  public boolean hasReadOp() {
    return node.hasReadOp();
  }

  @Override
  public boolean hasWriteOp() {
    return node.hasWriteOp();
  }

  @Override
  public void addOp(Operation op) {
    node.addOp(op);
  }

  @Override
  public void insertOp(Operation o) {
    node.insertOp(o);
  }

  @Override
  public ByteBuffer getRbuf() {
    return node.getRbuf();
  }

  @Override
  public ByteBuffer getWbuf() {
    return node.getWbuf();
  }

  @Override
  public SocketAddress getSocketAddress() {
    return node.getSocketAddress();
  }

  @Override
  public boolean isActive() {
    return node.isActive();
  }

  @Override
  public boolean isAuthenticated() {
    return node.isAuthenticated();
  }

  @Override
  public long lastReadDelta() {
    return node.lastReadDelta();
  }

  @Override
  public void completedRead() {
    node.completedRead();
  }

  @Override
  public void reconnecting() {
    node.reconnecting();
  }

  @Override
  public void connected() {
    node.connected();
  }

  @Override
  public int getReconnectCount() {
    return node.getReconnectCount();
  }

  @Override
  public void registerChannel(SocketChannel ch, SelectionKey selectionKey) {
    node.registerChannel(ch, selectionKey);
  }

  @Override
  public void setChannel(SocketChannel to) {
    node.setChannel(to);
  }

  @Override
  public SocketChannel getChannel() {
    return node.getChannel();
  }

  @Override
  public void setSk(SelectionKey to) {
    node.setSk(to);
  }

  @Override
  public SelectionKey getSk() {
    return node.getSk();
  }

  @Override
  public int getBytesRemainingToWrite() {
    return node.getBytesRemainingToWrite();
  }

  @Override
  public void authComplete() {
    node.authComplete();
  }

  @Override
  public void setupForAuth() {
    node.setupForAuth();
  }

  @Override
  public void setContinuousTimeout(boolean timedOut) {
    node.setContinuousTimeout(timedOut);
  }

  @Override
  public int getContinuousTimeout() {
    return node.getContinuousTimeout();
  }

  @Override
  public MemcachedConnection getConnection() {
    return node.getConnection();
  }

  @Override
  public void setConnection(MemcachedConnection connection) {
    node.setConnection(connection);
  }

  @Override
  public String toString() {
    return node.toString();
  }
}
