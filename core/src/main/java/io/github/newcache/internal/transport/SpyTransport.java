package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.TransportSettings;
import io.github.newcache.internal.transport.tls.ServerConnector;
import io.github.newcache.internal.transport.tls.TlsContext;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import javax.cache.CacheException;
import net.spy.memcached.CASResponse;
import net.spy.memcached.CASValue;
import net.spy.memcached.MemcachedClient;
import net.spy.memcached.MemcachedConnection;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationStatus;

/**
 * The {@link MemcachedTransport} over spymemcached: the only class that holds a spymemcached
 * client.
 *
 * <p>Failures, by default all fast: keys are spread with libmemcached-compatible ketama ({@link
 * SpyConnectionFactory}); a server whose connection is down fails its operations at once ({@code
 * failureMode=cancel}); a server that is connected but silent is found by {@link NodeBreakers} and
 * failed fast too; what waits for a server is bounded in operations and bytes; timeouts do not
 * count the client's own pauses ({@link OperationWait}); a write larger than its server stores fails
 * before it is sent ({@link ItemLimits}). Every failure is a {@link CacheException} that names the
 * server and the operation ({@link Flights}, the life of one operation). Starting checks every
 * server at once ({@link StartupChecks}).
 *
 * <p>With {@code tls=true} every connection is TLS: the client's ({@link TlsMemcachedNode}), the
 * checks' and the key listing's ({@link ServerConnector}), all with the same {@link TlsContext}.
 * The server list is fixed for the transport's life; {@link FollowingTransport} replaces the
 * whole transport when the list changes, and {@link ServerEvents} tells it when a connection is
 * lost, so names can be resolved again.
 */
public final class SpyTransport implements MemcachedTransport {

  static {
    // spymemcached reads this once, on first use; keep a user's own choice.
    if (System.getProperty("net.spy.log.LoggerImpl") == null) {
      System.setProperty("net.spy.log.LoggerImpl", SpyLogger.class.getName());
    }
  }

  private static final System.Logger LOG = System.getLogger("io.github.newcache.failures");

  /** How long close() waits for the checks of new connections it stopped (they end at once). */
  private static final long CLOSE_CHECKS_MILLIS = 500;
  /** How long close() lets pending writes drain before it drops the connections. */
  private static final long CLOSE_DRAIN_MILLIS = 250;
  /**
   * How long start waits at least for the connections of the servers that answered the check (at
   * most opTimeout when that is longer: they answered a moment ago, so only a very busy host makes
   * their connections slow, and failing the first operations then would help no one).
   */
  private static final long CONNECT_WAIT_MILLIS = 1000;

  private final MemcachedClient client;
  private final SpyConnectionFactory factory;
  private final TransportSettings settings;
  private final BytesTranscoder transcoder;
  private final List<InetSocketAddress> servers;
  private final KeyLister lister;
  private final NodeBreakers breakers;
  private final ItemLimits limits = new ItemLimits();
  private final ClientPauses pauses;
  private final Flights flights;
  private final AsyncFlights async;
  /** What accepted non-blocking writes hold for each server outside its queues. */
  private final PendingWrites pending;
  private final long timeoutMillis;
  private final boolean sasl;
  private final ServerConnector connector;
  private final ConnectionEvents connections;
  /** Works around memcached's TLS pipelining hang; null without TLS. */
  private final TlsNudges nudges;
  /** Blocking reads on the calling thread; null with SASL or {@code directGets=0}. */
  private final DirectGets direct;
  /**
   * Whether single-key gets go as meta gets ({@link MetaGetOperation}): the text protocol, and no
   * server has said it does not speak them (at start, when its connection comes back, or by
   * refusing one). Once off, it stays off.
   */
  private volatile boolean metaGet;

  /** A transport for {@code settings} whose connection events nobody hears. */
  public SpyTransport(TransportSettings settings) {
    this(settings, ServerEvents.NONE, List.of());
  }

