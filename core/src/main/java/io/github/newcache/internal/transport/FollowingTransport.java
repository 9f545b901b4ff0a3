package io.github.newcache.internal.transport;

import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import javax.cache.CacheException;

/**
 * A transport over a server list that changes while it runs: the nodes an ElastiCache
 * configuration endpoint lists, names that DNS moves to other addresses. spymemcached 2.12.3 fixes
 * a client's servers when it is made (a node's address is final, the ketama ring is built once),
 * so a change is followed by generations, as the issue 16 experiment showed works:
 *
 * <ol>
 *   <li>build the next generation, a whole transport for the new list, and let it connect
 *       ({@code SpyTransport}'s constructor waits for its servers), while callers keep using the
 *       current one. A server new to the ring must answer its check first: the keys it would take
 *       would otherwise fail until it does, while the current ring still serves them. Not for
 *       ever: one that has not answered at {@value #ATTEMPTS_TO_AWAIT_NEW} attempts in a row is
 *       taken in anyway (logged at WARNING); else one node that never comes up would hold back
 *       every later change, the removal of dead nodes included, while the clients that do reach
 *       it follow the list and place keys elsewhere;
 *   <li>switch: operations that start from now on use the new generation. Ketama places servers by
 *       {@code host:port} as written, so a key whose server stayed is on the same server in both
 *       generations, and its operations reach the same memcached either way;
 *   <li>retire the old generation once nothing started on it can still be running: after a grace
 *       period longer than an operation may take, it is closed.
 * </ol>
 *
 * An operation that took the old generation just before the switch and reached it only after it
 * was closed (a caller paused for longer than the grace period) is retried once on the current
 * generation. Changes are applied one at a time, on the thread that reports them (the discovery
 * poller, the DNS watcher). A generation that cannot be built (a new node refuses TLS or does not
 * answer) throws and leaves the current one in place, so the reporter can try again.
 *
 * <p>Costs: one volatile read per operation; during a change, a second set of connections for the
 * grace period (every server reconnects, also those that stayed).
 */
final class FollowingTransport extends ForwardingTransport {

  /** Builds a connected transport for a server list. */
  @FunctionalInterface
  interface Generations {
    /**
     * A transport for {@code servers}, connected as far as it can be.
     *
     * @param servers the servers, resolved (host as written, address as found)
     * @param joining those of {@code servers} new to the ring ({@code host:port} not in the current
     *     generation; none for the first) that must answer: the build fails unless each does,
     *     with a {@link StartupChecks.NewServersSilent} naming those that did not
     * @return the transport
     */
    MemcachedTransport connect(List<InetSocketAddress> servers, List<InetSocketAddress> joining);
  }

  private static final System.Logger LOG = System.getLogger("io.github.newcache.servers");

  /**
   * Attempts in a row (one per poll that lists it) at which a server new to the ring may hold a
   * change back by not answering: enough for a node that is slow to come up, and a bound on how
   * long the fleet's clients may place keys differently.
   */
  static final int ATTEMPTS_TO_AWAIT_NEW = 3;

  /** One transport and the servers it was built for. */
  private static final class Generation {
    final long number;
    final List<InetSocketAddress> servers;
    final MemcachedTransport transport;
    volatile boolean closed;

    Generation(long number, List<InetSocketAddress> servers, MemcachedTransport transport) {
      this.number = number;
      this.servers = List.copyOf(servers);
      this.transport = transport;
    }

    synchronized void close() {
      if (!closed) {
        closed = true;
        transport.close();
      }
    }
  }

