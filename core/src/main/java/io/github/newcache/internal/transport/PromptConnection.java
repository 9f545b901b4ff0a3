package io.github.newcache.internal.transport;

import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.InetSocketAddress;
import java.nio.channels.SelectionKey;
import java.util.Collection;
import java.util.List;
import net.spy.memcached.ConnectionFactory;
import net.spy.memcached.ConnectionObserver;
import net.spy.memcached.FailureMode;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.OperationFactory;

/**
 * spymemcached's IO loop, with a new request to an idle connection written in the turn that takes
 * it in. spymemcached 2.12.3 moves a connection's new operations to its write queue and then asks
 * the selector to report the socket writable: one more turn of the loop and two more system calls
 * ({@code epoll_ctl}, {@code epoll_wait}) before the request leaves. On a connection with nothing
 * in flight, which is every call of a single thread, that turn is pure delay: the socket is
 * writable. Here, at the start of a turn in which callers added operations, the IO thread writes
 * them itself to each plain connection that is idle (nothing being written, nothing waiting for an
 * answer), with the node methods spymemcached's own write calls, in the same order, and sets the
 * selector's interest for what follows; spymemcached then runs its turn as before, with nothing
 * left to write there.
 *
 * <p>A connection with requests in flight keeps spymemcached's path: the turn's delay lets the
 * requests of other callers gather into one write, which a loaded client needs (writing each at once
 * costs more system calls, and memcached more reads, than it saves). Only the IO thread writes, as
 * in spymemcached: which thread touches a connection's buffers and queues does not change. TLS
 * connections ({@link TlsMemcachedNode}, whose handshake decides when plaintext may flow) and
 * connections that are connecting or reconnecting keep spymemcached's path too. A write that fails
 * is left where it is: spymemcached's own write meets the failure on the next turn and reconnects,
 * as it would have.
 *
 * <p>spymemcached counts the turns woken with nothing ready in a row (its guard against a selector
 * that spins: past 256, it handles every connection on every such turn and takes down each one on
 * which nothing was ever ready), and a turn that reported a socket writable ended the row. A turn
 * here that takes operations in stands for that turn and ends the row too: otherwise requests
 * cancelled before they are written (an interrupted caller, a refused batch), which leave nothing
 * to write, would lengthen it by one each. The count is spymemcached's private field; when it
 * cannot be reached (another spymemcached), the connection is spymemcached's own ({@link
 * #available}).
 */
final class PromptConnection extends MemcachedConnection {

  /** spymemcached's {@code emptySelects}, or null when it cannot be reached. */
  private static final VarHandle EMPTY_TURNS = emptyTurnsField();

  PromptConnection(int bufSize, ConnectionFactory f, List<InetSocketAddress> servers,
      Collection<ConnectionObserver> observers, FailureMode mode, OperationFactory operations) throws IOException {
    super(bufSize, f, servers, observers, mode, operations);
  }

  /** True when this connection can be used in place of spymemcached's own. */
  static boolean available() {
    return EMPTY_TURNS != null;
  }

  /** spymemcached's count of turns woken with nothing ready, in a row; for tests. */
  int emptyTurns() {
    return (int) EMPTY_TURNS.get(this);
  }

  @Override
  public void handleIO() throws IOException {
    // addedQueue: the connections callers added operations to since the last turn (spymemcached's)
    if (!shutDown && !addedQueue.isEmpty()) {
      for (MemcachedNode node : locator.getAll()) {
        if (node instanceof ReadingNode plain && plain.isActive()) {
          if (writeIfIdle(plain)) {
            EMPTY_TURNS.set(this, 0);
          }
        }
      }
    }
    super.handleIO();
  }

  /** Writes what waits for {@code node} when it is idle; true when it took operations in. */
  private static boolean writeIfIdle(ReadingNode node) {
    SelectionKey key = node.getSk();
    if (key == null || !key.isValid() || node.awaitsAnswer() || node.hasWriteOp() || node.getBytesRemainingToWrite() > 0) {
      return false;
    }
    node.copyInputQueue();
    if (!node.hasWriteOp()) {
      return false;
    }
    try {
      node.fillWriteBuffer(false); // spymemcached's shouldOptimize, false in our factory
      boolean more = node.getBytesRemainingToWrite() > 0;
      while (more) {
        int wrote = node.writeSome();
        node.fillWriteBuffer(false);
        more = wrote > 0 && node.getBytesRemainingToWrite() > 0;
      }
    } catch (IOException | RuntimeException e) {
      // Left to spymemcached: the selector reports the failed socket, whose read or write on the
      // next turn meets the failure and reconnects.
    }
    node.fixupOps();
    return true;
  }

  private static VarHandle emptyTurnsField() {
    try {
      return MethodHandles.privateLookupIn(MemcachedConnection.class, MethodHandles.lookup())
          .findVarHandle(MemcachedConnection.class, "emptySelects", int.class);
    } catch (ReflectiveOperationException | RuntimeException e) {
      return null;
    }
  }
}
