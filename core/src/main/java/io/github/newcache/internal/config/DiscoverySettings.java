package io.github.newcache.internal.config;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * Where the server list comes from and how host names are followed.
 *
 * @param mode {@link #NONE}: the servers given are the servers; {@link #ELASTICACHE}: the one
 *     server given is an ElastiCache configuration endpoint that lists the cluster's nodes
 * @param intervalMillis how often the configuration endpoint is polled (with {@link #ELASTICACHE})
 * @param dnsRefreshMillis how often server names are resolved again besides when a connection is
 *     lost; 0: only then (not with {@link #ELASTICACHE}, which follows the endpoint's list instead)
 */
public record DiscoverySettings(String mode, long intervalMillis, long dnsRefreshMillis) {

  public static final String NONE = "none";
  public static final String ELASTICACHE = "elasticache";

  /** True when the server list is read from a configuration endpoint. */
  public boolean elastiCache() {
    return ELASTICACHE.equals(mode);
  }

  /** Reads the settings; {@code discovery=elasticache} needs exactly one server, the endpoint. */
  static DiscoverySettings from(Map<String, String> v, List<InetSocketAddress> servers, Source source) {
    String where = source.manager();
    String mode = Settings.DISCOVERY.get(v, where, source);
    if (!ELASTICACHE.equals(mode) && v.containsKey(Settings.DISCOVERY_INTERVAL.name())) {
      throw new IllegalArgumentException(where + "discoveryInterval needs discovery=elasticache");
    }
    if (ELASTICACHE.equals(mode) && v.containsKey(Settings.DNS_REFRESH.name())) {
      // the nodes come with their IP addresses, and the endpoint's own name is resolved at every poll
      throw new IllegalArgumentException(where + "dnsRefresh does not apply with discovery=elasticache: the nodes and "
          + "their addresses are read from the configuration endpoint every discoveryInterval; remove dnsRefresh "
          + "(set discoveryInterval to follow changes sooner)");
    }
    if (ELASTICACHE.equals(mode) && servers.size() != 1) {
      throw new IllegalArgumentException(
          where + "discovery=elasticache takes exactly one server, the cluster's configuration endpoint "
              + "(host:port, e.g. mycluster.xxxxxx.cfg.use1.cache.amazonaws.com:11211), not " + servers.size());
    }
    return new DiscoverySettings(
        mode, Settings.DISCOVERY_INTERVAL.get(v, where, source), Settings.DNS_REFRESH.get(v, where, source));
  }
}
