package io.github.newcache.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The TLS, discovery and DNS settings: parsing, defaults, and errors that name the input and hide passwords. */
class NetworkSettingsTest {

  private static final ClassLoader LOADER = NetworkSettingsTest.class.getClassLoader();

  private static ManagerSettings parse(String uri, String... overrides) {
    Properties p = new Properties();
    for (int i = 0; i < overrides.length; i += 2) {
      p.setProperty(overrides[i], overrides[i + 1]);
    }
    return SettingsParser.parse(URI.create(uri), LOADER, p);
  }

  private static String fails(String uri, String... overrides) {
    return assertThrows(IllegalArgumentException.class, () -> parse(uri, overrides), uri).getMessage();
  }

  @Test
  void offByDefaultWithHostNameVerificationReady() {
    ManagerSettings s = parse("memcached://h:11211/");
    assertFalse(s.tls().enabled());
    assertTrue(s.tls().verifyHostname());
    assertEquals(TlsSettings.off(), s.transport().tls());
    assertFalse(s.discovery().elastiCache());
    assertEquals(60_000, s.discovery().intervalMillis());
    assertEquals(0, s.discovery().dnsRefreshMillis());
  }

  @Test
  void tlsInTheUriWithTheJvmTrustAndPathsInTheUri() {
    TlsSettings t = parse("memcached://h/?tls=true&tlsHostname=*.cache.example.com").tls();
    assertTrue(t.enabled());
    assertNull(t.trustStore());
    assertEquals("*.cache.example.com", t.expectedName("10.0.0.1"));
    TlsSettings withStore = parse("memcached://h/?tls=true&tlsTrustStore=/etc/ca.pem").tls();
    assertEquals(Path.of("/etc/ca.pem"), withStore.trustStore());
    assertEquals(TlsSettings.PEM, withStore.trustStoreType());
  }

  @Test
  void storeTypesFollowTheFileNameUnlessGiven() {
    TlsSettings t = parse("memcached://h/", "tls", "true", "tlsTrustStore", "/etc/trust.jks", "tlsKeyStore",
        "/etc/client.p12", "tlsKeyStorePassword", "pw").tls();
    assertEquals(TlsSettings.JKS, t.trustStoreType());
    assertEquals(TlsSettings.PKCS12, t.keyStoreType());
    TlsSettings given = parse("memcached://h/", "tls", "true", "tlsTrustStore", "/etc/trust", "tlsTrustStoreType",
        "pem", "tlsKeyStore", "/etc/client", "tlsKeyStoreType", "jks", "tlsKeyStorePassword", "pw").tls();
    assertEquals(TlsSettings.PEM, given.trustStoreType());
    assertEquals(TlsSettings.JKS, given.keyStoreType());
    assertEquals("pw", given.effectiveKeyPassword().reveal());
  }

  @Test
  void passwordsAreRefusedInAUriAndNeverShown() {
    for (String secret : new String[] {"tlsTrustStorePassword", "tlsKeyStorePassword", "tlsKeyPassword"}) {
      String m = fails("memcached://h/?tls=true&" + secret + "=hunter2hunter2");
      assertTrue(m.contains("must not carry '" + secret + "'"), m);
      assertFalse(m.contains("hunter2"), m);
    }
    TlsSettings t = parse("memcached://h/", "tls", "true", "tlsKeyStore", "/k.p12", "tlsKeyStorePassword",
        "hunter2hunter2").tls();
    assertFalse(t.toString().contains("hunter2"), t.toString());
    assertTrue(Settings.TLS_KEY_STORE_PASSWORD.secret() && Settings.TLS_TRUST_STORE_PASSWORD.secret()
        && Settings.TLS_KEY_PASSWORD.secret());
  }

  @Test
  void tlsOptionsWithoutTlsAreAnError() {
    String m = fails("memcached://h/?tlsTrustStore=/x.p12");
    assertTrue(m.contains("tlsTrustStore is set but tls is not; add tls=true"), m);
    assertFalse(parse("memcached://h/?tls=false&tlsTrustStore=/x.p12").tls().enabled());
  }

  @Test
  void dependentSettingsNeedTheirStore() {
    assertTrue(fails("memcached://h/", "tls", "true", "tlsKeyStore", "/k.p12")
        .contains("tlsKeyStore needs tlsKeyStorePassword"));
    assertTrue(fails("memcached://h/", "tls", "true", "tlsKeyStorePassword", "x")
        .contains("tlsKeyStorePassword needs tlsKeyStore"));
    assertTrue(fails("memcached://h/?tls=true&tlsTrustStoreType=PEM").contains("tlsTrustStoreType needs tlsTrustStore"));
  }

  @Test
  void badValuesNameTheSettingAndWhatIsAllowed() {
    assertTrue(fails("memcached://h/?tls=yes").contains("tls must be true or false"));
    assertTrue(fails("memcached://h/", "tls", "true", "tlsTrustStore", "/t", "tlsTrustStoreType", "p7b")
        .contains("tlsTrustStoreType=p7b is not allowed; use pkcs12, jks or pem"));
    assertTrue(fails("memcached://h/", "tls", "true", "tlsKeyStore", "/k", "tlsKeyStorePassword", "p",
        "tlsKeyStoreType", "PEM").contains("tlsKeyStoreType=PEM is not allowed; use pkcs12 or jks"));
    String m = fails("memcached://h/?tls=true&tlsHostname=bad%20host");
    assertTrue(m.contains("tlsHostname is not allowed; use a DNS name"), m);
    assertFalse(m.contains("bad host"), "a URI's values are never repeated: " + m);
  }

  @Test
  void discoveryTakesOneEndpointAndAnInterval() {
    DiscoverySettings d = parse("memcached://cfg.example.com:11211/?discovery=elasticache&discoveryInterval=5000").discovery();
    assertTrue(d.elastiCache());
    assertEquals(5000, d.intervalMillis());
    assertTrue(fails("memcached://a:1,b:2/?discovery=elasticache").contains("takes exactly one server"));
    assertTrue(fails("memcached://a:1/?discoveryInterval=5000").contains("discoveryInterval needs discovery=elasticache"));
    assertTrue(fails("memcached://a:1/?discovery=consul").contains("discovery is not allowed; use none or elasticache"));
    assertTrue(fails("memcached://a:1/?discovery=elasticache&discoveryInterval=10")
        .contains("discoveryInterval must be a whole number of milliseconds, written without a unit, from 100 to 3600000"));
  }

  @Test
  void dnsRefreshIsOptional() {
    assertEquals(30_000, parse("memcached://a:1/?dnsRefresh=30000").discovery().dnsRefreshMillis());
    assertTrue(fails("memcached://a:1/?dnsRefresh=-1").contains("dnsRefresh must be a whole number of milliseconds, written without a unit, from 0 to 86400000"));
  }

  /** With auto discovery nothing would read dnsRefresh: refused, as discoveryInterval is without it. */
  @Test
  void dnsRefreshIsRefusedWithDiscovery() {
    String m = fails("memcached://cfg.example.com:11211/?discovery=elasticache&dnsRefresh=30000");
    assertTrue(m.contains("dnsRefresh does not apply with discovery=elasticache") && m.contains("discoveryInterval"), m);
    assertTrue(fails("memcached://cfg.example.com:11211/?discovery=elasticache", "dnsRefresh", "0")
        .contains("dnsRefresh does not apply with discovery=elasticache"));
  }
}
