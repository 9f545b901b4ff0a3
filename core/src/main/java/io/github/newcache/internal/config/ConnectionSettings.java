package io.github.newcache.internal.config;

import java.util.Locale;
import java.util.Map;

/**
 * How the client behaves when servers fail: parsed once from the manager URI or properties file.
 *
 * @param failureMode what happens to operations for a server whose connection is down:
 *     {@code cancel} (fail at once, the default), {@code redistribute} (send them to another
 *     server; can read stale values when the server comes back) or {@code retry} (queue them until
 *     it is back or the operation times out)
 * @param maxReconnectDelaySeconds the longest wait between reconnect attempts to a lost server
 * @param stallTimeouts consecutive timeouts on one server after which it counts as stalled and its
 *     operations fail at once for {@code stallCooldownMillis}; 0 turns stall detection off
 * @param stallCooldownMillis how long a stalled server's operations fail fast before one probe
 *     operation is let through to see whether it recovered
 * @param opQueueSize how many operations may wait for one server before new ones are refused
 * @param opQueueWaitMillis how long a caller waits for room in a full queue before it gets an error
 */
public record ConnectionSettings(
    String failureMode,
    int maxReconnectDelaySeconds,
    int stallTimeouts,
    long stallCooldownMillis,
    int opQueueSize,
    long opQueueWaitMillis) {

  public static final String CANCEL = "cancel";
  public static final String REDISTRIBUTE = "redistribute";
  public static final String RETRY = "retry";

  /** The defaults: fail fast everywhere. */
  public static ConnectionSettings defaults() {
    return new ConnectionSettings(CANCEL, 2, 1, 1000, 16384, 100);
  }

  /** Reads the settings from parsed {@code values}; errors name {@code source}. */
  static ConnectionSettings from(Map<String, String> v, String source) {
    String mode = v.getOrDefault("failureMode", CANCEL).trim().toLowerCase(Locale.ROOT);
    if (!mode.equals(CANCEL) && !mode.equals(REDISTRIBUTE) && !mode.equals(RETRY)) {
      throw new IllegalArgumentException(
          source + ": failureMode=" + v.get("failureMode")
              + " is not allowed; use cancel, redistribute or retry");
    }
    ConnectionSettings d = defaults();
    return new ConnectionSettings(
        mode,
        (int) SettingsParser.number(v, "maxReconnectDelay", d.maxReconnectDelaySeconds(), 1, 3600, source),
        (int) SettingsParser.number(v, "stallTimeouts", d.stallTimeouts(), 0, 1000, source),
        SettingsParser.number(v, "stallCooldown", d.stallCooldownMillis(), 1, 600_000, source),
        (int) SettingsParser.number(v, "opQueueSize", d.opQueueSize(), 16, 1 << 20, source),
        SettingsParser.number(v, "opQueueWait", d.opQueueWaitMillis(), 0, 60_000, source));
  }
}
