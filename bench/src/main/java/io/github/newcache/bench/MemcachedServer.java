package io.github.newcache.bench;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A private memcached on a free loopback port for one trial ({@code -t 2 -m 128}, 1 MB item
 * limit, plus any extra arguments).
 *
 * <p>It delegates to the test kit's {@link LocalMemcached} launcher and is the only class of the
 * benchmark that names it: if the launcher moves again, only this file and the dependency in
 * {@code pom.xml} change.
 */
final class MemcachedServer implements AutoCloseable {

  private final LocalMemcached server;
  /** The certificates of a TLS server, or null. */
  private final TlsFixture tls;

  private MemcachedServer(LocalMemcached server, TlsFixture tls) {
    this.server = server;
    this.tls = tls;
  }

  /** memcached's default {@code -R} (requests served of one connection per event). */
  static final String DEFAULT_REQUESTS_PER_EVENT = "20";

  /** The arguments that set memcached's {@code -R} to {@code n}; none for its default. */
  static String[] requestsPerEvent(String n) {
    if (DEFAULT_REQUESTS_PER_EVENT.equals(n)) {
      return new String[0];
    }
    if (!n.matches("[1-9][0-9]{0,5}")) {
      throw new IllegalArgumentException("requestsPerEvent must be a whole number from 1 to 999999, not '" + n + "'");
    }
    return new String[] {"-R", n};
  }

  static MemcachedServer start(String... extraArgs) {
    return new MemcachedServer(LocalMemcached.start(extraArgs), null);
  }

  /** A memcached that speaks only TLS, with a CA and server certificate made for it. */
  static MemcachedServer startTls(String... extraArgs) {
    TlsFixture tls = TlsFixture.create();
    try {
      String[] args = new String[extraArgs.length + tls.serverArgs().length];
      System.arraycopy(tls.serverArgs(), 0, args, 0, tls.serverArgs().length);
      System.arraycopy(extraArgs, 0, args, tls.serverArgs().length, extraArgs.length);
      return new MemcachedServer(LocalMemcached.start(args), tls);
    } catch (RuntimeException e) {
      tls.close();
      throw e;
    }
  }

  /** The settings a client of this TLS server needs ({@code tls=true}, the CA as trust store). */
  Map<String, String> tlsClientSettings() {
    if (tls == null) {
      throw new IllegalStateException("not a TLS server: " + address());
    }
    return tls.clientSettings();
  }

  String host() {
    return server.host();
  }

  int port() {
    return server.port();
  }

  /** {@code 127.0.0.1:port}. */
  String address() {
    return server.address();
  }

  /** Our cache manager's URI for this server, in the chosen protocol. */
  String uri(boolean binary) {
    return server.uri(binary);
  }

  @Override
  public void close() {
    try {
      server.close();
    } finally {
      if (tls != null) {
        tls.close();
      }
    }
  }

  /** The memcached executable the launcher runs. */
  static String executable() {
    return LocalMemcached.executable();
  }

  /** {@code memcached -V}, for the machine section of the report. */
  static String version() {
    try {
      String exe = executable();
      Process p = new ProcessBuilder(exe, "-V").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(5, TimeUnit.SECONDS);
      return out + " (" + exe + ")";
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown (interrupted)";
    }
  }
}
