package io.github.newcache.internal.transport;

import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.cache.CacheException;

/**
 * The largest item each server stores ({@code item_size_max}, its {@code -I}), learned when the
 * manager starts and when a connection comes back ({@link ServerCheck}), and the check of every
 * write against it before anything is sent.
 *
 * <p>Why check before sending: memcached refuses a larger item, and neither protocol reports it
 * well through spymemcached. In the text protocol the answer ({@code SERVER_ERROR object too
 * large}) makes spymemcached drop and reopen the connection, failing every other operation in
 * flight on that server; in the binary protocol {@code add} just returns false, which reads as
 * "another client got there first" and made the compute loop retry 10,000 times. So a write too
 * large for its server fails at once here, with its size and the server's limit; when a server's
 * limit shrinks unseen (a restart with a smaller {@code -I}), the refusal itself teaches the new
 * limit ({@link #refused}).
 *
 * <p>memcached 1.6 stores an item when key + value + {@value #ITEM_HEADER} bytes (its item header,
 * CAS and line end: 59 measured with flags 0, rounded up) fit in {@code item_size_max}. Cost: one
 * comparison per write while every server's limit is at least {@code maxItemSize}.
 */
final class ItemLimits {

  static final int ITEM_HEADER = 64;

  private final Map<SocketAddress, Integer> limits = new ConcurrentHashMap<>();
  /** The smallest known limit: writes below it need no lookup. */
  private volatile int smallest = Integer.MAX_VALUE;

  /** Records what {@code server} said its limit is (0: unknown, forgotten). */
  void learned(SocketAddress server, int itemSizeMax) {
    if (itemSizeMax > 0) {
      limits.put(server, itemSizeMax);
    } else {
      limits.remove(server);
    }
    int min = Integer.MAX_VALUE;
    for (int l : limits.values()) {
      min = Math.min(min, l);
    }
    smallest = min;
  }

  /** True when {@code server}'s limit is known. */
  boolean knows(SocketAddress server) {
    return limits.containsKey(server);
  }

  /** True when a write of {@code valueLength} bytes under {@code key} may be too large somewhere. */
  boolean mayExceed(String key, int valueLength) {
    return (long) valueLength + key.length() * 3L + ITEM_HEADER > smallest;
  }

  /** Throws when {@code server} would refuse {@code value} under {@code key}. */
  void check(SocketAddress server, String op, String key, int valueLength) {
    Integer limit = server == null ? null : limits.get(server);
    int needs = needs(key, valueLength);
    if (limit != null && needs > limit) {
      throw tooLarge(server, op, key, needs, limit);
    }
  }

  /**
   * The error for a write {@code server} refused as too large ({@code answer}); learns that its
   * limit is below what the item needed.
   */
  CacheException refused(SocketAddress server, String op, String key, int valueLength, String answer) {
    int needs = needs(key, valueLength);
    Integer known = server == null ? null : limits.get(server);
    boolean knewBetter = known != null && known < needs;
    if (server != null && !knewBetter) {
      learned(server, needs - 1);
    }
    return new CacheException(
        "memcached at " + NodeBreakers.name(server) + " refused " + op + " of " + key + " (" + answer
            + "): the item needs " + needs + " bytes with its key and memcached's header, and the "
            + "server stores " + (knewBetter ? "at most " + known + " bytes" : "less")
            + " (its -I, item_size_max); raise memcached's -I or lower maxItemSize to match");
  }

  private static int needs(String key, int valueLength) {
    return valueLength + key.getBytes(StandardCharsets.UTF_8).length + ITEM_HEADER;
  }

  private static CacheException tooLarge(SocketAddress server, String op, String key, int needs, int limit) {
    return new CacheException(
        "memcached at " + NodeBreakers.name(server) + " would refuse " + op + " of " + key + ": the "
            + "item needs " + needs + " bytes with its key and memcached's header, and the server "
            + "stores at most " + limit + " bytes (its -I, item_size_max); raise memcached's -I or "
            + "lower maxItemSize to match");
  }
}
