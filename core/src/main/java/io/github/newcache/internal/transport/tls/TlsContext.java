package io.github.newcache.internal.transport.tls;

import io.github.newcache.internal.config.Secret;
import io.github.newcache.internal.config.TlsSettings;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * An {@link SSLContext} built from {@link TlsSettings}, and TLS connections to memcached servers
 * with the same verification everywhere: blocking sockets for short exchanges (key listing, the
 * SASL and TLS checks at start) and {@link SSLEngine}s for a non-blocking client.
 *
 * <p>Verification: the server's certificate must chain to a trusted CA and, unless {@code
 * tlsVerifyHostname=false}, name the server (endpoint identification {@code HTTPS}: a DNS name
 * against the certificate's DNS names, an IP address against its IP addresses) or {@code
 * tlsHostname} when set. Failures name the server and say whether the CA or the name was wrong,
 * or that the server does not speak TLS.
 */
public final class TlsContext {

  /**
   * The least time a blocking handshake gets, whatever the caller's timeout: a cold JVM's first
   * handshakes (key agreement, signature checks, the JIT not yet done) on a busy two-core machine
   * took over a second here, and a check at start that gave up on them would let a wrong
   * certificate pass unreported.
   */
  public static final int MIN_HANDSHAKE_MILLIS = 3000;

  private static final Pattern IP_LITERAL = Pattern.compile("[0-9.]+|.*:.*");

  private final TlsSettings settings;
  private final SSLContext context;
  private TlsContext(TlsSettings settings, SSLContext context) {
    this.settings = settings;
    this.context = context;
  }

  /**
   * Loads the trust and key stores and builds the context. Errors are {@link
   * IllegalArgumentException}s that name the setting and the file (never a password).
   */
  public static TlsContext create(TlsSettings settings) {
    if (!settings.enabled()) {
      throw new IllegalArgumentException("TLS is off (tls=false): no TLS context to create");
    }
    String trustSource;
    KeyStore trustStore = null;
    if (settings.trustStore() == null) {
      trustSource = "the JVM's default trust store";
    } else {
      trustSource = "tlsTrustStore " + settings.trustStore();
      trustStore = loadTrust(settings);
    }
    try {
      TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(trustStore);
      X509ExtendedTrustManager delegate = null;
      for (TrustManager tm : tmf.getTrustManagers()) {
        if (tm instanceof X509ExtendedTrustManager extended) {
          delegate = extended;
        }
      }
      if (delegate == null) {
        throw new IllegalStateException("the JVM offers no X509ExtendedTrustManager");
      }
      ExplainingTrustManager trust = new ExplainingTrustManager(delegate, trustSource);
      KeyManager[] keys = settings.keyStore() == null ? null : keyManagers(settings);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(keys, new TrustManager[] {trust}, null);
      return new TlsContext(settings, context);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot set up TLS (" + settings + "): " + e.getMessage(), e);
    }
  }

  public TlsSettings settings() {
    return settings;
  }

  /**
   * Parameters for a connection to {@code serverHost} (the host as written in the server list):
   * endpoint identification {@code HTTPS} unless host name verification is off, and SNI with the
   * expected name when it is a DNS name.
   */
  public SSLParameters parameters(String serverHost) {
    SSLParameters p = context.getDefaultSSLParameters();
    String name = settings.expectedName(serverHost);
    p.setEndpointIdentificationAlgorithm(settings.verifyHostname() ? "HTTPS" : null);
    if (name != null && !IP_LITERAL.matcher(name).matches() && !name.startsWith("*.")) {
      p.setServerNames(List.of(new SNIHostName(name)));
    } else {
      p.setServerNames(Collections.emptyList());
    }
    return p;
  }

  /**
   * The first label of the name verified for {@code tlsHostname=*.d}: the JDK refuses a wildcard
   * as the name to verify, so the client verifies {@value}.d, which only a certificate for {@code
   * *.d} (or for that very name) carries. No SNI is sent for a wildcard.
   */
  static final String WILDCARD_STAND_IN = "newcache-any-host";

  /** The name whose certificate the client accepts for {@code serverHost} (see {@link #WILDCARD_STAND_IN}). */
  String verifiedName(String serverHost) {
    String name = settings.expectedName(serverHost);
    return name != null && name.startsWith("*.") ? WILDCARD_STAND_IN + name.substring(1) : name;
  }

  /** {@code verified} as the settings wrote it: {@code *.d} for the stand-in of a wildcard. */
  static String asWritten(String verified) {
    return verified != null && verified.startsWith(WILDCARD_STAND_IN + ".")
        ? "*" + verified.substring(WILDCARD_STAND_IN.length())
        : verified;
  }

  /** A client-mode engine for {@code server}, verifying as {@link #parameters} says. */
  public SSLEngine engine(InetSocketAddress server) {
    String name = verifiedName(server.getHostString());
    forgetSessions(name, server.getPort());
    SSLEngine engine = context.createSSLEngine(name, server.getPort());
    engine.setUseClientMode(true);
    engine.setSSLParameters(parameters(server.getHostString()));
    return engine;
  }

