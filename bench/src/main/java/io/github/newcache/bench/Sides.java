package io.github.newcache.bench;

import java.util.List;
import java.util.Map;

/** The side lists the benchmarks rotate through, and how the report names each side. */
final class Sides {

  private Sides() {}

  /**
   * Separates side ids in a {@code sides} parameter. Not a comma: JMH's command line splits
   * {@code -p sides=a,b} into two parameter values, i.e. two forks.
   */
  static final String SEPARATOR = "+";

  /** Everything a user could choose: ours, the two raw memcached clients, Redisson on Redis. */
  static final String ALL = OursSide.ID + SEPARATOR + SpymemcachedSide.ID + SEPARATOR + XmemcachedSide.ID + SEPARATOR + RedissonSide.ID;

  /** Operations only ours and the raw client it is built on are compared on. */
  static final String OURS_VS_RAW = OursSide.ID + SEPARATOR + SpymemcachedSide.ID;

  /** The latency comparison: ours, the client under it, and the JCache peer. */
  static final String LATENCY = OursSide.ID + SEPARATOR + SpymemcachedSide.ID + SEPARATOR + RedissonSide.ID;

  /** The near-cache comparison: ours without and with a near cache. */
  static final String NEAR = OursSide.ID + SEPARATOR + OursNearSide.ID;
  /** The TLS comparison: ours over plain TCP and over TLS. */
  static final String TLS = OursSide.ID + SEPARATOR + OursTlsSide.ID;

  /** Report order. */
  static final List<String> ORDER = List.of(OursSide.ID, SpymemcachedSide.ID, XmemcachedSide.ID, RedissonSide.ID);

  static final Map<String, String> LABELS =
      Map.of(
          OursSide.ID, "ours",
          OursNearSide.ID, "ours, near cache",
          OursTlsSide.ID, "ours, TLS",
          SpymemcachedSide.ID, "raw spymemcached",
          XmemcachedSide.ID, "xmemcached",
          RedissonSide.ID, "Redisson");
}
