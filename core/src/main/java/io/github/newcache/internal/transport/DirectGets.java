package io.github.newcache.internal.transport;

import io.github.newcache.internal.transport.tls.TlsContext;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import javax.cache.CacheException;

/**
 * Single-key blocking gets written and read by the calling thread itself, over a few connections
 * per server of their own ({@link DirectConnection}), instead of handed to spymemcached's IO thread
 * and back.
 *
 * <p>Why: a blocking get through spymemcached wakes two threads besides the server: the IO thread
 * to write the request (a selector wake-up), and the caller again when the IO thread has read the
 * answer. With one caller, those hand-offs are most of a call's time: on the reference host a get
 * through spymemcached took about 85 µs, a get written and read on one thread over loopback 23 µs.
 * Here the caller writes the request, waits on the socket with a deadline and reads the answer.
 *
 * <p>At most {@code perServer} connections per server (the setting {@code directGets}), opened when
 * first needed. A caller takes an idle one, or opens one while fewer are open; when all are busy
 * (more callers than connections) it uses the shared connection, whose IO thread batches the
 * requests of many callers. So under load most gets still go through spymemcached, and a server
 * sees at most {@code perServer} more connections per client.
 *
 * <p>What this does not take, {@link #NOT_TAKEN}, goes through spymemcached as before, whose rules
 * (failure mode, key checks, error messages) then apply unchanged: a key spymemcached would refuse,
 * a server whose new connection failed to open or did not answer a first no-op within half the
 * timeout, or answered it with an error (a server at its connection limit), within the last second, and an answer this connection cannot
 * read (an error line, a meta get the server does not know, bytes of another shape) within the
 * first half of the timeout: the get is then asked again, in what is left of the same timeout; later
 * in the timeout it fails with the server's answer, as the shared connection's get does. An idle connection the server closed (a restart, an idle
 * timeout) is found before it is used and replaced. A connection lost with the get in flight fails
 * it as the shared connection's loss does; a get with no answer in time fails as a timed-out get
 * does, charged to the server's stall breaker; an interrupted one as an interrupted wait does. A
 * connection is used again only after a whole answer with nothing after it; any other end closes it.
 */
final class DirectGets implements AutoCloseable {

  /** What {@link #direct} answers when it did not take the get. */
  private static final Parts NOT_TAKEN = new Parts(new byte[0], null);
  /** What {@link #directAll} answers when it did not take the gets. */
  private static final Parts[] NOT_TAKEN_ALL = new Parts[0];

  /** How long a server whose connection failed to open is left to the shared connection. */
  private static final long REFUSED_NANOS = 1_000_000_000L;
  /**
   * The largest binary multi-get sent over TLS on a connection of the caller's, in bytes: one TLS
   * record with room to spare. memcached before 1.6.39 leaves a request that spans several TLS
   * records half read when the records before it end with whole requests (the rest waits inside
   * its TLS library, and no event says so); the shared connection nudges such a server
   * ({@link TlsNudges}), a caller's connection would wait out its timeout. A text multi-get is one
   * request line, which memcached reads to its end.
   */
  private static final int MAX_TLS_BINARY_BATCH = 8 * 1024;
  /** The longest key memcached takes, in bytes. */
  private static final int MAX_KEY = 250;

  private final int perServer;
  private final boolean binary;
  /** TLS for every connection, as the shared connection has it; null for none. */
  private final TlsContext tls;
  private final long timeoutNanos;
  private final ClientPauses pauses;
  private final Flights flights;
  private final Shared shared;
  private final Map<SocketAddress, Lane> lanes = new ConcurrentHashMap<>();
  /** Blocking reads in progress on this transport, direct or not ({@link #get}, {@link #getAll}). */
  private final AtomicInteger callers = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param perServer the most connections per server
   * @param binary the binary protocol, else the meta get of the text protocol
   * @param tls TLS for every connection, or null for plain TCP
   * @param timeoutMillis {@code opTimeout}
   * @param pauses the client's pauses, which the deadline does not count
   * @param flights for the failures' messages and the stall breakers
   * @param shared the transport's shared connection, for the reads not taken here
   */
  DirectGets(int perServer, boolean binary, TlsContext tls, long timeoutMillis, ClientPauses pauses, Flights flights,
      Shared shared) {
    this.shared = shared;
    this.tls = tls;
    this.perServer = perServer;
    this.binary = binary;
    this.timeoutNanos = timeoutMillis * 1_000_000L;
    this.pauses = pauses;
    this.flights = flights;
  }

