package io.github.newcache.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

/**
 * Certificates made at test time, in a temporary directory, and memcached servers that use them.
 * Nothing is checked in: every run has fresh keys that expire in two days.
 *
 * <ul>
 *   <li>CA "Newcache Test CA" ({@link #caCert()}, and as {@link #trustStore()} PKCS12);
 *   <li>a server certificate for {@code localhost} and {@code 127.0.0.1} (subject alternative
 *       names) issued by it: {@link #serverArgs()};
 *   <li>a server certificate for {@code wrong.example} only, issued by the same CA: {@link
 *       #wrongHostArgs()} (trusted, wrong name);
 *   <li>a client certificate issued by the CA ({@link #clientKeyStore()}), for mutual TLS with
 *       {@link #mutualArgs()}; and one issued by the other CA ({@link #untrustedClientKeyStore()});
 *   <li>a second, unrelated CA "Other Test CA" ({@link #otherTrustStore()}): a client trusting only
 *       it must refuse every server here.
 * </ul>
 *
 * Keys are EC P-256 made by {@code openssl} (about 10 ms each, where keytool takes seconds);
 * the Java stores are written with {@link KeyStore}. Stores use the password {@link #PASSWORD}.
 */
public final class TlsFixture implements AutoCloseable {

  public static final String PASSWORD = "changeit";

  private final Path dir;
  private int serial = 1;

  private TlsFixture(Path dir) {
    this.dir = dir;
  }