  /**
   * A transport for {@code settings}: loads the TLS stores (errors name setting and file), checks
   * every server at once, connects.
   *
   * @param settings the servers (resolved ones are used as given, names are resolved now), the
   *     protocol, timeouts, limits, credentials, TLS
   * @param events told when a server's connection is made or lost
   * @param joining servers new to a ring being followed ({@link FollowingTransport}): one that does
   *     not answer its check fails the constructor, so the new list is not used before it answers;
   *     empty at a first start, where a server down is left to the failure mode
   */
  SpyTransport(TransportSettings settings, ServerEvents events, List<InetSocketAddress> joining) {
    this.settings = settings;
    TlsContext tls = settings.tls().enabled() ? TlsContext.create(settings.tls()) : null;
    this.connector = ServerConnector.of(tls);
    this.timeoutMillis = settings.opTimeoutMillis();
    this.transcoder = new BytesTranscoder(settings.maxItemSize());
    this.servers = new ArrayList<>();
    for (InetSocketAddress a : settings.servers()) {
      servers.add(a.isUnresolved() ? address(a.getHostString(), a.getPort()) : a);
    }
    StartupChecks.refuseUnresolved(servers);
    this.lister = new KeyLister(settings.listTimeoutMillis(), connector);
    this.sasl = settings.username() != null;
    List<InetSocketAddress> reachable = new ArrayList<>();
    boolean meta = !settings.binary();
    for (ServerCheck.Result r : StartupChecks.run(servers, settings, connector, joining)) {
      limits.learned(r.server(), r.itemSizeMax());
      if (r.reachable()) {
        reachable.add(r.server()); // the others were logged by name, and are asked when they connect
        meta &= r.metaGet();
      }
    }
    this.metaGet = meta;
    this.breakers =
        new NodeBreakers(
            settings.connection().stallTimeouts(),
            settings.connection().stallWindowMillis(),
            settings.connection().stallCooldownMillis(),
            2 * timeoutMillis);
    // registered before the client exists, so no connection event is missed
    this.connections = new ConnectionEvents(tls != null, events, breakers, limits,
        (server, sockets) -> ServerCheck.check(
            server, settings.binary(), settings.username(), settings.password(), connector, sockets),
        settings.binary() ? server -> { } : this::noMetaGet);
    this.factory = new SpyConnectionFactory(settings, connections, connections::secured, tls);
    this.pauses = new ClientPauses();
    this.flights = new Flights(breakers, limits, new OperationWait(timeoutMillis, pauses), this::nodeOf,
        timeoutMillis, settings.connection().failureMode(), factory.queueLimits());
    this.async = new AsyncFlights(flights, pauses, timeoutMillis);
    this.pending = new PendingWrites(this::nodeOf, settings.connection().opQueueBytes(),
        settings.connection().opQueueWaitMillis(), factory.queueLimits());
    this.nudges = tls == null ? null : new TlsNudges(factory::memcachedConnection, factory::locator, factory.getOperationFactory());
    int directGets = settings.connection().directGets();
    this.direct = sasl || directGets == 0
        ? null
        : new DirectGets(directGets, settings.binary(), tls, timeoutMillis, pauses, flights, new SharedReads());
    try {
      this.client = new MemcachedClient(factory, servers);
    } catch (IOException | RuntimeException e) {
      pauses.close();
      async.close();
      if (nudges != null) {
        nudges.close();
      }
      throw new CacheException("cannot connect to memcached " + servers + ": " + e, e);
    }
    awaitConnections(reachable, Math.max(CONNECT_WAIT_MILLIS, timeoutMillis));
  }

  /**
   * A resolved address that keeps the host as configured. ketama places servers by {@code
   * host:port} as written (libmemcached's rule); an address resolved from an IP literal would
   * otherwise answer a reverse DNS lookup ({@code localhost}) and move every key.
   */
  private static InetSocketAddress address(String host, int port) {
    try {
      InetAddress resolved = InetAddress.getByName(host);
      return new InetSocketAddress(InetAddress.getByAddress(host, resolved.getAddress()), port);
    } catch (UnknownHostException e) {
      return new InetSocketAddress(host, port); // unresolved: reported when connecting
    }
  }

