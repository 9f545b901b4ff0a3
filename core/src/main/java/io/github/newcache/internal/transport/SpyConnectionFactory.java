package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.ConnectionSettings;
import io.github.newcache.internal.config.TransportSettings;
import io.github.newcache.internal.transport.tls.TlsContext;
import io.github.newcache.internal.transport.tls.TlsSocketChannel;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.channels.SocketChannel;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import net.spy.memcached.ConnectionObserver;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.KetamaConnectionFactory;
import net.spy.memcached.KetamaNodeKeyFormatter;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.auth.AuthDescriptor;
import net.spy.memcached.auth.PlainCallbackHandler;
import net.spy.memcached.ops.Operation;

/**
 * spymemcached's connection settings, from ours. Extends {@link KetamaConnectionFactory} because
 * spymemcached 2.12.3's {@code ConnectionFactoryBuilder} cannot choose the ketama node key format:
 * the libmemcached format ({@code host:port-i}, port left out when 11211) puts every key on the
 * same server as libmemcached, pylibmc and php-memcached do with the same server list.
 *
 * <p>Bounded queues: the input and write queues of each server hold at most {@code opQueueSize}
 * operations (the IO thread only moves what fits from one to the other), and all three of a
 * server's queues together at most {@code opQueueBytes} ({@link BudgetedQueue}); a caller waits at
 * most {@code opQueueWait} for room before spymemcached throws {@link IllegalStateException} from
 * the call that enqueues. The read queue holds only what was written to the socket, which the
 * kernel's socket buffers bound, and counts against the bytes.
 *
 * <p>Completion listeners run on the IO thread ({@link #getListenerExecutorService}): the only
 * listener is {@link OperationWait}'s, which just wakes the waiting caller (gets, sets and deletes
 * report to callbacks of ours instead, {@link Awaited} and {@link AsyncFlights}, which do the same).
 * Keys are placed with spymemcached's ketama, looked up through {@link KetamaRing}. spymemcached's own
 * operation timeout, which drops operations that waited unsent that long, is set past the longest
 * wait {@link OperationWait} can make, so only the caller's timeout ever gives up on an operation.
 *
 * <p>spymemcached's IO loop is a {@link PromptConnection}, which writes a request to an idle
 * connection in the turn that takes it in instead of one turn later; each plain connection is a
 * {@link ReadingNode}, which the selector watches for answers all the time it is connected.
 *
 * <p>TLS: with a {@link TlsContext}, every node is a {@link TlsMemcachedNode}, which hands
 * spymemcached a {@link TlsSocketChannel} over each connection it makes; the handshake may take
 * the operation timeout (at least {@link ServerCheck#TIMEOUT_MILLIS}).
 */
final class SpyConnectionFactory extends KetamaConnectionFactory {

  private final TransportSettings settings;
  private final ConnectionObserver observer;
  /** Told when a server's TLS handshake is done. */
  private final Consumer<InetSocketAddress> secured;
  /** TLS for every connection, or null. */
  private final TlsContext tls;
  private final ConnectionSettings connection;
  private final OperationFactory operations;
  private volatile NodeLocator locator;
  private volatile MemcachedConnection client;
  private final Map<SocketAddress, QueueBudget> budgets = new ConcurrentHashMap<>();
  /** The budget the queues being created belong to (nodes are created one at a time). */
  private QueueBudget creating;

  /**
   * @param observer told when a server's connection is made (TCP) and lost
   * @param secured told when a server's connection is made over TLS: its handshake is done
   * @param tls TLS for every connection, or null for plain TCP
   */
  SpyConnectionFactory(
      TransportSettings settings, ConnectionObserver observer, Consumer<InetSocketAddress> secured, TlsContext tls) {
    super(
        settings.connection().opQueueSize(),
        DEFAULT_READ_BUFFER_SIZE,
        settings.connection().opQueueWaitMillis(),
        DefaultHashAlgorithm.KETAMA_HASH,
        KetamaNodeKeyFormatter.Format.LIBMEMCACHED,
        new HashMap<>());
    this.settings = settings;
    this.observer = observer;
    this.secured = secured;
    this.tls = tls;
    this.connection = settings.connection();
    this.operations = BatchClones.factory(settings.binary());
  }

  /** The locator spymemcached routes with, to find the server of a key; null before connecting. */
  NodeLocator locator() {
    return locator;
  }

  /** The connection spymemcached runs, once the client made it; null before. */
  MemcachedConnection memcachedConnection() {
    return client;
  }

  @Override
  public MemcachedConnection createConnection(List<InetSocketAddress> addrs) throws IOException {
    MemcachedConnection c = PromptConnection.available()
        ? new PromptConnection(getReadBufSize(), this, addrs, getInitialObservers(), getFailureMode(), getOperationFactory())
        : super.createConnection(addrs);
    client = c;
    return c;
  }