  /** Makes all certificates and stores in a new temporary directory. */
  public static TlsFixture create() {
    try {
      TlsFixture f = new TlsFixture(Files.createTempDirectory("newcache-tls"));
      f.generate();
      return f;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void generate() throws IOException {
    ca("ca", "Newcache Test CA");
    ca("other-ca", "Other Test CA");
    leaf("server", "ca", "localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n");
    leaf("wrong-host", "ca", "wrong.example", "subjectAltName=DNS:wrong.example\nextendedKeyUsage=serverAuth\n");
    leaf("wildcard", "ca", "*.cache.example.net", "subjectAltName=DNS:*.cache.example.net\nextendedKeyUsage=serverAuth\n");
    leaf("client", "ca", "newcache-client", "extendedKeyUsage=clientAuth\n");
    leaf("untrusted-client", "other-ca", "stranger", "extendedKeyUsage=clientAuth\n");
    concat(dir.resolve("server-chain.pem"), file("server.crt"), file("ca.crt"));
    concat(dir.resolve("wrong-host-chain.pem"), file("wrong-host.crt"), file("ca.crt"));
    concat(dir.resolve("wildcard-chain.pem"), file("wildcard.crt"), file("ca.crt"));
    try {
      trustStore(file("ca.crt"), dir.resolve("truststore.p12"));
      trustStore(file("other-ca.crt"), dir.resolve("other-truststore.p12"));
      keyStore("client", "ca", dir.resolve("client.p12"));
      keyStore("server", "ca", dir.resolve("server.p12"));
      keyStore("untrusted-client", "other-ca", dir.resolve("untrusted-client.p12"));
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("cannot write the test key stores: " + e, e);
    }
  }

  public Path dir() {
    return dir;
  }

  /** PEM: the test CA's certificate (memcached's {@code ssl_ca_cert}, or a PEM trust store). */
  public Path caCert() {
    return file("ca.crt");
  }

  /** PKCS12 holding the test CA's certificate. */
  public Path trustStore() {
    return file("truststore.p12");
  }

  /** PKCS12 holding only the unrelated CA: nothing served here is trusted by it. */
  public Path otherTrustStore() {
    return file("other-truststore.p12");
  }

  /** PKCS12 with the client's key and its chain (test CA). */
  public Path clientKeyStore() {
    return file("client.p12");
  }

  /** PKCS12 with a client key whose certificate the unrelated CA issued. */
  public Path untrustedClientKeyStore() {
    return file("untrusted-client.p12");
  }

  /** PKCS12 with the {@code localhost}/{@code 127.0.0.1} server key and chain (for Java test servers). */
  public Path serverKeyStore() {
    return file("server.p12");
  }

  /** A server-side context with {@link #serverKeyStore()}, for TLS test doubles. */
  public SSLContext serverContext() {
    try (InputStream in = Files.newInputStream(serverKeyStore())) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, PASSWORD.toCharArray());
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, PASSWORD.toCharArray());
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(kmf.getKeyManagers(), null, null);
      return c;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot load " + serverKeyStore() + ": " + e, e);
    }
  }

  /** A client context that trusts the test CA, for raw TLS connections of tests. */
  public SSLContext clientContext() {
    try (InputStream in = Files.newInputStream(trustStore())) {
      KeyStore ks = KeyStore.getInstance("PKCS12");
      ks.load(in, PASSWORD.toCharArray());
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      SSLContext c = SSLContext.getInstance("TLS");
      c.init(null, tmf.getTrustManagers(), null);
      return c;
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalStateException("cannot load " + trustStore() + ": " + e, e);
    }
  }

  /**
   * One counter of {@code stats} ({@code curr_items}, {@code cmd_set}, …) of a TLS server started
   * with {@link #serverArgs()}, over a raw TLS connection; -1 if absent.
   */
  public long stat(LocalMemcached server, String name) {
    try (Socket plain = new Socket()) {
      plain.connect(new InetSocketAddress(server.host(), server.port()), 2000);
      try (SSLSocket s = (SSLSocket) clientContext().getSocketFactory().createSocket(plain, server.host(), server.port(), true)) {
        s.setSoTimeout(5000);
        s.startHandshake();
        return RawMemcached.stat(s, name);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public Path serverChain() {
    return file("server-chain.pem");
  }

  public Path serverKey() {
    return file("server.key");
  }

  /** memcached arguments: TLS with the {@code localhost}/{@code 127.0.0.1} certificate. */
  public String[] serverArgs() {
    return new String[] {"-Z", "-o", "ssl_chain_cert=" + serverChain() + ",ssl_key=" + serverKey()};
  }

  /** memcached arguments: TLS with a trusted certificate for {@code wrong.example} only. */
  public String[] wrongHostArgs() {
    return new String[] {
      "-Z", "-o", "ssl_chain_cert=" + file("wrong-host-chain.pem") + ",ssl_key=" + file("wrong-host.key")
    };
  }

  /** memcached arguments: TLS with a trusted wildcard certificate for {@code *.cache.example.net} only. */
  public String[] wildcardArgs() {
    return new String[] {
      "-Z", "-o", "ssl_chain_cert=" + file("wildcard-chain.pem") + ",ssl_key=" + file("wildcard.key")
    };
  }

  /** memcached arguments: TLS that requires a client certificate issued by the test CA. */
  public String[] mutualArgs() {
    return new String[] {
      "-Z", "-o",
      "ssl_chain_cert=" + serverChain() + ",ssl_key=" + serverKey() + ",ssl_ca_cert=" + caCert()
          + ",ssl_verify_mode=2"
    };
  }

  /** Starts memcached on a free loopback port with TLS (stop it with {@code close()}). */
  public LocalMemcached startServer() {
    return LocalMemcached.start(serverArgs());
  }

  /** Starts memcached with TLS and a trusted certificate for {@code wrong.example} only. */
  public LocalMemcached startWrongHostServer() {
    return LocalMemcached.start(wrongHostArgs());
  }

  /** Starts memcached with TLS that requires a client certificate issued by the test CA. */
  public LocalMemcached startMutualServer() {
    return LocalMemcached.start(mutualArgs());
  }

  /** Settings for a client that trusts the test CA (as a file or override {@code Properties}). */
  public Map<String, String> clientSettings() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("tls", "true");
    m.put("tlsTrustStore", trustStore().toString());
    m.put("tlsTrustStorePassword", PASSWORD);
    return m;
  }

  /** {@link #clientSettings()} plus the client certificate, for mutual TLS. */
  public Map<String, String> mutualClientSettings() {
    Map<String, String> m = clientSettings();
    m.put("tlsKeyStore", clientKeyStore().toString());
    m.put("tlsKeyStorePassword", PASSWORD);
    return m;
  }

  /**
   * Closes every resource given, skipping nulls, and each one even when another fails: for a test
   * class's servers and fixture in its {@code @AfterAll}.
   */
  public static void closeAll(AutoCloseable... resources) {
    for (AutoCloseable c : resources) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // keep closing the others
      }
    }
  }

  /** {@code settings} as {@code Properties}, e.g. for {@code getCacheManager(uri, loader, properties)}. */
  public static Properties properties(Map<String, String> settings) {
    Properties p = new Properties();
    p.putAll(settings);
    return p;
  }

  /** Deletes the directory. */
  @Override
  public void close() {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // a temporary directory left behind is harmless
    }
  }

  private Path file(String name) {
    return dir.resolve(name);
  }

  private void ca(String name, String cn) throws IOException {
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", name + ".key", "-out", name + ".crt", "-days", "2", "-subj", "/CN=" + cn,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign");
  }

  private void leaf(String name, String ca, String cn, String extensions) throws IOException {
    Files.writeString(file(name + ".ext"), "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n" + extensions);
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", name + ".key", "-out", name + ".csr", "-subj", "/CN=" + cn);
    openssl("x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt", "-CAkey", ca + ".key",
        "-set_serial", Integer.toString(++serial), "-days", "2", "-out", name + ".crt",
        "-extfile", name + ".ext");
  }

  private void openssl(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("openssl");
    cmd.addAll(List.of(args));
    Process p;
    try {
      p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new IllegalStateException(
          "openssl is not installed (Debian: apt-get install -y openssl); the TLS tests make "
              + "their certificates with it: " + e.getMessage(), e);
    }
    byte[] out;
    try (InputStream in = p.getInputStream()) {
      out = in.readAllBytes();
    }
    try {
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(
            String.join(" ", cmd) + " failed: " + new String(out, StandardCharsets.UTF_8));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running openssl", e);
    }
  }

  private static void concat(Path to, Path... from) throws IOException {
    try (OutputStream out = Files.newOutputStream(to)) {
      for (Path f : from) {
        out.write(Files.readAllBytes(f));
      }
    }
  }

  private static List<Certificate> certificates(Path pem) throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(pem)) {
      return new ArrayList<>(CertificateFactory.getInstance("X.509").generateCertificates(in));
    }
  }

  private static void trustStore(Path caPem, Path to) throws IOException, GeneralSecurityException {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", certificates(caPem).get(0));
    try (OutputStream out = Files.newOutputStream(to)) {
      ks.store(out, PASSWORD.toCharArray());
    }
  }

  private void keyStore(String name, String ca, Path to) throws IOException, GeneralSecurityException {
    List<Certificate> chain = certificates(file(name + ".crt"));
    chain.addAll(certificates(file(ca + ".crt")));
    KeyStore ks = KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry(name, privateKey(file(name + ".key")), PASSWORD.toCharArray(), chain.toArray(new Certificate[0]));
    try (OutputStream out = Files.newOutputStream(to)) {
      ks.store(out, PASSWORD.toCharArray());
    }
  }

  /** A PKCS#8 PEM private key ({@code BEGIN PRIVATE KEY}, what openssl 1.1 and 3 write). */
  private static PrivateKey privateKey(Path pem) throws IOException, GeneralSecurityException {
    String text = Files.readString(pem, StandardCharsets.US_ASCII);
    int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = text.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < 0) {
      throw new IllegalStateException(pem + " is not a PKCS#8 PEM private key");
    }
    String base64 = text.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end).replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(base64);
    return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
  }
}