  private final Generations generations;
  private final long graceMillis;
  private final ScheduledThreadPoolExecutor retirements;
  /**
   * Runs the stages callers add to the futures handed out: the manager's own threads, since the
   * transports of a generation close with it.
   */
  private final ExecutorService callbacks = CallbackThreads.pool();
  private final Executor continuations = CallbackThreads.orInline(callbacks);
  private final List<Generation> retiring = new CopyOnWriteArrayList<>();
  private final List<AutoCloseable> followers = new CopyOnWriteArrayList<>();
  private volatile Generation current;
  private volatile boolean closed;
  /**
   * The new servers ({@code host:port}) that did not answer at the last attempt, with how many
   * attempts in a row they did not; guarded by this.
   */
  private Map<String, Integer> silent = new HashMap<>();

  /**
   * Builds the first generation for {@code servers}.
   *
   * @param generations builds a connected transport for a server list
   * @param servers the first servers, resolved
   * @param graceMillis how long a retired generation stays open: longer than any operation takes
   */
  FollowingTransport(Generations generations, List<InetSocketAddress> servers, long graceMillis) {
    this.generations = generations;
    this.graceMillis = graceMillis;
    this.current = new Generation(1, servers, generations.connect(servers, List.of()));
    this.retirements = new ScheduledThreadPoolExecutor(1, r -> {
      Thread t = new Thread(r, "newcache-retire");
      t.setDaemon(true);
      return t;
    });
    this.retirements.setRemoveOnCancelPolicy(true);
  }

  /** Closed with this transport: what reports changes (the discovery poller, the DNS watcher). */
  void closeWith(AutoCloseable follower) {
    followers.add(follower);
  }

