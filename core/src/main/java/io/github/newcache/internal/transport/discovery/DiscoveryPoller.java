package io.github.newcache.internal.transport.discovery;

import io.github.newcache.internal.transport.tls.OpenSockets;
import io.github.newcache.internal.transport.tls.ServerConnector;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import javax.cache.CacheException;

/**
 * Follows an ElastiCache configuration endpoint: fetches the node list when it starts (an error
 * that names the endpoint when it cannot), then every {@code intervalMillis} on a daemon thread,
 * and tells its {@link Listener} when the list changed. The client side of auto discovery,
 * independent of any memcached client library: the listener decides what a change means (a new
 * ring, new connections).
 *
 * <p>Which answers count: a higher version with other nodes (or other IP addresses) is a change;
 * the same version with other nodes too (an endpoint that restarted its numbering); a lower
 * version is stale (a node that has not seen the latest change yet) and is ignored. A failed poll
 * keeps the last list, is counted ({@link #failures()}) and logged at most once per minute; the
 * next poll tries again. So is an answer that lists no nodes (at start, it is an error). A change the listener cannot apply (it throws) is not taken over either:
 * the next poll offers it again. The endpoint's host name is resolved on every poll, so an
 * endpoint that moves (a DNS alias to one of the nodes) is followed.
 */
public final class DiscoveryPoller implements AutoCloseable {

  /** Told about node list changes, on the poller's thread. */
  @FunctionalInterface
  public interface Listener {
    void changed(ClusterConfig previous, ClusterConfig current);
  }

  private static final System.Logger LOG = System.getLogger("io.github.newcache.discovery");
  private static final long LOG_EVERY_NANOS = TimeUnit.MINUTES.toNanos(1);

  private final String host;
  private final int port;
  private final ServerConnector connector;
  private final int timeoutMillis;
  private final Listener listener;
  private final ScheduledExecutorService timer;
  /** The poll's socket: closed by {@link #close}, so a poll blocked on the endpoint ends at once. */
  private final OpenSockets sockets = OpenSockets.create();
  private volatile Thread thread;
  private final AtomicLong failures = new AtomicLong();
  private final AtomicLong polls = new AtomicLong();
  private volatile ClusterConfig current;
  private volatile String lastError;
  private long lastLogNanos;
  /** When a change that could not be applied was last logged. */
  private long lastChangeLogNanos;
  /** Polls in a row that must answer the same lower version before it is followed. */
  static final int POLLS_TO_GO_BACK = 3;
  /** The lower version the last polls answered, and how many in a row did. */
  private ClusterConfig lower;
  private int lowerPolls;
  /** The nodes of the change the last poll failed to apply, or null. */
  private List<ClusterConfig.Node> lastFailedNodes;

