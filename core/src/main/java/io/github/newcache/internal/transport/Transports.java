package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.TransportSettings;
import io.github.newcache.internal.transport.discovery.ClusterConfig;
import io.github.newcache.internal.transport.discovery.DiscoveryPoller;
import io.github.newcache.internal.transport.discovery.DnsWatcher;
import io.github.newcache.internal.transport.tls.ServerConnector;
import io.github.newcache.internal.transport.tls.TlsContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Pattern;
import javax.cache.CacheException;

/**
 * Builds a manager's shared transport from its settings, the one place that decides how the
 * server list is found and followed:
 *
 * <ul>
 *   <li>{@code discovery=elasticache}: the nodes come from the configuration endpoint ({@link
 *       DiscoveryPoller}), and a {@link FollowingTransport} follows the list it reports;
 *   <li>servers given by name: a {@link FollowingTransport} whose {@link DnsWatcher} resolves the
 *       names again whenever a connection is lost (and every {@code dnsRefresh} when set);
 *   <li>servers given only as IP addresses, no {@code dnsRefresh}: nothing can move, so a plain
 *       {@link SpyTransport}, without the generation layer.
 * </ul>
 */
public final class Transports {

  private static final System.Logger LOG = System.getLogger("io.github.newcache.discovery");


  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

  private Transports() {}

  /**
   * The transport for {@code settings}: connected, its servers checked.
   *
   * @param settings the manager's transport settings
   * @return the transport; closing it stops whatever follows the server list
   */
  public static MemcachedTransport open(TransportSettings settings) {
    if (settings.discovery().elastiCache()) {
      return discovered(settings);
    }
    boolean names = false;
    for (InetSocketAddress s : settings.servers()) {
      names |= !IP_LITERAL.matcher(s.getHostString()).matches();
    }
    if (!names && settings.discovery().dnsRefreshMillis() == 0) {
      return new SpyTransport(settings);
    }
    return resolved(settings);
  }

  /**
   * How long a replaced generation stays open: past the longest an operation started on it can
   * take (its timeout, plus the client pauses that are forgiven) twice over, plus a second.
   */
  static long graceMillis(TransportSettings settings) {
    return 2 * (settings.opTimeoutMillis() + ClientPauses.MAX_FORGIVEN_MILLIS) + 1000;
  }

  private static MemcachedTransport resolved(TransportSettings settings) {
    AtomicReference<FollowingTransport> following = new AtomicReference<>();
    DnsWatcher watcher = DnsWatcher.start(
        settings.servers(),
        settings.discovery().dnsRefreshMillis(),
        settings.connection().maxReconnectDelaySeconds() * 1000L,
        (before, after) -> follow(following, after));
    ServerEvents events = new ServerEvents() {
      @Override
      public void connected(InetSocketAddress server) {
        watcher.connected(server);
      }

      @Override
      public void lost(InetSocketAddress server) {
        watcher.lost(server);
      }
    };
    try {
      FollowingTransport t = new FollowingTransport(
          (servers, joining) -> new SpyTransport(settings.withServers(servers), events, joining), watcher.current(),
          graceMillis(settings));
      t.closeWith(watcher);
      following.set(t);
      return t;
    } catch (RuntimeException e) {
      watcher.close();
      throw e;
    }
  }

  private static MemcachedTransport discovered(TransportSettings settings) {
    TlsContext tls = settings.tls().enabled() ? TlsContext.create(settings.tls()) : null;
    InetSocketAddress endpoint = settings.servers().get(0);
    AtomicReference<FollowingTransport> following = new AtomicReference<>();
    int timeout = (int) Math.min(10_000, Math.max(ServerCheck.TIMEOUT_MILLIS, settings.opTimeoutMillis()));
    DiscoveryPoller poller = DiscoveryPoller.start(
        endpoint.getHostString(), endpoint.getPort(), ServerConnector.of(tls),
        settings.discovery().intervalMillis(), timeout, (before, after) -> follow(following, addresses(after)));
    try {
      FollowingTransport t = new FollowingTransport(
          (servers, joining) -> new SpyTransport(settings.withServers(servers), ServerEvents.NONE, joining),
          addresses(poller.current()), graceMillis(settings));
      t.closeWith(poller);
      following.set(t);
      return t;
    } catch (RuntimeException e) {
      poller.close();
      throw e;
    }
  }

  /** Applies a new server list; throws (so the reporter offers it again) until the transport exists. */
  private static void follow(AtomicReference<FollowingTransport> following, List<InetSocketAddress> servers) {
    FollowingTransport t = following.get();
    if (t == null) {
      throw new CacheException("the transport is still starting");
    }
    t.follow(servers);
  }

  /**
   * The listed nodes' addresses. A node listed without an IP address whose name does not resolve
   * (a node the cluster is still creating) is left out, with a WARNING: nobody can connect to it,
   * and holding the change back for it would hold back every other change too, the removal of dead
   * nodes included. The endpoint lists it again with its IP address once it has one, a change
   * followed as any other; until then its share of keys stays with the other nodes. Throws when
   * no listed node is left.
   */
  static List<InetSocketAddress> addresses(ClusterConfig config) {
    List<InetSocketAddress> out = new ArrayList<>(config.nodes().size());
    List<String> unresolved = new ArrayList<>();
    for (ClusterConfig.Node n : config.nodes()) {
      InetSocketAddress a = n.address();
      if (a.isUnresolved()) {
        unresolved.add(n.hostAndPort());
      } else {
        out.add(a);
      }
    }
    if (out.isEmpty()) {
      throw new CacheException("no node of cluster configuration version " + config.version() + " can be used:"
          + " it lists only nodes without an IP address whose names do not resolve (" + String.join(", ", unresolved) + ")");
    }
    if (!unresolved.isEmpty()) {
      LOG.log(System.Logger.Level.WARNING, "cluster configuration version " + config.version() + " lists "
          + String.join(", ", unresolved) + " without an IP address, and the name does not resolve: left out of the"
          + " ring until the configuration lists its address (its keys go to the other nodes meanwhile)");
    }
    return out;
  }
}