  /**
   * A connected TLS socket to {@code server} with the handshake done, so a wrong certificate or a
   * server without TLS fails here, with a {@link TlsHandshakeException} that names the server and
   * the reason. {@code timeoutMillis} bounds the connect and, once connected, every read; the
   * handshake gets at least {@link #MIN_HANDSHAKE_MILLIS}.
   */
  public SSLSocket connect(InetSocketAddress server, int timeoutMillis) throws IOException {
    return connect(server, timeoutMillis, OpenSockets.none());
  }

  /**
   * {@link #connect(InetSocketAddress, int)} with the TCP socket registered in {@code sockets}
   * before it connects: closing them ends the connect or the handshake at once.
   */
  public SSLSocket connect(InetSocketAddress server, int timeoutMillis, OpenSockets sockets) throws IOException {
    int handshakeMillis = Math.max(timeoutMillis, MIN_HANDSHAKE_MILLIS);
    Socket plain = sockets.add(new Socket());
    try {
      plain.connect(server, timeoutMillis);
      plain.setSoTimeout(handshakeMillis);
      plain.setTcpNoDelay(true);
    } catch (IOException e) {
      plain.close();
      throw e;
    }
    String host = server.getHostString();
    String name = verifiedName(host);
    forgetSessions(name, server.getPort());
    SSLSocket socket;
    try {
      socket = (SSLSocket) context.getSocketFactory().createSocket(plain, name, server.getPort(), true);
    } catch (IOException | RuntimeException e) {
      plain.close();
      throw e;
    }
    socket.setUseClientMode(true);
    socket.setSSLParameters(parameters(host));
    try {
      socket.startHandshake();
      socket.setSoTimeout(timeoutMillis);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw describe(server, e, handshakeMillis);
    }
  }

  /**
   * Drops cached TLS sessions for {@code host:port}, so the next handshake is a full one and
   * never a resumption. memcached 1.6.18 started with {@code ssl_verify_mode} (mutual TLS) but
   * without {@code ssl_session_cache} answers every resumption attempt (TLS 1.2 session IDs as
   * well as TLS 1.3 tickets) with an {@code internal_error} alert: without this, every second key
   * listing and every second reconnect failed. Connections to memcached live long, so a full
   * handshake each time costs nothing that matters.
   */
  void forgetSessions(String host, int port) {
    SSLSessionContext cache = context.getClientSessionContext();
    for (byte[] id : Collections.list(cache.getIds())) {
      SSLSession s = cache.getSession(id);
      if (s != null && port == s.getPeerPort() && host.equalsIgnoreCase(String.valueOf(s.getPeerHost()))) {
        s.invalidate();
      }
    }
  }

  /**
   * Turns a TLS failure on a connection to {@code server} into a {@link TlsHandshakeException}
   * that says what went wrong, in the user's terms. Also used for failures after the handshake:
   * with TLS 1.3 a server that refuses the client's certificate says so only at the first read.
   */
  public TlsHandshakeException describe(InetSocketAddress server, IOException e, int timeoutMillis) {
    if (e instanceof TlsHandshakeException described) {
      return described;
    }
    String where = "TLS with memcached at " + server.getHostString() + ":" + server.getPort() + " failed: ";
    ExplainingTrustManager.ExplainedCertificateException explained = find(e);
    String reason;
    TlsHandshakeException.Kind kind;
    if (explained != null) {
      reason = explained.getMessage();
      kind = explained.untrusted() ? TlsHandshakeException.Kind.UNTRUSTED : TlsHandshakeException.Kind.HOSTNAME;
    } else {
      String m = String.valueOf(rootMessage(e));
      if (m.contains("Unsupported or unrecognized SSL message") || m.contains("plaintext connection")) {
        kind = TlsHandshakeException.Kind.NOT_TLS;
        reason = "the server answered in plain text, not TLS: is memcached started with -Z "
            + "(and ssl_chain_cert, ssl_key), and is this its TLS port?";
      } else if (m.contains("certificate_required") || m.contains("bad_certificate")
          || m.contains("unknown_ca") || m.contains("certificate_unknown")
          || m.contains("access_denied")) {
        kind = TlsHandshakeException.Kind.CLIENT_REFUSED;
        reason = "the server refused this client's certificate (" + m + "): "
            + (settings.keyStore() == null
                ? "it requires one; give tlsKeyStore a certificate issued by a CA in its ssl_ca_cert"
                : "tlsKeyStore " + settings.keyStore() + " holds a certificate its ssl_ca_cert does not trust");
      } else if (e instanceof SocketTimeoutException) {
        kind = TlsHandshakeException.Kind.TIMEOUT;
        reason = "no TLS answer within " + timeoutMillis + " ms (is this a TLS port of memcached?)";
      } else if (e instanceof EOFException || e instanceof SocketException
          || m.contains("Remote host terminated") || m.contains("closed")) {
        kind = TlsHandshakeException.Kind.CLOSED;
        reason = "the server closed the TLS connection (" + m + "); "
            + (settings.keyStore() == null
                ? "it may require a client certificate (tlsKeyStore)"
                : "it may not trust the client certificate in tlsKeyStore " + settings.keyStore()
                    + " (memcached's ssl_ca_cert)")
            + ", or refuse this TLS version";
      } else {
        kind = TlsHandshakeException.Kind.OTHER;
        reason = m;
      }
    }
    return new TlsHandshakeException(where + reason, kind, e);
  }

