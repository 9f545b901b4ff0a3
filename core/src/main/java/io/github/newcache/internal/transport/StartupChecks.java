package io.github.newcache.internal.transport;

import io.github.newcache.internal.config.TransportSettings;
import io.github.newcache.internal.transport.tls.ServerConnector;
import io.github.newcache.internal.transport.tls.TlsContext;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs {@link ServerCheck} on every server at once when a manager starts, so starting costs at
 * most about {@link ServerCheck#TIMEOUT_MILLIS} however many servers are down, and says which
 * server is unreachable (logged at WARNING on {@code io.github.newcache.failures}; its operations
 * then fail as {@code failureMode} says until it answers). Credentials a server refuses,
 * credentials for a server without SASL, and TLS that fails (wrong CA, wrong host name, no TLS,
 * refused client certificate) fail the start.
 */
final class StartupChecks {

  private static final System.Logger LOG = System.getLogger("io.github.newcache.failures");

  private StartupChecks() {}

  static List<ServerCheck.Result> run(
      List<InetSocketAddress> servers, TransportSettings settings, ServerConnector connector) {
    int n = servers.size();
    ServerCheck.Result[] results = new ServerCheck.Result[n];
    RuntimeException[] failures = new RuntimeException[n];
    List<Thread> threads = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int at = i;
      Thread t = new Thread(() -> {
        try {
          results[at] = ServerCheck.check(
              servers.get(at), settings.binary(), settings.username(), settings.password(), connector);
        } catch (RuntimeException e) {
          failures[at] = e;
        }
      }, "newcache-server-check");
      t.setDaemon(true);
      threads.add(t);
      t.start();
    }
    long handshake = settings.tls().enabled() ? TlsContext.MIN_HANDSHAKE_MILLIS : 0;
    long deadline = System.nanoTime() + (ServerCheck.TIMEOUT_MILLIS + handshake + 500) * 1_000_000L;
    for (Thread t : threads) {
      try {
        t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    List<ServerCheck.Result> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      if (failures[i] != null) {
        throw failures[i];
      }
      ServerCheck.Result r = results[i] != null
          ? results[i]
          : new ServerCheck.Result(servers.get(i), 0, "it did not answer in time");
      if (!r.reachable() && !Thread.currentThread().isInterrupted()) { // interrupted: the manager is closing
        LOG.log(System.Logger.Level.WARNING,
            "memcached at " + NodeBreakers.name(r.server()) + " is not usable at start: " + r.problem()
                + "; its keys' operations fail (failureMode " + settings.connection().failureMode()
                + ") until it answers");
      }
      out.add(r);
    }
    return out;
  }
}
