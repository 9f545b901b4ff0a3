package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.config.TlsSettings;
import io.github.newcache.internal.transport.tls.ServerConnector;
import io.github.newcache.internal.transport.tls.TlsContext;
import io.github.newcache.internal.transport.tls.TlsHandshakeException;
import io.github.newcache.testing.TestTls;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.cache.CacheException;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * TLS contexts from the settings, and the server check at start over TLS ({@link ServerCheck} with
 * {@link ServerConnector#tls}), against real memcached servers started with {@code -Z}: what
 * succeeds, and the errors that name the server and the cause.
 */
class TlsChecksTest {

  private static final int TIMEOUT = 3000;

  private static TlsFixture tls;
  private static LocalMemcached server;
  private static LocalMemcached wrongHost;
  private static LocalMemcached mutual;
  private static LocalMemcached plain;

  @BeforeAll
  static void start() {
    tls = TlsFixture.create();
    server = tls.startServer();
    wrongHost = LocalMemcached.start(tls.wrongHostArgs());
    mutual = LocalMemcached.start(tls.mutualArgs());
    plain = LocalMemcached.start();
  }

  @AfterAll
  static void stop() {
    TlsFixture.closeAll(server, wrongHost, mutual, plain, tls);
  }

  private static InetSocketAddress at(LocalMemcached m) {
    return new InetSocketAddress(m.host(), m.port());
  }

  /** The check every server gets when a manager starts, over TLS with {@code ctx}. */
  private static ServerCheck.Result check(TlsContext ctx, InetSocketAddress server, boolean binary) {
    return ServerCheck.check(server, binary, null, null, ServerConnector.tls(ctx));
  }

  private static void assertReachable(ServerCheck.Result r) {
    assertTrue(r.reachable(), () -> "the check found " + r.server() + " not usable: " + r.problem());
  }

  private static TlsContext context(Map<String, String> settings) {
    return TestTls.context(settings);
  }

  private static Map<String, String> with(Map<String, String> base, String... keyValues) {
    Map<String, String> m = new LinkedHashMap<>(base);
    for (int i = 0; i < keyValues.length; i += 2) {
      if (keyValues[i + 1] == null) {
        m.remove(keyValues[i]);
      } else {
        m.put(keyValues[i], keyValues[i + 1]);
      }
    }
    return m;
  }

  /** One text-protocol exchange over the socket: a set and a get of the same key. */
  private static String setAndGet(Socket s) throws IOException {
    OutputStream out = s.getOutputStream();
    out.write("set tls_key 0 0 5\r\nhello\r\nget tls_key\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 4; i++) {
      b.append(in.readLine()).append('|');
    }
    return b.toString();
  }

  @Test
  void trustedServerSpeaksMemcachedOverTls() throws IOException {
    TlsContext ctx = context(tls.clientSettings());
    try (SSLSocket s = ctx.connect(at(server), TIMEOUT)) {
      assertEquals("STORED|VALUE tls_key 0 5|hello|END|", setAndGet(s));
      assertTrue(s.getSession().getProtocol().startsWith("TLS"), s.getSession().getProtocol());
    }
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void checkPassesInBothProtocols(boolean binary) {
    assertReachable(check(context(tls.clientSettings()), at(server), binary));
  }

  @Test
  void localhostByNameIsVerifiedAgainstItsDnsName() throws IOException {
    TlsContext ctx = context(tls.clientSettings());
    try (SSLSocket s = ctx.connect(new InetSocketAddress("localhost", server.port()), TIMEOUT)) {
      assertEquals("STORED|VALUE tls_key 0 5|hello|END|", setAndGet(s));
    }
  }

  @Test
  void pemTrustStoreWorks() {
    TlsContext ctx = context(Map.of("tls", "true", "tlsTrustStore", tls.caCert().toString()));
    assertEquals(TlsSettings.PEM, ctx.settings().trustStoreType());
    assertReachable(check(ctx, at(server), false));
  }

  @Test
  void wrongCaFailsNamingServerAndTrustStore() {
    TlsContext ctx = context(with(tls.clientSettings(), "tlsTrustStore", tls.otherTrustStore().toString()));
    CacheException e = assertThrows(CacheException.class, () -> check(ctx, at(server), true));
    String m = e.getMessage();
    assertTrue(m.contains("memcached at " + server.address()), m);
    assertTrue(m.contains("not trusted by tlsTrustStore " + tls.otherTrustStore()), m);
    assertTrue(m.contains("CN=Newcache Test CA"), m);
    assertEquals(TlsHandshakeException.Kind.UNTRUSTED, ((TlsHandshakeException) e.getCause()).kind());
  }

  @Test
  void wrongHostNameFailsSayingWhichNamesTheCertificateHas() {
    TlsContext ctx = context(tls.clientSettings());
    CacheException e = assertThrows(CacheException.class, () -> check(ctx, at(wrongHost), false));
    String m = e.getMessage();
    assertTrue(m.contains("memcached at " + wrongHost.address()), m);
    assertTrue(m.contains("does not name '127.0.0.1'"), m);
    assertTrue(m.contains("DNS:wrong.example"), m);
    assertEquals(TlsHandshakeException.Kind.HOSTNAME, ((TlsHandshakeException) e.getCause()).kind());
  }

  @Test
  void tlsHostnameOrNoVerificationAcceptsACertificateForAnotherName() {
    assertReachable(check(context(with(tls.clientSettings(), "tlsHostname", "wrong.example")), at(wrongHost), false));
    assertReachable(check(context(with(tls.clientSettings(), "tlsVerifyHostname", "false")), at(wrongHost), false));
    // the CA is still checked without host name verification
    TlsContext otherCa = context(with(tls.clientSettings(), "tlsVerifyHostname", "false",
        "tlsTrustStore", tls.otherTrustStore().toString()));
    assertThrows(CacheException.class, () -> check(otherCa, at(wrongHost), false));
  }

  @ParameterizedTest
  @ValueSource(booleans = {false, true})
  void serverWithoutTlsFailsSayingSo(boolean binary) {
    TlsContext ctx = context(tls.clientSettings());
    CacheException e = assertThrows(CacheException.class, () -> check(ctx, at(plain), binary));
    assertTrue(e.getMessage().contains("memcached at " + plain.address()), e.getMessage());
    assertTrue(e.getMessage().contains("-Z"), e.getMessage());
  }

  @Test
  void mutualTlsWithTheClientCertificate() throws IOException {
    TlsContext ctx = context(tls.mutualClientSettings());
    // Several connections in a row: memcached with ssl_verify_mode and without ssl_session_cache
    // refused every resumed session (internal_error), so every second connection failed.
    for (int i = 0; i < 4; i++) {
      assertReachable(check(ctx, at(mutual), i % 2 == 0));
    }
    try (SSLSocket s = ctx.connect(at(mutual), TIMEOUT)) {
      assertEquals("STORED|VALUE tls_key 0 5|hello|END|", setAndGet(s));
    }
  }

  @Test
  void mutualTlsWithoutOrWithAnUntrustedClientCertificateFails() {
    CacheException none = assertThrows(CacheException.class,
        () -> check(context(tls.clientSettings()), at(mutual), false));
    assertTrue(none.getMessage().contains("memcached at " + mutual.address()), none.getMessage());
    assertTrue(none.getMessage().contains("tlsKeyStore"), none.getMessage());
    TlsContext stranger = context(with(tls.mutualClientSettings(), "tlsKeyStore", tls.untrustedClientKeyStore().toString()));
    CacheException e = assertThrows(CacheException.class, () -> check(stranger, at(mutual), true));
    assertTrue(e.getMessage().contains(tls.untrustedClientKeyStore().toString()), e.getMessage());
  }

  @Test
  void unreachableServerIsLeftToTheFailureMode() throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    ServerCheck.Result r = check(context(tls.clientSettings()), new InetSocketAddress("127.0.0.1", port), true);
    assertFalse(r.reachable());
    assertTrue(r.problem().contains("unreachable"), r.problem());
  }

  @Test
  void engineVerifiesTheHostAndSendsSniOnlyForNames() {
    TlsContext ctx = context(tls.clientSettings());
    SSLEngine byIp = ctx.engine(at(server));
    assertEquals("HTTPS", byIp.getSSLParameters().getEndpointIdentificationAlgorithm());
    assertTrue(byIp.getUseClientMode());
    assertEquals("127.0.0.1", byIp.getPeerHost());
    assertTrue(byIp.getSSLParameters().getServerNames().isEmpty());
    SSLEngine byName = ctx.engine(InetSocketAddress.createUnresolved("cache-1.example.com", 11211));
    assertEquals(List.of(new SNIHostName("cache-1.example.com")), byName.getSSLParameters().getServerNames());
    SSLEngine off = context(with(tls.clientSettings(), "tlsVerifyHostname", "false")).engine(at(server));
    assertNull(off.getSSLParameters().getEndpointIdentificationAlgorithm());
  }

  // ---- settings and stores: errors name the setting and the file, never a password

  @Test
  void missingFileIsNamed() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> context(with(tls.clientSettings(), "tlsTrustStore", "/nonexistent/trust.p12")));
    assertTrue(e.getMessage().contains("tlsTrustStore /nonexistent/trust.p12: no such file"), e.getMessage());
  }

  @Test
  void wrongPasswordsAreNamedButNotShown() {
    IllegalArgumentException trust = assertThrows(IllegalArgumentException.class,
        () -> context(with(tls.clientSettings(), "tlsTrustStorePassword", "s3cret-wrong")));
    assertTrue(trust.getMessage().contains("wrong tlsTrustStorePassword"), trust.getMessage());
    assertFalse(trust.getMessage().contains("s3cret-wrong"), trust.getMessage());
    IllegalArgumentException key = assertThrows(IllegalArgumentException.class,
        () -> context(with(tls.mutualClientSettings(), "tlsKeyStorePassword", "s3cret-wrong")));
    assertTrue(key.getMessage().contains("tlsKeyStore " + tls.clientKeyStore()), key.getMessage());
    assertTrue(key.getMessage().contains("wrong tlsKeyStorePassword"), key.getMessage());
    assertFalse(key.getMessage().contains("s3cret-wrong"), key.getMessage());
  }

  @Test
  void aFileOfTheWrongTypeIsNamed() throws IOException {
    Path junk = Files.writeString(tls.dir().resolve("junk.p12"), "not a key store");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> context(with(tls.clientSettings(), "tlsTrustStore", junk.toString())));
    assertTrue(e.getMessage().contains("tlsTrustStore " + junk + ": cannot read it as PKCS12"), e.getMessage());
    IllegalArgumentException pem = assertThrows(IllegalArgumentException.class,
        () -> context(Map.of("tls", "true", "tlsTrustStore", junk.toString(), "tlsTrustStoreType", "PEM")));
    assertTrue(pem.getMessage().contains("tlsTrustStore " + junk), pem.getMessage());
  }

  @Test
  void aTrustStoreAsKeyStoreSaysItHasNoKey() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> context(with(tls.mutualClientSettings(), "tlsKeyStore", tls.trustStore().toString())));
    assertTrue(e.getMessage().contains("holds no private key"), e.getMessage());
  }

  @Test
  void defaultTrustRefusesTheTestCa() {
    // No tlsTrustStore: the JVM's cacerts, which does not know the test CA.
    TlsContext ctx = context(Map.of("tls", "true"));
    CacheException e = assertThrows(CacheException.class, () -> check(ctx, at(server), false));
    assertTrue(e.getMessage().contains("not trusted by the JVM's default trust store"), e.getMessage());
  }
}
