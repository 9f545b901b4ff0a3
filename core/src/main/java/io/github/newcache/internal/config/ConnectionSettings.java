package io.github.newcache.internal.config;

import java.util.Map;
import java.util.Set;

/**
 * How the client behaves when servers fail: parsed once from the manager URI or properties file.
 *
 * @param failureMode what happens to operations for a server whose connection is down:
 *     {@code cancel} (fail at once, the default), {@code redistribute} (send them to another
 *     server; can read stale values when the server comes back) or {@code retry} (queue them until
 *     it is back or the operation times out)
 * @param maxReconnectDelaySeconds the longest wait between reconnect attempts to a lost server
 * @param stallTimeouts timeouts on one server, with no answer in between, after which it counts as
 *     stalled (once they span {@code stallWindowMillis}) and its operations fail at once for {@code
 *     stallCooldownMillis}; 0 turns stall detection off
 * @param stallWindowMillis how long those timeouts must span, from the first, before the server
 *     counts as stalled: what keeps a client pause or a burst of slow answers from blaming a server
 * @param stallCooldownMillis how long a stalled server's operations fail fast before one probe
 *     operation is let through to see whether it recovered
 * @param opQueueSize how many operations may wait for one server before new ones are refused
 * @param opQueueWaitMillis how long a caller waits for room in a full queue before it gets an error
 * @param opQueueBytes how many bytes may wait for one server before new operations are refused
 * @param directGets how many connections per server single-key blocking gets may use on the calling
 *     thread, besides the shared one; 0: none
 */
public record ConnectionSettings(
    String failureMode,
    int maxReconnectDelaySeconds,
    int stallTimeouts,
    long stallWindowMillis,
    long stallCooldownMillis,
    int opQueueSize,
    long opQueueWaitMillis,
    long opQueueBytes,
    int directGets) {

  public static final String CANCEL = "cancel";
  public static final String REDISTRIBUTE = "redistribute";
  public static final String RETRY = "retry";

  /** The defaults: fail fast everywhere. */
  public static ConnectionSettings defaults() {
    return from(Map.of(), new Source("defaults", Set.of()));
  }

  /** Reads the settings from parsed {@code values}; errors name {@code source}. */
  static ConnectionSettings from(Map<String, String> v, Source source) {
    String where = source.manager();
    return new ConnectionSettings(
        Settings.FAILURE_MODE.get(v, where, source),
        Settings.MAX_RECONNECT_DELAY.get(v, where, source).intValue(),
        Settings.STALL_TIMEOUTS.get(v, where, source).intValue(),
        Settings.STALL_WINDOW.get(v, where, source),
        Settings.STALL_COOLDOWN.get(v, where, source),
        Settings.OP_QUEUE_SIZE.get(v, where, source).intValue(),
        Settings.OP_QUEUE_WAIT.get(v, where, source),
        Settings.OP_QUEUE_BYTES.get(v, where, source),
        Settings.DIRECT_GETS.get(v, where, source).intValue());
  }
}