  @Override
  public NodeLocator createLocator(List<MemcachedNode> nodes) {
    NodeLocator l = new KetamaRing(super.createLocator(nodes), nodes, getKetamaNodeKeyFormat());
    locator = l;
    return l;
  }

  @Override
  public MemcachedNode createMemcachedNode(SocketAddress sa, SocketChannel c, int bufSize) {
    synchronized (this) {
      creating = budgets.computeIfAbsent(sa, a -> new QueueBudget(connection.opQueueBytes()));
      if (tls == null) {
        return new ReadingNode(super.createMemcachedNode(sa, c, bufSize));
      }
      InetSocketAddress server = (InetSocketAddress) sa;
      long handshakeMillis = Math.max(settings.opTimeoutMillis(), ServerCheck.TIMEOUT_MILLIS);
      return new TlsMemcachedNode(
          ch -> super.createMemcachedNode(sa, ch, bufSize), c, raw -> new TlsSocketChannel(raw, tls, server, handshakeMillis, () -> secured.accept(server)));
    }
  }

  @Override
  public BlockingQueue<Operation> createOperationQueue() {
    return new BudgetedQueue(connection.opQueueSize(), creating, true, true);
  }

  @Override
  public BlockingQueue<Operation> createWriteOperationQueue() {
    // Linked, like spymemcached's default write queue: separate locks for the callers that add
    // and the IO thread that takes, which matters with many threads; bounded unlike the default.
    return new BudgetedQueue(connection.opQueueSize(), creating, false, true);
  }

  @Override
  public BlockingQueue<Operation> createReadOperationQueue() {
    return new BudgetedQueue(Integer.MAX_VALUE, creating, false, false);
  }

  /** The bounds on what waits for one server, for messages. */
  String queueLimits() {
    return "at most " + connection.opQueueSize() + " operations and " + connection.opQueueBytes()
        + " bytes; waited " + connection.opQueueWaitMillis() + " ms (opQueueSize/opQueueBytes/opQueueWait)";
  }

  /** Bytes now waiting for {@code server} (its queues' count), for tests and messages. */
  long queuedBytes(SocketAddress server) {
    QueueBudget b = budgets.get(server);
    return b == null ? 0 : b.bytes();
  }

  @Override
  public long getOpQueueMaxBlockTime() {
    return connection.opQueueWaitMillis();
  }

  @Override
  public long getOperationTimeout() {
    return settings.opTimeoutMillis() + ClientPauses.MAX_FORGIVEN_MILLIS;
  }

  @Override
  public Collection<ConnectionObserver> getInitialObservers() {
    return List.of(observer);
  }

  @Override
  public ExecutorService getListenerExecutorService() {
    return DIRECT;
  }

  @Override
  public boolean isDefaultExecutorService() {
    return false; // nothing to shut down
  }

  @Override
  public FailureMode getFailureMode() {
    return switch (connection.failureMode()) {
      case ConnectionSettings.REDISTRIBUTE -> FailureMode.Redistribute;
      case ConnectionSettings.RETRY -> FailureMode.Retry;
      default -> FailureMode.Cancel;
    };
  }

  @Override
  public long getMaxReconnectDelay() {
    return connection.maxReconnectDelaySeconds();
  }

  @Override
  public boolean isDaemon() {
    return true;
  }

  @Override
  public OperationFactory getOperationFactory() {
    return operations;
  }

  @Override
  public AuthDescriptor getAuthDescriptor() {
    return settings.username() == null
        ? null
        // PLAIN only: typical() offers CRAM-MD5 first, which a PLAIN-only server refuses.
        : new AuthDescriptor(
            new String[] {"PLAIN"}, new PlainCallbackHandler(settings.username(), settings.password().reveal()));
  }

  /**
   * Runs each task in the calling thread: completion listeners only unpark a waiting caller or
   * complete a future. spymemcached hands each listener to {@code submit}, so that runs it at once
   * too, without the FutureTask the default wraps it in (one per operation); as a FutureTask would,
   * it keeps a listener's exception from the IO thread and returns it in the future.
   */
  private static final ExecutorService DIRECT =
      new AbstractExecutorService() {
        @Override
        public void execute(Runnable task) {
          task.run();
        }

        @Override
        public Future<?> submit(Runnable task) {
          try {
            task.run();
            return DONE;
          } catch (RuntimeException | Error e) {
            return CompletableFuture.failedFuture(e);
          }
        }

        @Override
        public void shutdown() {}

        @Override
        public List<Runnable> shutdownNow() {
          return List.of();
        }

        @Override
        public boolean isShutdown() {
          return false;
        }

        @Override
        public boolean isTerminated() {
          return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
          return true;
        }
      };

  private static final Future<?> DONE = CompletableFuture.completedFuture(null);

  @Override
  public String toString() {
    // spymemcached logs its factory; never let it print credentials.
    return "SpyConnectionFactory" + settings.servers();
  }
}