  private static ExplainingTrustManager.ExplainedCertificateException find(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof ExplainingTrustManager.ExplainedCertificateException explained) {
        return explained;
      }
      if (c.getCause() == c) {
        break;
      }
    }
    return null;
  }

  private static String rootMessage(Throwable t) {
    String m = t.getMessage();
    for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
      if (c.getMessage() != null && (c instanceof SSLException || m == null)) {
        m = c.getMessage();
      }
    }
    return m == null ? t.getClass().getSimpleName() : m;
  }

  private static KeyStore loadTrust(TlsSettings s) {
    Path file = s.trustStore();
    String setting = "tlsTrustStore " + file;
    try {
      KeyStore ks;
      if (TlsSettings.PEM.equals(s.trustStoreType())) {
        Collection<? extends Certificate> certs;
        try (InputStream in = Files.newInputStream(file)) {
          certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
        }
        ks = KeyStore.getInstance(TlsSettings.PKCS12);
        ks.load(null, null);
        int i = 0;
        for (Certificate c : certs) {
          ks.setCertificateEntry("ca-" + i++, c);
        }
      } else {
        ks = load(file, s.trustStoreType(), chars(s.trustStorePassword()), setting, "tlsTrustStorePassword");
      }
      if (!hasCertificates(ks)) {
        throw new IllegalArgumentException(
            setting + " (" + s.trustStoreType() + ") holds no certificates"
                + (TlsSettings.PEM.equals(s.trustStoreType())
                    ? "; a PEM trust store lists CA certificates (-----BEGIN CERTIFICATE-----)"
                    : "; with a PKCS12 store, a missing or wrong tlsTrustStorePassword can hide them"));
      }
      return ks;
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(setting + ": no such file", e);
    } catch (IOException | GeneralSecurityException e) {
      throw new IllegalArgumentException(
          setting + ": cannot read it as " + s.trustStoreType() + ": " + e.getMessage(), e);
    }
  }

  private static KeyManager[] keyManagers(TlsSettings s) throws GeneralSecurityException {
    Path file = s.keyStore();
    String setting = "tlsKeyStore " + file;
    char[] storePassword = chars(s.keyStorePassword());
    char[] keyPassword = chars(s.effectiveKeyPassword());
    try {
      KeyStore ks = load(file, s.keyStoreType(), storePassword, setting, "tlsKeyStorePassword");
      boolean hasKey = false;
      for (String alias : Collections.list(ks.aliases())) {
        hasKey |= ks.isKeyEntry(alias);
      }
      if (!hasKey) {
        throw new IllegalArgumentException(
            setting + " holds no private key with its certificate: mutual TLS needs the client's "
                + "key and certificate chain (e.g. openssl pkcs12 -export -inkey client.key -in client.crt)");
      }
      KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      try {
        kmf.init(ks, keyPassword);
      } catch (UnrecoverableKeyException e) {
        throw new IllegalArgumentException(
            setting + ": cannot unlock the private key: wrong tlsKeyPassword (or tlsKeyStorePassword)", e);
      }
      return kmf.getKeyManagers();
    } finally {
      Arrays.fill(storePassword, '\0');
      Arrays.fill(keyPassword, '\0');
    }
  }

  private static KeyStore load(Path file, String type, char[] password, String setting, String passwordSetting) {
    try (InputStream in = Files.newInputStream(file)) {
      KeyStore ks = KeyStore.getInstance(type);
      ks.load(in, password);
      return ks;
    } catch (NoSuchFileException e) {
      throw new IllegalArgumentException(setting + ": no such file", e);
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException
          || String.valueOf(e.getMessage()).contains("password")) {
        throw new IllegalArgumentException(setting + ": wrong " + passwordSetting, e);
      }
      throw new IllegalArgumentException(
          setting + ": cannot read it as " + type + " (" + e.getMessage() + "); check the type "
              + "(PKCS12, JKS" + (passwordSetting.startsWith("tlsTrust") ? " or PEM" : "") + ")", e);
    } catch (GeneralSecurityException e) {
      throw new IllegalArgumentException(setting + ": cannot read it as " + type + ": " + e.getMessage(), e);
    } finally {
      if (password != null && passwordSetting.startsWith("tlsTrust")) {
        Arrays.fill(password, '\0');
      }
    }
  }

  private static char[] chars(Secret secret) {
    return secret == null ? null : secret.reveal().toCharArray();
  }

  private static boolean hasCertificates(KeyStore ks) throws GeneralSecurityException {
    for (String alias : Collections.list(ks.aliases())) {
      if (ks.isCertificateEntry(alias) || ks.getCertificate(alias) != null) {
        return true;
      }
    }
    return false;
  }

  @Override
  public String toString() {
    return settings.toString();
  }
}