  private DiscoveryPoller(
      String host, int port, ServerConnector connector, int timeoutMillis, Listener listener, ClusterConfig first) {
    this.host = host;
    this.port = port;
    this.connector = connector;
    this.timeoutMillis = timeoutMillis;
    this.listener = listener;
    this.current = first;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "newcache-discovery " + host + ":" + port);
      t.setDaemon(true);
      thread = t;
      return t;
    });
  }

  /**
   * Fetches the node list from {@code host:port} and starts polling it every {@code
   * intervalMillis}. Throws a {@link CacheException} naming the endpoint when the first fetch
   * fails: a manager cannot start without its servers. The listener is not called for the first
   * list; read it with {@link #current()}.
   */
  public static DiscoveryPoller start(
      String host, int port, ServerConnector connector, long intervalMillis, int timeoutMillis, Listener listener) {
    if (intervalMillis < 1) {
      throw new IllegalArgumentException("discovery interval must be positive: " + intervalMillis);
    }
    ClusterConfig first;
    try {
      first = ConfigEndpoint.fetch(new InetSocketAddress(host, port), connector, timeoutMillis);
    } catch (IOException | IllegalArgumentException e) {
      throw new CacheException(
          "cannot read the cluster's nodes from configuration endpoint " + host + ":" + port + ": " + e.getMessage(), e);
    }
    if (first.nodes().isEmpty()) {
      throw new CacheException("configuration endpoint " + host + ":" + port + " lists no nodes");
    }
    DiscoveryPoller p = new DiscoveryPoller(host, port, connector, timeoutMillis, listener, first);
    Future<?> unused = p.timer.scheduleWithFixedDelay(p::pollOnTimer, intervalMillis, intervalMillis, TimeUnit.MILLISECONDS);
    return p;
  }

  /** The node list now in use. */
  public ClusterConfig current() {
    return current;
  }

  /** Polls failed since start. */
  public long failures() {
    return failures.get();
  }

  /** Polls done since start (successful or not). */
  public long polls() {
    return polls.get();
  }

  /** The last poll's error, or null when the last poll succeeded. */
  public String lastError() {
    return lastError;
  }

  /**
   * A poll on the timer: whatever it throws is counted and logged, never thrown, since a periodic
   * task that throws is never run again and the list would stop being followed without a word.
   */
  private synchronized void pollOnTimer() {
    try {
      poll();
    } catch (RuntimeException | Error e) {
      failed(e.toString());
    }
  }

  /** One poll, now, in the caller's thread (tests; an operator's "refresh"). */
  public synchronized void poll() {
    polls.incrementAndGet();
    ClusterConfig next;
    try {
      next = ConfigEndpoint.fetch(new InetSocketAddress(host, port), connector, timeoutMillis, sockets);
    } catch (IOException | RuntimeException e) {
      if (!sockets.closed()) { // else closed under the poll: not the endpoint's failure
        failed(e.toString());
      }
      return;
    }
    if (next.nodes().isEmpty()) {
      failed("configuration endpoint " + host + ":" + port + " lists no nodes (version " + next.version() + ")");
      return;
    }
    lastError = null;
    ClusterConfig previous = current;
    if (backwards(previous, next)) {
      return; // stale: keep what works
    }
    if (sameNodes(previous.nodes(), next.nodes())) {
      if (next.version() != previous.version()) {
        current = next;
      }
      return;
    }
    // A change that failed to apply is offered again at every poll: said again once a minute.
    boolean again = next.nodes().equals(lastFailedNodes);
    long now = System.nanoTime();
    boolean say = !again || now - lastChangeLogNanos > LOG_EVERY_NANOS;
    if (say) {
      LOG.log(System.Logger.Level.INFO,
          "cluster at " + host + ":" + port + " changed from version " + previous.version() + " "
              + previous.identities() + " to version " + next.version() + " " + next.identities());
    }
    try {
      listener.changed(previous, next);
      current = next;
      lastFailedNodes = null;
    } catch (RuntimeException | Error e) {
      // not taken over: the next poll sees the same change and tries again (also after an Error,
      // say no native thread left for the new generation's connections: polling goes on)
      failures.incrementAndGet();
      lastError = e.toString();
      lastFailedNodes = next.nodes();
      if (say) {
        lastChangeLogNanos = now;
        LOG.log(System.Logger.Level.ERROR,
            "cannot follow the cluster change to " + next.identities() + " (kept " + previous.identities()
                + "; trying again at every poll, said again once a minute)", e);
      }
    }
  }

  /** A poll that failed: counted, kept as {@link #lastError}, logged at most once a minute. */
  private void failed(String error) {
    failures.incrementAndGet();
    lastError = error;
    long now = System.nanoTime();
    if (lastLogNanos == 0 || now - lastLogNanos > LOG_EVERY_NANOS) {
      lastLogNanos = now;
      LOG.log(System.Logger.Level.WARNING,
          "cannot poll configuration endpoint " + host + ":" + port + " (" + failures.get()
              + " failed polls so far; keeping " + current.nodes().size() + " nodes): " + error);
    }
  }

  /**
   * True for an answer whose version is lower than the current one: stale (an endpoint that lags
   * behind), until the same lower answer has come {@value #POLLS_TO_GO_BACK} polls in a row. Then
   * the cluster was created again under the same endpoint, and its versions started over: ignored
   * for good, its nodes would never be followed.
   */
  private boolean backwards(ClusterConfig previous, ClusterConfig next) {
    if (next.version() >= previous.version()) {
      lower = null;
      lowerPolls = 0;
      return false;
    }
    if (lower == null || lower.version() != next.version() || !sameNodes(lower.nodes(), next.nodes())) {
      lower = next;
      lowerPolls = 0;
    }
    if (++lowerPolls < POLLS_TO_GO_BACK) {
      return true;
    }
    LOG.log(System.Logger.Level.WARNING,
        "cluster at " + host + ":" + port + " answered version " + next.version() + " " + next.identities()
            + ", lower than version " + previous.version() + ", at " + lowerPolls + " polls in a row: taking it as"
            + " a cluster created again, whose versions started over");
    lower = null;
    lowerPolls = 0;
    return false;
  }

  private static boolean sameNodes(List<ClusterConfig.Node> a, List<ClusterConfig.Node> b) {
    return a.equals(b);
  }

  /**
   * Stops polling and waits (at most {@value Stopping#WAIT_MILLIS} ms) for a poll in progress to
   * end: its socket is closed, so a connect, TLS handshake or read blocked on the endpoint fails at
   * once (an interrupt would not end it: the read timeout is up to 10 s), and the interrupt ends a
   * change being applied (the listener's build of a generation). Only a DNS lookup of the
   * endpoint's name cannot be stopped; a poll still in one after the wait ends with it (logged).
   */
  @Override
  public void close() {
    sockets.close();
    if (!Stopping.stop(timer, thread) && Thread.currentThread() != thread) {
      LOG.log(System.Logger.Level.WARNING, "the poller of configuration endpoint " + host + ":" + port
          + " did not stop within " + Stopping.WAIT_MILLIS + " ms (a DNS lookup that does not return?); it ends with it");
    }
  }
}
