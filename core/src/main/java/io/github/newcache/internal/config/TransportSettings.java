package io.github.newcache.internal.config;

import java.net.InetSocketAddress;
import java.util.List;

/**
 * The settings of a manager's connection to memcached: what the transport is built from.
 *
 * @param servers the memcached servers, in the order given
 * @param binary true for memcached's binary protocol
 * @param opTimeoutMillis how long one memcached operation may take before it fails
 * @param listTimeoutMillis how long listing a server's keys may take
 * @param maxItemSize memcached's item size limit ({@code -I}), in bytes
 * @param connection failure handling: failure mode, stall detection, reconnects, queue bounds
 * @param username the SASL user, or null
 * @param password the SASL password, or null (never printed)
 * @param tls TLS to the servers, or {@link TlsSettings#off()}
 * @param discovery where the server list comes from, and how often names are resolved again
 */
public record TransportSettings(
    List<InetSocketAddress> servers,
    boolean binary,
    long opTimeoutMillis,
    int listTimeoutMillis,
    int maxItemSize,
    ConnectionSettings connection,
    String username,
    Secret password,
    TlsSettings tls,
    DiscoverySettings discovery) {

  public TransportSettings {
    servers = List.copyOf(servers);
  }

  /** The same settings for another server list (the nodes an ElastiCache endpoint lists). */
  public TransportSettings withServers(List<InetSocketAddress> nodes) {
    return new TransportSettings(
        nodes, binary, opTimeoutMillis, listTimeoutMillis, maxItemSize, connection, username, password, tls, discovery);
  }
}
