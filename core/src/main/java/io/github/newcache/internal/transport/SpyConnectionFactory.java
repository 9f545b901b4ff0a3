package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.ConnectionSettings;
import io.github.newcache.internal.config.TransportSettings;
import java.util.HashMap;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicInteger;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.FailureMode;
import net.spy.memcached.KetamaConnectionFactory;
import net.spy.memcached.KetamaNodeKeyFormatter;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.auth.AuthDescriptor;
import net.spy.memcached.auth.PlainCallbackHandler;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.protocol.ascii.AsciiOperationFactory;
import net.spy.memcached.protocol.binary.BinaryOperationFactory;

/**
 * spymemcached's connection settings, from ours. Extends {@link KetamaConnectionFactory} because
 * spymemcached 2.12.3's {@code ConnectionFactoryBuilder} cannot choose the ketama node key format:
 * the libmemcached format ({@code host:port-i}, port left out when 11211) puts every key on the
 * same server as libmemcached, pylibmc and php-memcached do with the same server list.
 *
 * <p>Bounded queues: the input and write queues of each server hold at most {@code opQueueSize}
 * operations (the IO thread only moves what fits from one to the other), and a caller waits at
 * most {@code opQueueWait} for room before spymemcached throws {@link IllegalStateException} from
 * the call that enqueues. The read queue holds only what was written to the socket, which the
 * kernel's socket buffers bound.
 */
final class SpyConnectionFactory extends KetamaConnectionFactory {

  private final TransportSettings settings;
  private final ConnectionSettings connection;
  private final OperationFactory operations;
  private volatile NodeLocator locator;
  /**
   * Runs spymemcached's completion listeners (the non-blocking operations' callbacks): a fixed pool
   * of daemon threads, since spymemcached's default pool never grows past one thread.
   */
  private final ExecutorService callbacks;

  SpyConnectionFactory(TransportSettings settings) {
    super(
        settings.connection().opQueueSize(),
        DEFAULT_READ_BUFFER_SIZE,
        settings.connection().opQueueWaitMillis(),
        DefaultHashAlgorithm.KETAMA_HASH,
        KetamaNodeKeyFormatter.Format.LIBMEMCACHED,
        new HashMap<>());
    this.settings = settings;
    this.connection = settings.connection();
    this.operations = settings.binary() ? new BinaryOperationFactory() : new AsciiOperationFactory();
    AtomicInteger threads = new AtomicInteger();
    this.callbacks =
        Executors.newFixedThreadPool(
            CALLBACK_THREADS,
            r -> {
              Thread t = new Thread(r, "newcache-callback-" + threads.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
  }

  /** Threads running completion callbacks. */
  static final int CALLBACK_THREADS = 2;

  @Override
  public ExecutorService getListenerExecutorService() {
    return callbacks;
  }

  /** Ours to shut down, as spymemcached does not shut down an executor it did not create. */
  @Override
  public boolean isDefaultExecutorService() {
    return false;
  }

  ExecutorService callbacks() {
    return callbacks;
  }

  /** The locator spymemcached routes with, to find the server of a key; null before connecting. */
  NodeLocator locator() {
    return locator;
  }

  @Override
  public NodeLocator createLocator(List<MemcachedNode> nodes) {
    NodeLocator l = super.createLocator(nodes);
    locator = l;
    return l;
  }

  @Override
  public BlockingQueue<Operation> createWriteOperationQueue() {
    // Linked, like spymemcached's default write queue: separate locks for the callers that add
    // and the IO thread that takes, which matters with many threads; bounded unlike the default.
    return new LinkedBlockingQueue<>(connection.opQueueSize());
  }

  @Override
  public long getOpQueueMaxBlockTime() {
    return connection.opQueueWaitMillis();
  }

  @Override
  public long getOperationTimeout() {
    return settings.opTimeoutMillis();
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

  @Override
  public String toString() {
    // spymemcached logs its factory; never let it print credentials.
    return "SpyConnectionFactory" + settings.servers();
  }
}
