package io.github.newcache.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.FailurePolicy;
import io.github.newcache.internal.config.ConnectionSettings;
import io.github.newcache.internal.config.ManagerSettings;
import io.github.newcache.internal.config.SettingsParser;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The failure and security settings: defaults, URI and file forms, and errors that name the input. */
class SettingsValidationTest {

  private static ManagerSettings parse(String uri) {
    return SettingsParser.parse(URI.create(uri), SettingsValidationTest.class.getClassLoader(), null);
  }

  private static String error(String uri) {
    return assertThrows(IllegalArgumentException.class, () -> parse(uri)).getMessage();
  }

  @Test
  void defaultsFailFast() {
    ManagerSettings s = parse("memcached://h1:1,h2:2,h3:3");
    assertEquals(3, s.servers().size());
    assertEquals(ConnectionSettings.defaults(), s.connection());
    assertEquals("cancel", s.connection().failureMode());
    assertEquals(3, s.connection().stallTimeouts());
    assertEquals(1000, s.connection().stallWindowMillis());
    assertEquals(16 << 20, s.connection().opQueueBytes());
    assertEquals(List.of(), s.security().deserializationAllow());
  }

  @Test
  void uriParameters() {
    ManagerSettings s =
        parse("memcached://h:1/?failureMode=redistribute&maxReconnectDelay=5&stallTimeouts=3&stallWindow=400"
            + "&stallCooldown=250&opQueueSize=1000&opQueueWait=20&opQueueBytes=1000000"
            + "&deserializationAllow=com.example.**,org.foo.Bar&binary=true");
    assertEquals(new ConnectionSettings("redistribute", 5, 3, 400, 250, 1000, 20, 1_000_000, 2), s.connection());
    assertEquals(List.of("com.example.**", "org.foo.Bar"), s.security().deserializationAllow());
  }

  @Test
  void badValuesAreNamed() {
    // Errors name the setting and what is allowed; a URI's values are never repeated.
    assertTrue(error("memcached://h:1/?failureMode=panic").contains("failureMode is not allowed; use cancel"));
    assertTrue(error("memcached://h:1/?stallTimeouts=-1").contains("stallTimeouts must be a whole number"));
    assertTrue(error("memcached://h:1/?opQueueSize=1").contains("opQueueSize must be a whole number from 16"));
    assertTrue(error("memcached://h:1/?opQueueWait=x").contains("opQueueWait must be"));
    assertTrue(error("memcached://h:1/?opQueueBytes=1024")
        .contains("opQueueBytes must be a whole number of bytes, written without a unit, from 65536"));
    // A number of milliseconds written as a duration hears its unit.
    assertTrue(error("memcached://h:1/?opTimeout=2s")
        .contains("opTimeout must be a whole number of milliseconds, written without a unit, from 1 to 600000"));
    assertTrue(error("memcached://h:1/?stallWindow=-5").contains("stallWindow must be a whole number"));
    assertTrue(error("memcached://h:1/?maxReconnectDelay=0").contains("maxReconnectDelay must be"));
    assertTrue(error("memcached://h:1/?deserializationAllow=a;b").contains("deserializationAllow entry is not a class name"));
    assertFalse(error("memcached://h:1/?deserializationAllow=a;b").contains("a;b"));
    assertTrue(error("memcached://h:1/?username=app").contains("both username and password"));
  }

  @Test
  void saslNeedsBinaryAndCachePolicyParses() throws IOException {
    Path file = Files.createTempFile("newcache-settings", ".properties");
    try {
      Files.writeString(file, "servers=h:1\nusername=app\npassword=pw\n", StandardCharsets.UTF_8);
      String e = assertThrows(IllegalArgumentException.class,
          () -> SettingsParser.parse(file.toUri(), getClass().getClassLoader(), null)).getMessage();
      assertTrue(e.contains("binary=true"), e);

      Files.writeString(file, "servers=h:1\ncache.a.failures=miss\ncache.b.failures=exception\n", StandardCharsets.UTF_8);
      ManagerSettings s = SettingsParser.parse(file.toUri(), getClass().getClassLoader(), null);
      assertEquals(FailurePolicy.MISS, s.caches().get("a").failures());
      assertEquals(FailurePolicy.EXCEPTION, s.caches().get("b").failures());

      Files.writeString(file, "servers=h:1\ncache.a.failures=ignore\n", StandardCharsets.UTF_8);
      e = assertThrows(IllegalArgumentException.class,
          () -> SettingsParser.parse(file.toUri(), getClass().getClassLoader(), null)).getMessage();
      assertTrue(e.contains("cache.a.failures=ignore") && e.contains("exception or miss"), e);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
