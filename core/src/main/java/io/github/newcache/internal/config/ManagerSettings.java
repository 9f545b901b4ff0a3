package io.github.newcache.internal.config;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;

/**
 * Everything a cache manager needs to reach memcached and name its keys, parsed once from a
 * {@code memcached://} URI or a properties file and never changed afterwards.
 *
 * @param servers the memcached servers, in the order given
 * @param binary true for memcached's binary protocol, false for the text protocol
 * @param flavor the key prefix that keeps environments (dev, staging, prod) apart; may be empty
 * @param version the key version; bumping it makes every earlier entry invisible
 * @param keyMangler class name of the {@link io.github.newcache.key.KeyMangler}
 * @param valueCodec class name of the {@link io.github.newcache.codec.ValueCodec}
 * @param opTimeoutMillis how long one memcached operation may take before it fails
 * @param listTimeoutMillis how long listing a server's keys (iterator, clear) may take
 * @param maxItemSize memcached's item size limit ({@code -I}), in bytes
 * @param caches caches declared by configuration, by name
 * @param connection failure handling: failure mode, stall detection, reconnects, queue bounds
 * @param security entry signing secret, SASL credentials, deserialization allow-list (never
 *     printed)
 * @param cacheDefaults what every cache the manager creates gets (statistics, management)
 * @param tls TLS to the servers, or {@link TlsSettings#off()}
 * @param discovery where the server list comes from (ElastiCache auto discovery) and DNS refreshes
 */
public record ManagerSettings(
    List<InetSocketAddress> servers,
    boolean binary,
    String flavor,
    int version,
    String keyMangler,
    String valueCodec,
    long opTimeoutMillis,
    int listTimeoutMillis,
    int maxItemSize,
    Map<String, CacheDeclaration> caches,
    ConnectionSettings connection,
    SecuritySettings security,
    CacheDefaults cacheDefaults,
    TlsSettings tls,
    DiscoverySettings discovery) {

  public ManagerSettings {
    servers = List.copyOf(servers);
    caches = Map.copyOf(caches);
  }

  /**
   * What the transport needs, and nothing else: servers, protocol, timeouts, limits, credentials,
   * TLS and discovery.
   */
  public TransportSettings transport() {
    return new TransportSettings(
        servers, binary, opTimeoutMillis, listTimeoutMillis, maxItemSize, connection, security.username(), security.password(),
        tls, discovery);
  }
}
