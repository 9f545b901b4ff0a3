package io.github.newcache.tck;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.TlsFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Gives the TCK run a real memcached: started when the test session opens, stopped when it
 * closes. The TCK always asks for the provider's default cache manager, so this writes a
 * properties file naming the server and the protocol ({@code -Dnewcache.tck.binary}) and points
 * the system property {@code newcache.uri} at it. With {@code -Dnewcache.tck.nearCache=true} the
 * file also gives every cache a near cache (the manager-wide default), so the whole TCK runs
 * through it. With {@code -Dnewcache.tck.tls=true} the server speaks only TLS (a CA and server
 * certificate made for the run by the test kit's {@code TlsFixture}) and the file sets {@code
 * tls=true} with that CA as the trust store, so every command, key listing included, goes over
 * TLS. A {@code file:} URI keeps {@code ?} and {@code =}
 * out of the manager URI, which the TCK puts into JMX object names. At the end it prints the wall
 * time of the whole run.
 */
public final class MemcachedSession implements LauncherSessionListener {

  /** Which memcached protocol the run uses; read only here, by the test side. */
  static final String BINARY_PROPERTY = "newcache.tck.binary";

  /** Whether every cache of the run gets a near cache; read only here, by the test side. */
  static final String NEAR_PROPERTY = "newcache.tck.nearCache";

  /** Whether the run goes over TLS; read only here, by the test side. */
  static final String TLS_PROPERTY = "newcache.tck.tls";

  /** The packages of the classes the TCK caches as keys and values. */
  private static final String TCK_CLASSES = "domain.**,manager.**,org.jsr107.tck.**";

  private LocalMemcached memcached;
  private Path dir;
  private long startNanos;
  private boolean binary;
  private boolean near;
  private TlsFixture tls;

  @Override
  public void launcherSessionOpened(LauncherSession session) {
    binary = Boolean.getBoolean(BINARY_PROPERTY);
    near = Boolean.getBoolean(NEAR_PROPERTY);
    startNanos = System.nanoTime();
    if (System.getProperty("newcache.tck.label") != null) {
      return; // measuring another implementation (-Pri): no memcached, no Newcache on the class path
    }
    if (Boolean.getBoolean(TLS_PROPERTY)) {
      tls = TlsFixture.create();
      memcached = tls.startServer();
    } else {
      // A hash table of 4,096 buckets to start with (memcached's default is 65,536; it grows as
      // items arrive): clear, removeAll, iteration and destroyCache list keys with the crawler's
      // hash walk, which visits every bucket, 14 ms at the default size and 1-2 ms at this one.
      // The TCK clears or destroys caches in nearly every test; its server holds a few items.
      memcached = LocalMemcached.start("-o", "hashpower=12");
    }
    try {
      dir = Files.createTempDirectory("newcache-tck");
      Path file = dir.resolve("newcache.properties");
      try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
        w.write("servers=" + memcached.address() + "\n");
        w.write("binary=" + binary + "\n");
        // The TCK stores its own domain classes in caches typed Object; the provider only
        // deserializes classes it was told about.
        w.write("deserializationAllow=" + TCK_CLASSES + "\n");
        // The TCK checks behaviour, not latency: a busy build machine must not turn into timeouts.
        w.write("opTimeout=10000\n");
        if (near) {
          // Every cache the TCK creates gets a near cache (those whose expiry policy may change
          // expiry on access go without, as the provider documents).
          w.write("nearCache.maxEntries=10000\n");
        }
        if (tls != null) {
          for (var e : tls.clientSettings().entrySet()) {
            w.write(e.getKey() + "=" + e.getValue() + "\n");
          }
        }
      }
      System.setProperty("newcache.uri", file.toUri().toString());
    } catch (IOException e) {
      memcached.close();
      if (tls != null) {
        tls.close();
      }
      throw new UncheckedIOException("cannot write the TCK's newcache.properties", e);
    }
    System.out.println("TCK memcached at " + memcached.address() + " (" + protocol() + "), "
        + "newcache.uri=" + System.getProperty("newcache.uri"));
  }

  @Override
  public void launcherSessionClosed(LauncherSession session) {
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    System.out.println(String.format(Locale.ROOT, "TCK wall time (%s): %.1f s", protocol(), seconds));
    if (memcached != null) {
      memcached.close();
    }
    if (tls != null) {
      tls.close();
    }
    if (dir != null) {
      try {
        Files.deleteIfExists(dir.resolve("newcache.properties"));
        Files.deleteIfExists(dir);
      } catch (IOException ignored) {
        // a leftover temp file is harmless
      }
    }
  }

  private String protocol() {
    String label = System.getProperty("newcache.tck.label");
    if (label != null) {
      return label;
    }
    return (binary ? "binary protocol" : "text protocol") + (near ? ", near cache" : "") + (tls != null ? ", TLS" : "");
  }
}