  /**
   * What a direct read needs of the transport it serves: where keys live, whether a server is
   * suspect, and the shared connection's reads, which take what is not read here.
   */
  interface Shared {

    /** The connected server that holds {@code key}; null when there is none. */
    InetSocketAddress server(String key);

    /** The connected server that holds every one of {@code keys}; null when there is none. */
    InetSocketAddress server(String[] keys);

    /** Whether a server's stall breaker suspects it: then every read goes through the shared connection. */
    boolean anySuspect();

    /** Told a server that answered a meta command with {@code ERROR}: classic gets from then on. */
    void unknownMetaGet(SocketAddress server);

    /** A get through the shared connection, its timeout less {@code spentNanos} spent here first. */
    Parts get(String key, int headLength, Flights.Op op, long spentNanos);

    /** A multi-get through the shared connection, as {@link #get}; element {@code i} for {@code keys[i]}. */
    Parts[] getAll(String[] keys, int[] headLengths, Flights.Op op, long spentNanos);
  }

  /**
   * Gets {@code key}: its item ({@link Parts}, in two arrays past {@code headLength} when that is
   * above 0) or null when memcached holds none; on this thread when it can, else through the shared
   * connection, in what is left of the same timeout. On this thread only while at most {@code
   * perServer} blocking reads are in progress on the transport (this one counted, wherever it is
   * read): more callers at once go through the shared connection, where spymemcached's IO thread
   * writes the requests of many in one write, which costs memcached and the host less per get than a
   * request per socket (measured, 16 threads of gets: 10 to 18% fewer gets per second when two of
   * them took direct connections).
   */
  @SuppressWarnings("ReferenceEquality") // NOT_TAKEN is a sentinel, told apart by identity
  Parts get(String key, int headLength, Flights.Op op) {
    long start = System.nanoTime();
    boolean few = callers.incrementAndGet() <= perServer;
    try {
      if (few && !shared.anySuspect()) {
        InetSocketAddress server = shared.server(key);
        if (server != null) {
          Parts found = direct(server, key, headLength, op, start);
          if (found != NOT_TAKEN) {
            return found;
          }
        }
      }
      return shared.get(key, headLength, op, System.nanoTime() - start);
    } finally {
      callers.decrementAndGet();
    }
  }

  /**
   * Gets {@code keys} as {@link #get} does: element {@code i} is the item of {@code keys[i]} (in two
   * arrays past {@code headLengths[i]} when that array is given and the length is above 0) or null.
   * On this thread in one request when they are at most {@link GetBatches#MAX_KEYS} and one
   * connected server holds them all.
   */
  @SuppressWarnings("ReferenceEquality") // NOT_TAKEN_ALL is a sentinel, told apart by identity
  Parts[] getAll(String[] keys, int[] headLengths, Flights.Op op) {
    long start = System.nanoTime();
    boolean few = callers.incrementAndGet() <= perServer;
    try {
      if (few && keys.length <= GetBatches.MAX_KEYS && !shared.anySuspect()) {
        InetSocketAddress server = shared.server(keys);
        if (server != null) {
          Parts[] found = directAll(server, keys, headLengths, op, start);
          if (found != NOT_TAKEN_ALL) {
            return found;
          }
        }
      }
      return shared.getAll(keys, headLengths, op, System.nanoTime() - start);
    } finally {
      callers.decrementAndGet();
    }
  }

  /**
   * Gets {@code key} from {@code server} on this thread: its item, null when the server holds none,
   * or {@link #NOT_TAKEN} when it must go through the shared connection. Throws as the shared
   * connection's get does on a timeout, an interrupt, or a connection lost late in the wait.
   */
  @SuppressWarnings("ReferenceEquality") // MISSING is a sentinel, told apart by identity
  private Parts direct(InetSocketAddress server, String key, int headLength, Flights.Op op, long start) {
    byte[] keyBytes = DirectConnection.utf8(key);
    if (!acceptable(keyBytes)) {
      return NOT_TAKEN;
    }
    Parts found = exchange(server, op, start, NOT_TAKEN, (c, deadline) -> c.get(keyBytes, headLength, deadline));
    return found == DirectConnection.MISSING ? null : found;
  }

