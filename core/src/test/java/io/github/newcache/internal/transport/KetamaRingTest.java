package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Proxy;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Random;
import net.spy.memcached.DefaultHashAlgorithm;
import net.spy.memcached.KetamaNodeKeyFormatter;
import net.spy.memcached.KetamaNodeLocator;
import net.spy.memcached.MemcachedNode;
import org.junit.jupiter.api.Test;

/** {@link KetamaRing} sends every key where spymemcached's own ketama locator does. */
class KetamaRingTest {

  private static MemcachedNode node(String host, int port) {
    InetSocketAddress address = InetSocketAddress.createUnresolved(host, port);
    return (MemcachedNode) Proxy.newProxyInstance(
        MemcachedNode.class.getClassLoader(), new Class<?>[] {MemcachedNode.class}, (proxy, method, args) -> switch (method.getName()) {
          case "getSocketAddress" -> address;
          case "toString" -> host + ":" + port;
          case "hashCode" -> System.identityHashCode(proxy);
          case "equals" -> proxy == args[0];
          default -> throw new UnsupportedOperationException(method.getName());
        });
  }

  private static List<MemcachedNode> nodes(int n) {
    List<MemcachedNode> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      nodes.add(node("10.0.0." + (i + 1), i % 2 == 0 ? 11211 : 11211 + i));
    }
    return nodes;
  }

  private static KetamaNodeLocator spy(List<MemcachedNode> nodes, KetamaNodeKeyFormatter.Format format) {
    return new KetamaNodeLocator(nodes, DefaultHashAlgorithm.KETAMA_HASH, format, new HashMap<>());
  }

  private static List<String> keys() {
    Random random = new Random(7);
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < 20_000; i++) {
      keys.add(i % 3 == 0 ? "staging-2-" + Long.toHexString(random.nextLong()) + Long.toHexString(random.nextLong())
          : i % 3 == 1 ? "key:" + i : "clé-" + random.nextInt());
    }
    return keys;
  }

  @Test
  void everyKeyGoesToTheServerSpymemcachedsKetamaPicks() {
    for (KetamaNodeKeyFormatter.Format format : KetamaNodeKeyFormatter.Format.values()) {
      for (int n : new int[] {1, 2, 3, 7}) {
        List<MemcachedNode> nodes = nodes(n);
        KetamaNodeLocator spy = spy(nodes, format);
        KetamaRing ring = new KetamaRing(spy(nodes, format), nodes, format);
        for (int pass = 0; pass < 2; pass++) { // the second pass mostly from the hashes it remembers
          for (String key : pass == 0 ? keys() : keys().subList(0, 1000)) {
            assertSame(spy.getPrimary(key), ring.getPrimary(key), format + ", " + n + " servers, pass " + pass + ", key " + key);
          }
        }
      }
    }
  }

  @Test
  void aNewServerListMovesKeysAsSpymemcachedDoes() {
    KetamaNodeKeyFormatter.Format format = KetamaNodeKeyFormatter.Format.LIBMEMCACHED;
    List<MemcachedNode> before = nodes(3);
    List<MemcachedNode> after = new ArrayList<>(before.subList(0, 2));
    after.add(node("10.0.1.9", 11311));
    KetamaRing ring = new KetamaRing(spy(before, format), before, format);
    KetamaNodeLocator spyBefore = spy(before, format);
    for (String key : keys()) { // remembered hashes of the old list must not keep keys on it
      assertSame(spyBefore.getPrimary(key), ring.getPrimary(key), key);
    }
    ring.updateLocator(after);
    KetamaNodeLocator spy = spy(after, format);
    for (String key : keys()) {
      assertSame(spy.getPrimary(key), ring.getPrimary(key), key);
    }
    assertEquals(after, new ArrayList<>(ring.getAll()));
  }

  /** With one server every key goes there unhashed; a list that grows and shrinks again moves keys as spymemcached does. */
  @Test
  void oneServerTakesEveryKeyAndAListGrowingFromOneOrShrinkingToOneMovesKeysAsSpymemcachedDoes() {
    KetamaNodeKeyFormatter.Format format = KetamaNodeKeyFormatter.Format.SPYMEMCACHED;
    List<MemcachedNode> three = nodes(3);
    List<MemcachedNode> one = List.of(three.get(1));
    KetamaRing ring = new KetamaRing(spy(one, format), one, format);
    for (List<MemcachedNode> nodes : List.of(one, three, one)) {
      ring.updateLocator(nodes);
      KetamaNodeLocator spy = spy(nodes, format);
      for (String key : keys()) {
        assertSame(spy.getPrimary(key), ring.getPrimary(key), nodes.size() + " servers, key " + key);
      }
    }
    assertSame(three.get(1), ring.getPrimary("any key"));
  }

  @Test
  void theFailoverSequenceReachesEveryServerEvenWhereKetamasRehashesDoNot() {
    KetamaNodeKeyFormatter.Format format = KetamaNodeKeyFormatter.Format.SPYMEMCACHED;
    List<MemcachedNode> nodes = nodes(2);
    KetamaNodeLocator spy = spy(nodes, format);
    KetamaRing ring = new KetamaRing(spy(nodes, format), nodes, format);
    int stuck = 0;
    for (String key : keys()) {
      MemcachedNode down = spy.getPrimary(key);
      MemcachedNode other = nodes.get(0) == down ? nodes.get(1) : nodes.get(0);
      List<MemcachedNode> spySequence = new ArrayList<>();
      spy.getSequence(key).forEachRemaining(spySequence::add);
      if (!spySequence.contains(other)) {
        stuck++; // spymemcached's sequence alone would leave this key's operations on the server that is down
      }
      List<MemcachedNode> sequence = new ArrayList<>();
      ring.getSequence(key).forEachRemaining(sequence::add);
      assertEquals(spySequence, sequence.subList(0, spySequence.size()), "spymemcached's sequence first: " + key);
      assertTrue(sequence.contains(other), key);
    }
    assertTrue(stuck > 0, "some keys' rehashes all land on their own server");
  }
}
