package io.github.newcache.testing;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.internal.config.TlsSettings;
import io.github.newcache.internal.transport.tls.TlsContext;
import io.github.newcache.testkit.TlsFixture;
import java.net.URI;
import java.util.Map;

/** TLS settings and contexts for tests, parsed the way a manager parses them (override properties). */
public final class TestTls {

  private TestTls() {}

  /** {@code settings} (tls* names) parsed as the override properties of a manager. */
  public static TlsSettings settings(Map<String, String> settings) {
    return SettingsParser.parse(
            URI.create("memcached://127.0.0.1:11211/"), TestTls.class.getClassLoader(), TlsFixture.properties(settings))
        .tls();
  }

  /** A context from {@code settings}: the stores loaded, as the transport loads them. */
  public static TlsContext context(Map<String, String> settings) {
    return TlsContext.create(settings(settings));
  }
}