  /**
   * Gets {@code keys}, all held by {@code server}, on this thread in one request, as {@link #getAll}
   * says; {@link #NOT_TAKEN_ALL} when they must go through the shared connection.
   */
  private Parts[] directAll(InetSocketAddress server, String[] keys, int[] headLengths, Flights.Op op, long start) {
    byte[][] encoded = new byte[keys.length][];
    int requestBytes = BinaryOperation.HEADER;
    for (int i = 0; i < keys.length; i++) {
      encoded[i] = DirectConnection.utf8(keys[i]);
      if (!acceptable(encoded[i])) {
        return NOT_TAKEN_ALL;
      }
      requestBytes += BinaryOperation.HEADER + encoded[i].length;
    }
    if (tls != null && binary && requestBytes > MAX_TLS_BINARY_BATCH) {
      return NOT_TAKEN_ALL;
    }
    return exchange(server, op, start, NOT_TAKEN_ALL, (c, deadline) -> c.getAll(encoded, headLengths, deadline));
  }

  /**
   * One request and its answer over a connection of this thread's, as {@link #get} says, within one
   * timeout from {@code start} (the call's: what it spends here counts against it on the shared
   * connection too); {@code notTaken} when it must go through the shared connection.
   */
  private <T> T exchange(InetSocketAddress server, Flights.Op op, long start, T notTaken, Exchange<T> exchange) {
    if (closed || Thread.currentThread().isInterrupted()) {
      return notTaken; // the shared connection says what an interrupted caller gets
    }
    Lane lane = lanes.get(server);
    if (lane == null) {
      lane = lanes.computeIfAbsent(server, s -> new Lane(perServer));
    }
    DirectConnection.Deadline deadline = () -> left(start);
    DirectConnection c = lane.idle();
    while (c != null && !c.quiet()) { // closed by the server while idle: not worth an error
      lane.discard(c);
      c = lane.idle();
    }
    boolean fresh = c == null; // opened for this call: a refusal may be the server's at connect
    if (fresh) {
      try {
        // half the timeout to connect and answer a no-op: a server that stops accepting, or accepts
        // without reading (at its connection limit), is then left to the shared connection, in the
        // half that is left; the get itself then has the whole timeout, as on a connection in use
        c = open(lane, server, () -> Math.min(left(start), start + timeoutNanos / 2 - System.nanoTime()));
      } catch (InterruptedIOException e) {
        throw flights.interrupted(op, e);
      }
      if (c == null) {
        if (closed) { // the transport's close ended its connect or handshake: the shared connection is gone too
          throw flights.lost(op, new DirectConnection.Lost("closed", null));
        }
        return notTaken;
      }
      try {
        c.probe(() -> Math.min(left(start), start + timeoutNanos / 2 - System.nanoTime()));
      } catch (InterruptedIOException e) {
        lane.discard(c);
        throw flights.interrupted(op, e);
      } catch (DirectConnection.Lost e) { // as a get's lost connection
        lane.discard(c);
        throw flights.lost(op, e);
      } catch (IOException | RuntimeException e) { // no answer in half the timeout, or a refusal
        lane.discard(c);
        if (e instanceof DirectConnection.Refused refused && refused.unknownCommand) {
          shared.unknownMetaGet(server); // a server without meta commands: classic gets from now on
        }
        if (!closed) {
          lane.refusedUntil = System.nanoTime() + REFUSED_NANOS;
          return notTaken;
        }
        throw flights.lost(op, e);
      } catch (Error e) {
        lane.discard(c);
        throw e;
      }
    }
    try {
      T answer = exchange.run(c, deadline);
      lane.release(c, closed);
      flights.answered(op);
      return answer;
    } catch (DirectConnection.Late e) {
      lane.discard(c);
      throw flights.directTimedOut(op, e);
    } catch (InterruptedIOException e) {
      lane.discard(c);
      throw flights.interrupted(op, e);
    } catch (DirectConnection.Refused e) {
      lane.discard(c);
      if (e.unknownCommand) {
        shared.unknownMetaGet(server);
      }
      if (!closed && System.nanoTime() - start < timeoutNanos / 2) {
        return notTaken;
      }
      throw flights.answeredWith(op, e.answer, e);
    } catch (DirectConnection.Lost e) {
      lane.discard(c);
      throw flights.lost(op, e);
    } catch (IOException | RuntimeException e) {
      lane.discard(c);
      throw flights.lost(op, e);
    } catch (Error e) {
      lane.discard(c);
      throw e;
    }
  }

  /** A request and its answer over one connection. */
  private interface Exchange<T> {
    T run(DirectConnection c, DirectConnection.Deadline deadline) throws IOException;
  }