  /**
   * Waits (at most {@code millis}) until the servers that answered the start check are connected.
   * In fail-fast mode spymemcached cancels operations for a server whose connection is not up yet,
   * so without this the first operations after start would fail although the servers are fine.
   * Servers that did not answer are not waited for: a server down at start costs nothing here.
   */
  private void awaitConnections(List<InetSocketAddress> reachable, long millis) {
    long deadline = System.nanoTime() + millis * 1_000_000L;
    while (!ready(reachable) && System.nanoTime() < deadline) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * Those servers connected, with TLS their handshakes done (else the first operations would wait
   * for them), and with SASL authenticated (ops sent before that are refused).
   */
  private boolean ready(List<InetSocketAddress> reachable) {
    NodeLocator locator = factory.locator();
    if (locator == null) {
      return false;
    }
    for (MemcachedNode node : locator.getAll()) {
      boolean waitFor = reachable.contains(node.getSocketAddress());
      boolean handshaking = node instanceof TlsMemcachedNode tlsNode && !tlsNode.isHandshakeDone();
      if (waitFor && (!node.isActive() || handshaking || (sasl && !node.isAuthenticated()))) {
        return false;
      }
    }
    return true;
  }

  /** The node that holds {@code key}, or null before the client is connected. */
  private MemcachedNode nodeOf(String key) {
    NodeLocator locator = factory.locator();
    return locator == null ? null : locator.getPrimary(key);
  }

  /** The address of the server that holds {@code key}, as {@code host:port}. */
  public String serverFor(String key) {
    return flights.serverFor(key);
  }

  /** spymemcached's connection (its IO thread), for tests; null before it is made. */
  MemcachedConnection connection() {
    return factory.memcachedConnection();
  }

  /** Bytes of the operations waiting in {@code server}'s queues, for tests. */
  long queuedBytes(SocketAddress server) {
    return factory.queuedBytes(server);
  }

  /** Servers that are currently failed fast as stalled, as {@code host:port}. */
  public List<String> stalledServers() {
    List<String> out = new ArrayList<>();
    for (SocketAddress a : breakers.stalled()) {
      out.add(NodeBreakers.name(a));
    }
    return out;
  }

  // ---------------------------------------------------------------- commands

  @Override
  public byte[] get(String key) {
    Parts found = fetch(key, 0);
    return found == null ? null : found.whole();
  }

  @Override
  public boolean readsInParts() {
    return metaGet || settings.binary();
  }

  @Override
  public Parts getParts(String key, int headLength) {
    return fetch(key, headLength);
  }

  /**
   * A single-key get, its value read in two parts after {@code headLength} bytes when that is above
   * 0 and the transport {@link #readsInParts}; null when memcached holds nothing under the key. On
   * the calling thread ({@link DirectGets}) when it can, else through spymemcached.
   */
  private Parts fetch(String key, int headLength) {
    IoThread.refuseBlocking("get", key);
    flights.admit(key, "get");
    Flights.Op op = Flights.Op.read("get", key);
    if (direct == null || !readsInParts()) {
      return shared(key, headLength, op, 0);
    }
    return direct.get(key, headLength, op);
  }

  /**
   * {@link #fetch} through spymemcached, its timeout counted from when it is queued, less {@code
   * spentNanos} the call spent on the caller's own connection first.
   */
  private Parts shared(String key, int headLength, Flights.Op op, long spentNanos) {
    Awaited.Get answer = new Awaited.Get();
    Operation sent = headLength > 0 && readsInParts() ? partsGet(key, answer, headLength) : getOperation(key, answer);
    send("get", key, sent);
    flights.finish(sent, answer, op, System.nanoTime() - spentNanos);
    return answer.parts();
  }

  @Override
  public Item gets(String key) {
    CASValue<byte[]> v = call("gets", key, () -> client.asyncGets(key, transcoder));
    return v == null ? null : new Item(v.getValue(), v.getCas());
  }

  @Override
  public Map<String, byte[]> getAll(Collection<String> keys) {
    if (keys.isEmpty()) {
      return Map.of();
    }
    IoThread.refuseBlocking("get (multi)", keys);
    String first = keys.iterator().next();
    Flights.Op op = multiGet(keys, first);
    if (readsInParts()) {
      String[] names = keys.toArray(new String[0]);
      Parts[] found = multiFetch(names, null, op);
      return values(names, i -> found[i] == null ? null : found[i].whole());
    }
    Future<Map<String, byte[]>> f = flights.enqueue("get (multi)", first, () -> client.asyncGetBulk(keys, transcoder));
    return flights.finish(f, op);
  }

  @Override
  public Parts[] getAllParts(List<String> keys, int[] headLengths) {
    if (!readsInParts() || keys.isEmpty()) {
      return MemcachedTransport.super.getAllParts(keys, headLengths);
    }
    IoThread.refuseBlocking("get (multi)", keys);
    String[] names = keys.toArray(new String[0]);
    return multiFetch(names, headLengths, multiGet(keys, names[0]));
  }

  /**
   * A multi-get of {@code names} (only while {@link #readsInParts}): on the calling thread ({@link
   * DirectGets}) when it can, else through spymemcached; element {@code i} is the item of {@code
   * names[i]}, whole or in two parts as {@link #batchedGets} says, or null.
   */
  private Parts[] multiFetch(String[] names, int[] headLengths, Flights.Op op) {
    return direct == null ? sharedAll(names, headLengths, op, 0) : direct.getAll(names, headLengths, op);
  }

  /** {@link #multiFetch} through spymemcached, its timeout as {@link #batchedGets} says. */
  private Parts[] sharedAll(String[] names, int[] headLengths, Flights.Op op, long spentNanos) {
    Awaited.Gets answers = batchedGets(names, headLengths, op, spentNanos);
    Parts[] out = new Parts[names.length];
    for (int i = 0; i < names.length; i++) {
      out[i] = answers.parts(i);
    }
    return out;
  }

  /** What {@link DirectGets} reads through spymemcached, and where it finds the servers. */
  private final class SharedReads implements DirectGets.Shared {

    @Override
    public InetSocketAddress server(String key) {
      MemcachedNode node = nodeOf(key);
      return node != null && node.isActive() && node.getSocketAddress() instanceof InetSocketAddress a ? a : null;
    }

    @Override
    public InetSocketAddress server(String[] keys) {
      MemcachedNode node = oneServer(keys);
      return node != null && node.getSocketAddress() instanceof InetSocketAddress a ? a : null;
    }

    @Override
    public boolean anySuspect() {
      return breakers.anySuspect();
    }

    @Override
    public void unknownMetaGet(SocketAddress server) {
      noMetaGet(server);
    }

    @Override
    public Parts get(String key, int headLength, Flights.Op op, long spentNanos) {
      return shared(key, headLength, op, spentNanos);
    }

    @Override
    public Parts[] getAll(String[] keys, int[] headLengths, Flights.Op op, long spentNanos) {
      return sharedAll(keys, headLengths, op, spentNanos);
    }
  }

  /** The connected server that holds every one of {@code names}, or null when there is none. */
  private MemcachedNode oneServer(String[] names) {
    NodeLocator locator = factory.locator();
    if (locator == null) {
      return null;
    }
    Collection<MemcachedNode> all = locator.getAll();
    MemcachedNode node = all.size() == 1 ? all.iterator().next() : locator.getPrimary(names[0]);
    for (int i = 1; i < names.length && all.size() > 1; i++) {
      if (locator.getPrimary(names[i]) != node) {
        return null;
      }
    }
    return node.isActive() ? node : null;
  }

  /** The values of {@code names} that {@code valueAt} gives for their places, by name; nulls left out. */
  private static Map<String, byte[]> values(String[] names, IntFunction<byte[]> valueAt) {
    Map<String, byte[]> out = new HashMap<>(names.length * 4 / 3 + 1);
    for (int i = 0; i < names.length; i++) {
      byte[] v = valueAt.apply(i);
      if (v != null) {
        out.put(names[i], v);
      }
    }
    return out;
  }

  /** Admits a multi-get of {@code keys} past the breakers; its description for waits and errors. */
  private Flights.Op multiGet(Collection<String> keys, String first) {
    Set<SocketAddress> admitted = flights.admitAll(keys, "get (multi)");
    return new Flights.Op("get (multi)", first, keys.size() + " keys", -1, admitted);
  }

  /**
   * A multi-get as one batch operation per server ({@link GetBatches}; only while {@link
   * #readsInParts}). With {@code headLengths} null every value is read in one array; else each in
   * two parts after {@code headLengths[i]} bytes. Its timeout counts from when the batches are
   * queued, less {@code spentNanos} the call spent on the caller's own connection first.
   */
  private Awaited.Gets batchedGets(String[] names, int[] headLengths, Flights.Op op, long spentNanos) {
    Awaited.Gets answers = new Awaited.Gets(names.length);
    List<GetBatches.Send> sends = batches(names, headLengths, answers);
    flights.sendAll(op.name(), sends, this::enqueue);
    flights.finishAll(sends, answers, op, System.nanoTime() - spentNanos);
    return answers;
  }

  /** The operations of a multi-get of {@code names}, answering to {@code answers}; none sent yet. */
  private List<GetBatches.Send> batches(String[] names, int[] headLengths, Awaited.Gets answers) {
    boolean binary = settings.binary();
    return GetBatches.of(names, headLengths, binary, factory.locator(), answers,
        binary ? BinaryMultiGetOperation::new : TextMultiGetOperation::new,
        this::partsGet);
  }

  @Override
  public void set(String key, int ttl, byte[] value) {
    store(key, ttl, new Parts(value, null));
  }

  @Override
  public void setParts(String key, int ttl, Parts value) {
    store(key, ttl, value);
  }

  private void store(String key, int ttl, Parts item) {
    IoThread.refuseBlocking("set", key);
    int length = item.length();
    flights.checkSize("set", key, length);
    flights.admit(key, "set");
    Flights.Op op = Flights.Op.write("set", key, length);
    Awaited.Store answer = new Awaited.Store();
    stored(op, sendSet(key, ttl, item, answer), answer);
  }

  @Override
  public void setAll(Map<String, byte[]> values, int ttl) {
    storeAll(values, ttl, value -> new Parts(value, null));
  }

  @Override
  public void setAllParts(Map<String, Parts> values, int ttl) {
    storeAll(values, ttl, Function.identity());
  }

  private <T> void storeAll(Map<String, T> values, int ttl, Function<T, Parts> items) {
    int n = values.size();
    IoThread.refuseBlocking("set", values.keySet());
    String[] keys = new String[n];
    Parts[] parts = new Parts[n];
    int i = 0;
    for (Map.Entry<String, T> e : values.entrySet()) {
      keys[i] = e.getKey();
      parts[i] = items.apply(e.getValue());
      flights.checkSize("set", keys[i], parts[i].length());
      i++;
    }
    flights.admitAll(values.keySet(), "set");
    Operation[] sent = new Operation[n];
    Awaited.Store[] answers = new Awaited.Store[n];
    for (i = 0; i < n; i++) {
      answers[i] = new Awaited.Store();
      sent[i] = sendSet(keys[i], ttl, parts[i], answers[i]);
    }
    for (i = 0; i < n; i++) {
      stored(Flights.Op.write("set", keys[i], parts[i].length()), sent[i], answers[i]);
    }
  }

  /**
   * A single-key get reading a value longer than {@code headLength} (above 0) in two parts: in the
   * binary protocol ours, in the text protocol the meta get (only while {@link #readsInParts}).
   */
  private Operation partsGet(String key, MetaGetOperation.PartsCallback callback, int headLength) {
    return settings.binary()
        ? new BinaryGetOperation(key, callback, headLength)
        : new MetaGetOperation(key, callback, headLength, this::noMetaGet);
  }

  /** A single-key get: the meta get while every server speaks it, else spymemcached's get. */
  private Operation getOperation(String key, GetOperation.Callback callback) {
    return metaGet ? new MetaGetOperation(key, callback, this::noMetaGet) : factory.getOperationFactory().get(key, callback);
  }

  /** Whether single-key gets are sent as meta gets now. */
  boolean sendsMetaGets() {
    return metaGet;
  }

  /** A server does not speak the meta get (an older memcached, or a proxy, took its place). */
  private void noMetaGet(SocketAddress server) {
    if (metaGet) {
      metaGet = false;
      LOG.log(System.Logger.Level.WARNING, "memcached at " + NodeBreakers.name(server) + " does not know the "
          + "meta get (mg, memcached 1.6 and later): single-key gets use the classic get from now on");
    }
  }

  /**
   * Sends an operation built with a callback of ours: spymemcached's client methods would build
   * their own future around it.
   */
  private void send(String name, String key, Operation sent) {
    flights.send(name, key, () -> enqueue(key, sent));
  }

  /** Hands {@code op} to spymemcached for the server of {@code key}. */
  private void enqueue(String key, Operation op) {
    factory.memcachedConnection().enqueueOperation(key, op);
  }

  /** Sends a set that reports to {@code answer}; ours copies the item's parts straight into its request. */
  private Operation sendSet(String key, int ttl, Parts item, Awaited.Store answer) {
    Operation sent = settings.binary()
        ? new BinarySetOperation(key, ttl, item, answer)
        : new TextSetOperation(key, ttl, item, answer);
    send("set", key, sent);
    return sent;
  }

  /** Waits for a store sent with {@code answer}; throws unless memcached stored the item. */
  private void stored(Flights.Op op, Operation sent, Awaited.Store answer) {
    flights.finish(sent, answer, op);
    OperationStatus status = answer.status();
    if (status == null || !status.isSuccess()) {
      throw flights.notStored(status, op);
    }
  }

  /** True when stored; false when memcached holds an item under the key. */
  @Override
  public boolean add(String key, int ttl, byte[] value) {
    IoThread.refuseBlocking("add", key);
    flights.checkSize("add", key, value);
    flights.admit(key, "add");
    Flights.Op op = Flights.Op.write("add", key, value);
    Future<Boolean> f = flights.enqueue("add", key, () -> client.add(key, ttl, value, transcoder));
    return flights.finish(f, op) || !flights.addFoundKeyTaken(f, op);
  }

  @Override
  public CasOutcome cas(String key, long cas, int ttl, byte[] value) {
    IoThread.refuseBlocking("cas", key);
    flights.checkSize("cas", key, value);
    flights.admit(key, "cas");
    Flights.Op op = Flights.Op.write("cas", key, value);
    Future<CASResponse> f = flights.enqueue("cas", key, () -> client.asyncCAS(key, cas, ttl, value, transcoder));
    return flights.casOutcome(f, op, flights.finish(f, op));
  }

  @Override
  public boolean delete(String key) {
    IoThread.refuseBlocking("delete", key);
    flights.admit(key, "delete");
    Awaited.Delete answer = new Awaited.Delete();
    Operation sent = sendDelete(key, answer);
    return deleted(Flights.Op.read("delete", key), sent, answer);
  }

  @Override
  public int deleteAll(Collection<String> keys) {
    IoThread.refuseBlocking("delete", keys);
    int n = keys.size();
    List<String> issued = new ArrayList<>(n);
    List<Operation> sent = new ArrayList<>(n);
    List<Awaited.Delete> answers = new ArrayList<>(n);
    flights.admitAll(keys, "delete");
    for (String key : keys) {
      Awaited.Delete answer = new Awaited.Delete();
      issued.add(key);
      sent.add(sendDelete(key, answer));
      answers.add(answer);
    }
    int deleted = 0;
    for (int i = 0; i < n; i++) {
      if (deleted(Flights.Op.read("delete", issued.get(i)), sent.get(i), answers.get(i))) {
        deleted++;
      }
    }
    return deleted;
  }

  /** Sends a delete that reports to {@code answer}. */
  private Operation sendDelete(String key, Awaited.Delete answer) {
    Operation sent = factory.getOperationFactory().delete(key, answer);
    send("delete", key, sent);
    return sent;
  }

  /** Waits for a delete sent with {@code answer}: true when memcached deleted an item. */
  private boolean deleted(Flights.Op op, Operation sent, Awaited.Delete answer) {
    flights.finish(sent, answer, op);
    OperationStatus status = answer.status();
    return status != null && status.isSuccess();
  }

  @Override
  public void eachKey(String prefix, Consumer<String> each) {
    eachKeyOfReachable(prefix, each, e -> {
      throw e;
    });
  }

  @Override
  public void eachKeyOfReachable(String prefix, Consumer<String> each, Consumer<CacheException> failed) {
    IoThread.refuseBlocking("key listing (lru_crawler metadump)", prefix);
    if (sasl) {
      throw new CacheException(
          "cannot list keys (iterator, clear, removeAll): that needs memcached's text protocol "
              + "(lru_crawler metadump), which memcached refuses when it runs with SASL "
              + "(username/password)");
    }
    for (InetSocketAddress server : servers) {
      List<String> keys;
      try {
        keys = lister.keys(server, prefix);
      } catch (KeyLister.ListingFailed e) {
        failed.accept(e);
        continue;
      }
      keys.forEach(each); // the dump is read and its connection closed: each may use memcached
    }
  }

  /** Connections of {@link DirectGets} open now, for tests. */
  int directConnections() {
    return direct == null ? 0 : direct.open();
  }

  /** No-ops sent by {@link TlsNudges} so far (0 without TLS). */
  long tlsNudges() {
    return nudges == null ? 0 : nudges.nudges();
  }

  // ---------------------------------------------------------------- non-blocking

  @Override
  public Executor continuations() {
    return async.stages();
  }

  @Override
  public void continueRead(String operation, Object what, long sent, Runnable rest, Consumer<? super CacheException> starved) {
    async.relay(sent, operation + " of " + what, rest, starved);
  }

  @Override
  public Runnable charge(String key, long bytes) {
    return pending.charge(key, bytes);
  }

  @Override
  public Runnable chargeAll(Map<String, Long> bytes) {
    return pending.chargeAll(bytes);
  }

  @Override
  public CompletableFuture<byte[]> getAsync(String key) {
    CompletableFuture<byte[]> out = new CompletableFuture<>();
    getAsync(key, HandOffFuture.completing(out));
    return out;
  }

  @Override
  public void getAsync(String key, BiConsumer<? super byte[], ? super Throwable> then) {
    async.get(Flights.Op.read("get", key),
        callback -> getOperation(key, callback),
        op -> enqueue(key, op),
        then);
  }

  @Override
  public CompletableFuture<Item> getsAsync(String key) {
    return async.issue(Flights.Op.read("gets", key), null, () -> client.asyncGets(key, transcoder))
        .thenApply(v -> v == null ? null : new Item(v.getValue(), v.getCas()));
  }

  @Override
  public CompletableFuture<Map<String, byte[]>> getAllAsync(Collection<String> keys) {
    if (keys.isEmpty()) {
      return CompletableFuture.completedFuture(Map.of());
    }
    String first = keys.iterator().next();
    Flights.Op op;
    try {
      op = multiGet(keys, first);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if (readsInParts()) {
      String[] names = keys.toArray(new String[0]);
      return async.gets(op, names.length, answers -> batches(names, null, answers), this::enqueue,
          answers -> values(names, answers::value));
    }
    return async.issueRead(op, () -> client.asyncGetBulk(keys, transcoder));
  }

  @Override
  public CompletableFuture<Void> setAsync(String key, int ttl, byte[] value) {
    Flights.Op op = Flights.Op.write("set", key, value);
    return async.issue(op, value, () -> client.set(key, ttl, value, transcoder), (f, stored) -> {
      if (!stored) {
        throw flights.notStored(f, op);
      }
      return null;
    });
  }

  @Override
  public CompletableFuture<Boolean> addAsync(String key, int ttl, byte[] value) {
    Flights.Op op = Flights.Op.write("add", key, value);
    return async.issue(op, value, () -> client.add(key, ttl, value, transcoder),
        (f, stored) -> stored || !flights.addFoundKeyTaken(f, op));
  }

  @Override
  public CompletableFuture<CasOutcome> casAsync(String key, long cas, int ttl, byte[] value) {
    Flights.Op op = Flights.Op.write("cas", key, value);
    return async.issue(op, value, () -> client.asyncCAS(key, cas, ttl, value, transcoder),
        (f, r) -> flights.casOutcome(f, op, r));
  }

  @Override
  public CompletableFuture<Boolean> deleteAsync(String key) {
    return async.issue(Flights.Op.read("delete", key), null, () -> client.delete(key));
  }

  @Override
  public void close() {
    connections.close(CLOSE_CHECKS_MILLIS);
    if (direct != null) {
      direct.close();
    }
    if (nudges != null) {
      nudges.close();
    }
    pauses.close();
    async.close();
    try {
      client.shutdown(Math.min(timeoutMillis, CLOSE_DRAIN_MILLIS), TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      // A full queue refused the drain marker, or the closing thread was interrupted while it
      // waited for the queues: spymemcached still closed every connection (in its finally). It
      // drops the interrupt when it gives up; the caller keeps it.
      if (e.getCause() instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
    }
  }

  // ---------------------------------------------------------------- one operation's life

  /** One single-key operation: stall check, enqueue, bounded wait. */
  private <T> T call(String op, String key, Supplier<Future<T>> issue) {
    IoThread.refuseBlocking(op, key);
    flights.admit(key, op);
    return flights.finish(flights.enqueue(op, key, issue), Flights.Op.read(op, key));
  }
}
