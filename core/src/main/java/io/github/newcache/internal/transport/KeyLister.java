package io.github.newcache.internal.transport;

import io.github.newcache.internal.key.MemcachedKeys;
import io.github.newcache.internal.transport.tls.ServerConnector;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.cache.CacheException;

/**
 * Lists the keys on one memcached server with {@code lru_crawler metadump}, the only server-side
 * enumeration memcached has.
 *
 * <p>Why this exists: JCache's {@code iterator}, {@code clear} and {@code removeAll} must see
 * entries written by every client, not only those this JVM remembers. memcached keeps no index of
 * keys by prefix, so the crawler walks the server's whole item space and this class keeps the keys
 * that start with the cache's prefix. The cost is proportional to the number of items on the
 * server. The crawler serves one dump at a time; a {@code BUSY} answer is retried until the
 * deadline (5 ms apart at first, up to 200 ms), and so is a dump that ends in {@code ERROR locked
 * try again later} (memcached 1.6.28 and later, while its hash table grows). The dump speaks the text protocol only,
 * on its own short-lived connection, and is read to its end before any key is handed over: the
 * crawler waits while its client does not read, serving no other listing, and memcached up to
 * 1.6.18 holds an item lock meanwhile, so a client that worked on memcached between reads could
 * wait on itself. Newer releases answer {@code OK} before the keys; it is skipped.
 *
 * <p>Which walk: {@code metadump all} walks the LRU queues, and memcached's LRU maintainer keeps
 * moving items between them (an item read just before the dump moves from HOT to WARM or COLD), so
 * a walk racing the maintainer can skip live items: {@code removeAll()} then missed entries that a
 * {@code get} had touched a moment earlier. {@code metadump hash} (recent memcached 1.6 releases)
 * walks the hash table instead, where items never move, so it sees every item that existed for the
 * whole walk. Servers too old for it answer {@code ERROR} (other than the lock above) or {@code
 * BADCLASS}; from then on this lister uses the LRU walk.
 *
 * <p>Connections come from a {@link ServerConnector}: plain TCP, or TLS with the client's
 * verification when the manager uses TLS (memcached serves the crawler's dump over TLS too).
 */
final class KeyLister {

  private static final String HASH_WALK = "lru_crawler metadump hash\r\n";
  private static final String LRU_WALK = "lru_crawler metadump all\r\n";
  /** How a dump ends that the crawler gave up because the hash table was being resized. */
  private static final String LOCKED = "ERROR locked";

  private final int timeoutMillis;
  private final ServerConnector connector;
  /** False once a server has refused the hash walk: it is too old, use the LRU walk. */
  private volatile boolean hashWalk = true;

  KeyLister(int timeoutMillis, ServerConnector connector) {
    this.timeoutMillis = timeoutMillis;
    this.connector = connector;
  }

  /**
   * The server's listing failed: refused, cut short or unreachable. What the consumer throws is
   * not one: it ends the listing unchanged.
   */
  static final class ListingFailed extends CacheException {
    private static final long serialVersionUID = 1L;

    ListingFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Every key on {@code server} that starts with {@code prefix}, once the whole dump is read. */
  List<String> keys(InetSocketAddress server, String prefix) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    long pause = 5;
    while (true) {
      String command = hashWalk ? HASH_WALK : LRU_WALK;
      List<String> keys = new ArrayList<>();
      String refusal = dump(server, prefix, keys, command);
      if (refusal == null) {
        return keys;
      }
      if (HASH_WALK.equals(command) && refusesHashWalk(refusal)) {
        hashWalk = false;
        continue;
      }
      if (!(refusal.startsWith("BUSY") || refusal.startsWith(LOCKED)) || System.nanoTime() > deadline) {
        throw new ListingFailed(
            "memcached at " + server + " refused to list its keys (lru_crawler metadump): "
                + refusal, null);
      }
      try {
        Thread.sleep(pause);
        pause = Math.min(2 * pause, 200); // a new connection, over TLS a handshake, per try
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ListingFailed("interrupted while listing keys on " + server, e);
      }
    }
  }

  /**
   * A server too old for the hash walk: {@code ERROR} for an unknown argument, or {@code BADCLASS}
   * from releases that take {@code hash} for a list of slab classes. (A {@code CLIENT_ERROR}, such
   * as a crawler turned off, says nothing about the walk, and fails the listing.)
   */
  private static boolean refusesHashWalk(String refusal) {
    return (refusal.startsWith("ERROR") && !refusal.startsWith(LOCKED)) || refusal.startsWith("BADCLASS");
  }

  /** Returns null on success, or the line other than a key that ended the dump. */
  private String dump(InetSocketAddress server, String prefix, List<String> into, String command) {
    try (Socket socket = connector.open(server, timeoutMillis)) {
      OutputStream out = socket.getOutputStream();
      out.write(command.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.US_ASCII), 65536);
      String line;
      boolean first = true;
      while ((line = in.readLine()) != null) {
        if (line.equals("END")) {
          return null;
        }
        if (first && line.equals("OK")) {
          first = false;
          continue;
        }
        first = false;
        if (!line.startsWith("key=")) {
          return line;
        }
        int end = line.indexOf(' ');
        String encoded = end < 0 ? line.substring(4) : line.substring(4, end);
        String key = decode(encoded);
        if (key != null && key.startsWith(prefix)) {
          into.add(key);
        }
      }
      throw new ListingFailed("memcached at " + server + " closed the key listing early", null);
    } catch (IOException e) {
      throw new ListingFailed("cannot list keys on memcached at " + server + ": " + e, e);
    }
  }

  /**
   * A listed key as memcached's dump writes it (every byte but letters, digits and {@code -._~} as
   * {@code %XX}), or null when it is no key a Newcache key function can have written: bytes that
   * are not UTF-8 (another client's Latin-1 key, which lenient decoding would turn into a longer key
   * memcached refuses), or a space or control character (legal in the binary protocol). Such a key
   * would otherwise fail the whole listing's later batch for every cache whose prefix it matches.
   */
  static String decode(String encoded) {
    byte[] bytes = new byte[encoded.length()];
    int n = 0;
    for (int i = 0; i < encoded.length(); i++) {
      char c = encoded.charAt(i);
      if (c == '%' && i + 2 < encoded.length()) {
        int hi = Character.digit(encoded.charAt(i + 1), 16);
        int lo = Character.digit(encoded.charAt(i + 2), 16);
        if (hi < 0 || lo < 0) {
          return null;
        }
        bytes[n++] = (byte) (hi << 4 | lo);
        i += 2;
      } else if (c == '%' || c > 0x7e) {
        return null;
      } else {
        bytes[n++] = (byte) c;
      }
    }
    String key;
    try {
      key = StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes, 0, n))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
    return MemcachedKeys.legal(key) ? key : null;
  }
}