  /**
   * Switches to a generation for {@code servers} unless they are the current ones (same names,
   * ports and addresses, in order). Throws when the new generation cannot be built, also when a
   * server new to the ring does not answer (at most {@value #ATTEMPTS_TO_AWAIT_NEW} times in a row
   * for one server); the current one stays.
   *
   * @param servers the new server list, resolved
   * @return true when a new generation took over
   */
  synchronized boolean follow(List<InetSocketAddress> servers) {
    Generation old = current;
    if (closed || same(old.servers, servers)) {
      return false;
    }
    List<InetSocketAddress> joining = joining(old.servers, servers);
    List<InetSocketAddress> awaited = awaited(joining);
    MemcachedTransport next;
    try {
      next = generations.connect(servers, awaited);
    } catch (StartupChecks.NewServersSilent e) {
      Map<String, Integer> still = new HashMap<>(); // the others answered, or are no longer listed
      for (InetSocketAddress s : e.servers()) {
        still.put(key(s), silent.getOrDefault(key(s), 0) + 1);
      }
      silent = still;
      throw e;
    }
    if (closed) {
      // close() interrupted this build: closing it must not see the interrupt (spymemcached's
      // shutdown would give up waiting for its queues and throw)
      boolean interrupted = Thread.interrupted();
      try {
        next.close();
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      return false;
    }
    for (InetSocketAddress s : joining) {
      if (!awaited.contains(s)) {
        LOG.log(System.Logger.Level.WARNING, "memcached at " + NodeBreakers.name(s) + ", new in the server list,"
            + " did not answer at " + silent.get(key(s)) + " attempts in a row to follow the list: it is followed"
            + " without waiting any longer; the node's keys fail as failureMode says until it answers");
      }
    }
    silent = new HashMap<>();
    current = new Generation(old.number + 1, servers, next);
    LOG.log(System.Logger.Level.INFO,
        "memcached servers changed from " + names(old.servers) + " to " + names(servers) + " (generation "
            + current.number + "); the previous connections close in " + graceMillis + " ms");
    retiring.add(old);
    Future<?> unused = retirements.schedule(() -> {
      old.close();
      retiring.remove(old);
    }, graceMillis, TimeUnit.MILLISECONDS);
    return true;
  }

  /** The servers of the current generation. */
  List<InetSocketAddress> servers() {
    return current.servers;
  }

  /** The current generation's number: 1 at start, one more for each change followed. */
  long generation() {
    return current.number;
  }

  /** The servers of {@code next} whose {@code host:port}, their place in the ring, {@code ring} lacks. */
  private static List<InetSocketAddress> joining(List<InetSocketAddress> ring, List<InetSocketAddress> next) {
    List<String> known = new ArrayList<>(ring.size());
    for (InetSocketAddress s : ring) {
      known.add(key(s));
    }
    List<InetSocketAddress> out = new ArrayList<>();
    for (InetSocketAddress s : next) {
      if (!known.contains(key(s))) {
        out.add(s);
      }
    }
    return out;
  }

  /** Those of {@code joining} still awaited: not one that did not answer at the last attempts. */
  private List<InetSocketAddress> awaited(List<InetSocketAddress> joining) {
    List<InetSocketAddress> out = new ArrayList<>(joining.size());
    for (InetSocketAddress s : joining) {
      if (silent.getOrDefault(key(s), 0) < ATTEMPTS_TO_AWAIT_NEW) {
        out.add(s);
      }
    }
    return out;
  }

  private static String key(InetSocketAddress s) {
    return s.getHostString() + ":" + s.getPort();
  }

  private static boolean same(List<InetSocketAddress> a, List<InetSocketAddress> b) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int i = 0; i < a.size(); i++) {
      InetSocketAddress x = a.get(i);
      InetSocketAddress y = b.get(i);
      if (!x.getHostString().equals(y.getHostString()) || x.getPort() != y.getPort()
          || !Objects.equals(x.getAddress(), y.getAddress())) {
        return false;
      }
    }
    return true;
  }

  private static List<String> names(List<InetSocketAddress> servers) {
    List<String> out = new ArrayList<>(servers.size());
    for (InetSocketAddress s : servers) {
      out.add(s.getHostString() + ":" + s.getPort()
          + (s.getAddress() == null || s.getHostString().equals(s.getAddress().getHostAddress())
              ? "" : " (" + s.getAddress().getHostAddress() + ")"));
    }
    return out;
  }

  // ---------------------------------------------------------------- operations

  /**
   * The current generation's transport. Only what belongs to it goes there as it is ({@link
   * #charge}, {@link #chargeAll}; {@link #continueRead}, so a read's slow rest runs on its callback
   * threads while the stages callers add to this transport's futures run on its own); every
   * operation is overridden to run once more on the next generation when its own closed under it.
   */
  @Override
  MemcachedTransport delegate() {
    return current.transport;
  }

  /** Runs {@code op} on the current generation; once more on the next if its generation closed under it. */
  private <T> T call(Function<MemcachedTransport, T> op) {
    Generation g = current;
    try {
      return op.apply(g.transport);
    } catch (RuntimeException e) {
      Generation now = current;
      if (g.closed && now != g) {
        return op.apply(now.transport);
      }
      throw e;
    }
  }

  private <T> CompletableFuture<T> callAsync(Function<MemcachedTransport, CompletableFuture<T>> op) {
    Generation g = current;
    return op.apply(g.transport).exceptionallyCompose(e -> {
      Generation now = current;
      return g.closed && now != g ? op.apply(now.transport) : CompletableFuture.failedFuture(e);
    });
  }

  @Override
  public byte[] get(String key) {
    return call(t -> t.get(key));
  }

  @Override
  public Item gets(String key) {
    return call(t -> t.gets(key));
  }

  @Override
  public boolean readsInParts() {
    return current.transport.readsInParts();
  }

  @Override
  public Parts getParts(String key, int headLength) {
    return call(t -> t.getParts(key, headLength));
  }

  @Override
  public Parts[] getAllParts(List<String> keys, int[] headLengths) {
    return call(t -> t.getAllParts(keys, headLengths));
  }

  @Override
  public Map<String, byte[]> getAll(Collection<String> keys) {
    return call(t -> t.getAll(keys));
  }

  @Override
  public void set(String key, int ttl, byte[] value) {
    call(t -> {
      t.set(key, ttl, value);
      return null;
    });
  }

  @Override
  public void setParts(String key, int ttl, Parts value) {
    call(t -> {
      t.setParts(key, ttl, value);
      return null;
    });
  }

  @Override
  public void setAllParts(Map<String, Parts> values, int ttl) {
    call(t -> {
      t.setAllParts(values, ttl);
      return null;
    });
  }

  @Override
  public void setAll(Map<String, byte[]> values, int ttl) {
    call(t -> {
      t.setAll(values, ttl);
      return null;
    });
  }

  @Override
  public boolean add(String key, int ttl, byte[] value) {
    return call(t -> t.add(key, ttl, value));
  }

  @Override
  public CasOutcome cas(String key, long cas, int ttl, byte[] value) {
    return call(t -> t.cas(key, cas, ttl, value));
  }

  @Override
  public boolean delete(String key) {
    return call(t -> t.delete(key));
  }

  @Override
  public int deleteAll(Collection<String> keys) {
    return call(t -> t.deleteAll(keys));
  }

  @Override
  public void eachKey(String prefix, Consumer<String> each) {
    listing(each, (t, counted) -> t.eachKey(prefix, counted));
  }

  @Override
  public void eachKeyOfReachable(String prefix, Consumer<String> each, Consumer<CacheException> failed) {
    listing(each, (t, counted) -> t.eachKeyOfReachable(prefix, counted, failed));
  }

  /**
   * A listing, on the new generation when the one it ran on was closed under it, but only if it
   * had handed no key over yet: each key is handed over once.
   */
  private void listing(Consumer<String> each, BiConsumer<MemcachedTransport, Consumer<String>> list) {
    Generation g = current;
    long[] handed = new long[1];
    Consumer<String> counted = k -> {
      handed[0]++;
      each.accept(k);
    };
    try {
      list.accept(g.transport, counted);
    } catch (RuntimeException e) {
      Generation now = current;
      if (g.closed && now != g && handed[0] == 0) {
        list.accept(now.transport, counted);
        return;
      }
      throw e;
    }
  }

  @Override
  public Executor continuations() {
    return continuations;
  }

  @Override
  public CompletableFuture<byte[]> getAsync(String key) {
    return callAsync(t -> t.getAsync(key));
  }

  @Override
  public CompletableFuture<Item> getsAsync(String key) {
    return callAsync(t -> t.getsAsync(key));
  }

  @Override
  public CompletableFuture<Map<String, byte[]>> getAllAsync(Collection<String> keys) {
    return callAsync(t -> t.getAllAsync(keys));
  }

  @Override
  public CompletableFuture<Void> setAsync(String key, int ttl, byte[] value) {
    return callAsync(t -> t.setAsync(key, ttl, value));
  }

  @Override
  public CompletableFuture<Boolean> addAsync(String key, int ttl, byte[] value) {
    return callAsync(t -> t.addAsync(key, ttl, value));
  }

  @Override
  public CompletableFuture<CasOutcome> casAsync(String key, long cas, int ttl, byte[] value) {
    return callAsync(t -> t.casAsync(key, cas, ttl, value));
  }

  @Override
  public CompletableFuture<Boolean> deleteAsync(String key) {
    return callAsync(t -> t.deleteAsync(key));
  }

  /** Stops following (the reporters first), then closes every generation at once. */
  @Override
  public void close() {
    // Not under the lock: follow() holds it while it builds a generation (start checks of up to
    // a few seconds). Closing the followers interrupts such a build, which then ends at once and
    // closes what it built on seeing closed; the lock is free soon after.
    closed = true;
    for (AutoCloseable f : followers) {
      try {
        f.close();
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "closing " + f + " failed", e);
      }
    }
    synchronized (this) {
      retirements.shutdownNow();
      for (Generation g : retiring) {
        g.close();
      }
      current.close();
    }
    CallbackThreads.stop(callbacks); // after the generations failed what was in flight: their stages run
  }

  @Override
  public String toString() {
    return "FollowingTransport" + names(current.servers) + " (generation " + current.number + ")";
  }
}
