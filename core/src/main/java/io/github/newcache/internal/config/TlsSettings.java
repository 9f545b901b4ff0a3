package io.github.newcache.internal.config;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * TLS to memcached: whether it is on, which CAs the client trusts, which certificate it shows
 * (mutual TLS) and which name it expects in the servers' certificates. Parsed once from the
 * manager's settings ({@link Settings#NETWORK}); the passwords are {@link Secret}s, so they never
 * appear in {@code toString()} or an error. The files are read when the transport starts ({@code
 * internal/transport/tls/TlsContext}), with errors that name the setting and the file.
 *
 * @param enabled whether TLS is on (setting tls)
 * @param trustStore the trust store file (setting tlsTrustStore), or null for the JVM's default trust
 * @param trustStoreType {@code PKCS12}, {@code JKS} or {@code PEM} (null without a trust store)
 * @param trustStorePassword the trust store's password, or null
 * @param keyStore the client's key store file for mutual TLS, or null
 * @param keyStoreType {@code PKCS12} or {@code JKS} (null without a key store)
 * @param keyStorePassword the key store's password (required with a key store), or null
 * @param keyPassword the private key's own password, or null for the key store's password
 * @param verifyHostname whether each certificate must name its server
 * @param hostname the name to expect in every certificate instead of each server's, or null
 */
public record TlsSettings(
    boolean enabled,
    Path trustStore,
    String trustStoreType,
    Secret trustStorePassword,
    Path keyStore,
    String keyStoreType,
    Secret keyStorePassword,
    Secret keyPassword,
    boolean verifyHostname,
    String hostname) {

  public static final String PKCS12 = "PKCS12";
  public static final String JKS = "JKS";
  public static final String PEM = "PEM";

  /** The settings that mean nothing without {@code tls}. */
  private static final List<Setting<?>> OPTIONS =
      List.of(Settings.TLS_TRUST_STORE, Settings.TLS_TRUST_STORE_TYPE, Settings.TLS_TRUST_STORE_PASSWORD,
          Settings.TLS_KEY_STORE, Settings.TLS_KEY_STORE_TYPE, Settings.TLS_KEY_STORE_PASSWORD, Settings.TLS_KEY_PASSWORD,
          Settings.TLS_VERIFY_HOSTNAME, Settings.TLS_HOSTNAME);

  private static final TlsSettings OFF = new TlsSettings(false, null, null, null, null, null, null, null, true, null);

  /** Plain TCP, the default. */
  public static TlsSettings off() {
    return OFF;
  }

  /**
   * Reads the {@code tls*} settings. Any of them without {@code tls} is an error rather than a
   * silent plain-text connection ({@code tls=false} says "plain on purpose"); a key store needs its
   * password; store settings need their store.
   */
  static TlsSettings from(Map<String, String> v, Source source) {
    String where = source.manager();
    if (!v.containsKey(Settings.TLS.name())) {
      for (Setting<?> s : OPTIONS) {
        if (v.containsKey(s.name())) {
          throw new IllegalArgumentException(
              where + s.name() + " is set but tls is not; add tls=true (or tls=false to connect without TLS on purpose)");
        }
      }
    }
    if (!Settings.TLS.get(v, where, source)) {
      return OFF;
    }
    Path trust = path(v, Settings.TLS_TRUST_STORE, where, source);
    Path key = path(v, Settings.TLS_KEY_STORE, where, source);
    if (trust == null) {
      needs(v, Settings.TLS_TRUST_STORE, where, Settings.TLS_TRUST_STORE_TYPE, Settings.TLS_TRUST_STORE_PASSWORD);
    }
    if (key == null) {
      needs(v, Settings.TLS_KEY_STORE, where, Settings.TLS_KEY_STORE_TYPE, Settings.TLS_KEY_STORE_PASSWORD,
          Settings.TLS_KEY_PASSWORD);
    } else if (!v.containsKey(Settings.TLS_KEY_STORE_PASSWORD.name())) {
      throw new IllegalArgumentException(
          where + "tlsKeyStore needs tlsKeyStorePassword (in the properties file or the Properties given to "
              + "getCacheManager)");
    }
    return new TlsSettings(
        true,
        trust,
        type(Settings.TLS_TRUST_STORE_TYPE.get(v, where, source), trust, true),
        secret(Settings.TLS_TRUST_STORE_PASSWORD.get(v, where, source)),
        key,
        type(Settings.TLS_KEY_STORE_TYPE.get(v, where, source), key, false),
        secret(Settings.TLS_KEY_STORE_PASSWORD.get(v, where, source)),
        secret(Settings.TLS_KEY_PASSWORD.get(v, where, source)),
        Settings.TLS_VERIFY_HOSTNAME.get(v, where, source),
        Settings.TLS_HOSTNAME.get(v, where, source));
  }

  /** The name to verify in the certificate of {@code serverHost}: {@code tlsHostname} when set. */
  public String expectedName(String serverHost) {
    return hostname != null ? hostname : serverHost;
  }

  /** The key's password: {@code tlsKeyPassword}, else the key store's. */
  public Secret effectiveKeyPassword() {
    return keyPassword != null ? keyPassword : keyStorePassword;
  }

  @Override
  public String toString() {
    if (!enabled) {
      return "TLS off";
    }
    return "TLS{trust=" + (trustStore == null ? "JVM default" : trustStore + " (" + trustStoreType + ")")
        + (keyStore == null ? "" : ", key=" + keyStore + " (" + keyStoreType + ")")
        + ", verifyHostname=" + verifyHostname + (hostname == null ? "" : ", hostname=" + hostname) + "}";
  }

  private static void needs(Map<String, String> v, Setting<?> store, String where, Setting<?>... dependents) {
    for (Setting<?> d : dependents) {
      if (v.containsKey(d.name())) {
        throw new IllegalArgumentException(where + d.name() + " needs " + store.name());
      }
    }
  }

  private static Path path(Map<String, String> v, Setting<String> setting, String where, Source source) {
    String s = setting.get(v, where, source);
    if (s == null) {
      return null;
    }
    if (s.isEmpty()) {
      throw new IllegalArgumentException(where + setting.name() + " is empty; give a file path");
    }
    try {
      return Path.of(s);
    } catch (InvalidPathException e) {
      throw new IllegalArgumentException(
          where + setting.name() + (source.shows(setting.name()) ? "=" + s : "") + " is not a file path", e);
    }
  }

  /** The given type in upper case, or the one the file name suggests. */
  private static String type(String given, Path file, boolean pemAllowed) {
    if (file == null) {
      return null;
    }
    if (given != null) {
      return given.toUpperCase(Locale.ROOT);
    }
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".jks")) {
      return JKS;
    }
    if (pemAllowed && (name.endsWith(".pem") || name.endsWith(".crt") || name.endsWith(".cer"))) {
      return PEM;
    }
    return PKCS12;
  }

  private static Secret secret(String s) {
    return s == null ? null : Secret.of(s);
  }
}
