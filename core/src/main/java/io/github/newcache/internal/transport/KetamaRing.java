package io.github.newcache.internal.transport;

import io.github.newcache.internal.key.Hashing;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import net.spy.memcached.KetamaNodeKeyFormatter;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.util.DefaultKetamaNodeLocatorConfiguration;
import net.spy.memcached.util.KetamaNodeLocatorConfiguration;

/**
 * spymemcached's ketama locator (unweighted, MD5), with the lookup every operation makes, {@link
 * #getPrimary}, done on sorted arrays: the same points, so every key goes to the same server. Its
 * own lookup walks a {@code TreeMap<Long, …>} up to four times with boxed keys and clones a digest
 * per key, which took a third of the caller's time per async {@code get}. Everything else (the
 * failover sequence, read-only copies, a new server list) is spymemcached's locator's, which this
 * keeps beside the arrays.
 */
final class KetamaRing implements NodeLocator {

  private final NodeLocator spy;
  private final KetamaNodeLocatorConfiguration config;
  private volatile Ring ring;
  /**
   * The hashes of keys looked up lately, {@value #HASHED} places, a key's place chosen by its
   * {@code hashCode}; a new key takes an empty place, and another key's once in {@value
   * #ADMIT_ONE_IN} tries, so that keys used once rarely displace hot ones. A key's hash does not
   * depend on the servers, so these outlive a new server list. The cache's keys come from its own
   * table of recent keys as the same {@code String}, whose {@code hashCode} is kept in it, so a hit
   * costs a comparison of references (the first step of {@code equals}) instead of an MD5 digest.
   */
  private final Hashed[] hashed = new Hashed[HASHED];

  static final int HASHED = 4096;
  /** A miss replaces another key's hash once in this many tries. */
  private static final int ADMIT_ONE_IN = 16;
  private static final int SHIFT = Integer.numberOfLeadingZeros(HASHED - 1);

  /** A key and its ketama hash; immutable, so threads share places without locks. */
  private record Hashed(String key, long hash) {}

  /**
   * The ring's points in ascending order, and the server each belongs to; and that server when
   * there is only one, which every key goes to without hashing it.
   */
  private static final class Ring {
    final long[] points;
    final MemcachedNode[] nodes;
    final MemcachedNode only;

    Ring(long[] points, MemcachedNode[] nodes) {
      this.points = points;
      this.nodes = nodes;
      this.only = nodes.length > 0 && Arrays.stream(nodes).allMatch(n -> n == nodes[0]) ? nodes[0] : null;
    }
  }

  /**
   * @param spy spymemcached's ketama locator over {@code nodes}, unweighted, with MD5 keys
   * @param format how it formats a server's points' keys
   */
  KetamaRing(NodeLocator spy, List<MemcachedNode> nodes, KetamaNodeKeyFormatter.Format format) {
    this.spy = spy;
    this.config = new DefaultKetamaNodeLocatorConfiguration(new KetamaNodeKeyFormatter(format));
    this.ring = ring(nodes);
  }

  /** The points spymemcached places, in its order, so that a collision keeps its winner. */
  private Ring ring(List<MemcachedNode> nodes) {
    TreeMap<Long, MemcachedNode> points = new TreeMap<>();
    int repetitions = config.getNodeRepetitions();
    for (MemcachedNode node : nodes) {
      for (int i = 0; i < repetitions / 4; i++) {
        byte[] digest = Hashing.md5(config.getKeyForNode(node, i).getBytes(StandardCharsets.UTF_8));
        for (int h = 0; h < 4; h++) {
          points.put(point(digest, h), node);
        }
      }
    }
    long[] at = new long[points.size()];
    MemcachedNode[] owners = new MemcachedNode[points.size()];
    int i = 0;
    for (Map.Entry<Long, MemcachedNode> e : points.entrySet()) {
      at[i] = e.getKey();
      owners[i++] = e.getValue();
    }
    return new Ring(at, owners);
  }

  /** The {@code h}-th 32-bit little-endian word of an MD5 digest: ketama's point. */
  static long point(byte[] digest, int h) {
    return ((long) (digest[3 + h * 4] & 0xFF) << 24)
        | ((long) (digest[2 + h * 4] & 0xFF) << 16)
        | ((long) (digest[1 + h * 4] & 0xFF) << 8)
        | (digest[h * 4] & 0xFF);
  }

  /** The server of the first point at or after the key's hash, wrapping to the first point. */
  @Override
  public MemcachedNode getPrimary(String key) {
    Ring r = ring;
    if (r.only != null || r.points.length == 0) {
      return r.only;
    }
    long hash = hash(key);
    int i = Arrays.binarySearch(r.points, hash);
    if (i < 0) {
      i = -i - 1;
      if (i == r.points.length) {
        i = 0;
      }
    }
    return r.nodes[i];
  }

  /** Ketama's hash of {@code key}: the first word of its MD5 digest. */
  private long hash(String key) {
    int place = (key.hashCode() * 0x9E3779B9) >>> SHIFT;
    Hashed h = hashed[place];
    if (h != null && h.key.equals(key)) { // the same String, mostly: equals compares references first
      return h.hash;
    }
    long hash = point(Hashing.md5(key.getBytes(StandardCharsets.UTF_8)), 0);
    if (h == null || ThreadLocalRandom.current().nextInt(ADMIT_ONE_IN) == 0) { // as RecentSlots.keep
      hashed[place] = new Hashed(key, hash);
    }
    return hash;
  }

  /**
   * Where spymemcached looks for another server when the key's is down (failure mode {@code
   * redistribute}): its ketama sequence, then every server. The sequence alone rehashes the key
   * seven times, and with few servers all seven can land on the one that is down (one key in 128
   * with two servers); spymemcached then leaves the operation waiting for that server until it
   * times out.
   */
  @Override
  public Iterator<MemcachedNode> getSequence(String key) {
    List<MemcachedNode> sequence = new ArrayList<>();
    spy.getSequence(key).forEachRemaining(sequence::add);
    sequence.addAll(spy.getAll());
    return sequence.iterator();
  }

  @Override
  public Collection<MemcachedNode> getAll() {
    return spy.getAll();
  }

  @Override
  public NodeLocator getReadonlyCopy() {
    return spy.getReadonlyCopy();
  }

  @Override
  public void updateLocator(List<MemcachedNode> nodes) {
    spy.updateLocator(nodes);
    ring = ring(nodes);
  }
}