  /**
   * Opens a connection of {@code lane} when it may have one more; null when not, or when it could
   * not be opened within {@code deadline} (then the server is left to the shared connection for a
   * while).
   */
  private DirectConnection open(Lane lane, InetSocketAddress server, DirectConnection.Deadline deadline)
      throws InterruptedIOException {
    if (lane.refusedUntil != 0 && System.nanoTime() - lane.refusedUntil < 0) {
      return null;
    }
    int slot = lane.reserve();
    if (slot < 0) {
      return null;
    }
    DirectConnection c;
    try {
      c = DirectConnection.create(server, binary, tls, timeoutNanos / 2_000_000L);
    } catch (IOException | RuntimeException e) {
      lane.unreserve(slot);
      lane.refusedUntil = System.nanoTime() + REFUSED_NANOS;
      return null;
    } catch (Error e) {
      lane.unreserve(slot);
      throw e;
    }
    lane.opened(slot, c); // before it connects: a close from now on ends its connect and handshake
    if (closed) { // a close that ran meanwhile may not have seen it
      lane.discard(c);
      return null;
    }
    try {
      c.connect(server, deadline);
      return c;
    } catch (InterruptedIOException e) {
      lane.discard(c);
      throw e;
    } catch (IOException | RuntimeException e) { // refused, unreachable, not connected in time, a failed handshake
      lane.discard(c);
      lane.refusedUntil = System.nanoTime() + REFUSED_NANOS;
      return null;
    } catch (Error e) {
      lane.discard(c);
      throw e;
    }
  }

  /** Nanoseconds left of a call begun at {@code start}, the client's pauses since not counted. */
  private long left(long start) {
    long now = System.nanoTime();
    long left = start + timeoutNanos - now;
    return left > 0 ? left : left + pauses.longestSince(start, now);
  }

  /** Whether spymemcached would send {@code key} as it is: else it is left to spymemcached's refusal. */
  private boolean acceptable(byte[] key) {
    if (key.length == 0 || key.length > MAX_KEY) {
      return false;
    }
    if (!binary) {
      for (byte b : key) {
        if (b == ' ' || b == '\n' || b == '\r' || b == 0) {
          return false;
        }
      }
    }
    return true;
  }

  /** Connections open now, over all servers; for tests. */
  int open() {
    int n = 0;
    for (Lane lane : lanes.values()) {
      n += lane.count.get();
    }
    return n;
  }

  /** Closes every connection, those in use too (their callers fail as on a lost connection). */
  @Override
  public void close() {
    closed = true;
    for (Lane lane : lanes.values()) {
      lane.closeAll();
    }
  }

  /**
   * The connections of one server: {@code all} holds each open one in the slot it was opened in,
   * {@code idle} each one no caller uses now.
   */
  private static final class Lane {
    /** What holds the slot of a connection being opened. */
    private static final Object RESERVED = new Object();

    final AtomicReferenceArray<Object> all;
    final AtomicReferenceArray<DirectConnection> idle;
    final AtomicInteger count = new AtomicInteger();
    /** When a failed open stops being held against the server; 0: none. */
    volatile long refusedUntil;

    Lane(int size) {
      all = new AtomicReferenceArray<>(size);
      idle = new AtomicReferenceArray<>(size);
    }

    /** An idle connection, now the caller's; null when none. */
    DirectConnection idle() {
      for (int i = 0; i < idle.length(); i++) {
        DirectConnection c = idle.get(i);
        if (c != null && idle.compareAndSet(i, c, null)) {
          return c;
        }
      }
      return null;
    }

    /** Reserves the slot of a new connection; -1 when all are taken. */
    int reserve() {
      for (int i = 0; i < all.length(); i++) {
        if (all.get(i) == null && all.compareAndSet(i, null, RESERVED)) {
          count.incrementAndGet();
          return i;
        }
      }
      return -1;
    }

    void unreserve(int slot) {
      all.set(slot, null);
      count.decrementAndGet();
    }

    void opened(int slot, DirectConnection c) {
      c.slot = slot;
      all.set(slot, c);
    }

    /** Gives a connection back after a clean answer, or closes it when the transport closed. */
    void release(DirectConnection c, boolean closed) {
      if (closed) {
        discard(c);
        return;
      }
      idle.set(c.slot, c); // its own slot: never taken by another
    }

    /** Closes a connection the caller holds. */
    void discard(DirectConnection c) {
      c.close();
      if (all.compareAndSet(c.slot, c, null)) {
        count.decrementAndGet();
      }
    }

    void closeAll() {
      for (int i = 0; i < all.length(); i++) {
        Object o = all.get(i);
        if (o instanceof DirectConnection c) {
          c.close();
          if (all.compareAndSet(i, c, null)) {
            count.decrementAndGet();
          }
          idle.compareAndSet(i, c, null);
        }
      }
    }
  }
}
