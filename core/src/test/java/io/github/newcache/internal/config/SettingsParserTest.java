package io.github.newcache.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetSocketAddress;
import java.net.URI;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code memcached://} URI parsing: pure logic, no server. */
class SettingsParserTest {

  private static final ClassLoader LOADER = SettingsParserTest.class.getClassLoader();

  private static ManagerSettings parse(String uri) {
    return SettingsParser.parse(URI.create(uri), LOADER, null);
  }

  private static IllegalArgumentException fails(String uri) {
    return assertThrows(IllegalArgumentException.class, () -> parse(uri), uri);
  }

  private static void hostPort(ManagerSettings s, int i, String host, int port) {
    InetSocketAddress a = s.servers().get(i);
    assertEquals(host, a.getHostString());
    assertEquals(port, a.getPort());
  }

  @Test
  void defaults() {
    ManagerSettings s = parse("memcached://cache.example.com");
    assertEquals(1, s.servers().size());
    hostPort(s, 0, "cache.example.com", 11211);
    assertFalse(s.binary());
    assertEquals("", s.flavor());
    assertEquals(1, s.version());
    assertEquals(SettingsParser.DEFAULT_KEY_MANGLER, s.keyMangler());
    assertEquals(SettingsParser.DEFAULT_VALUE_CODEC, s.valueCodec());
    assertTrue(s.opTimeoutMillis() > 0);
    assertTrue(s.caches().isEmpty());
  }

  @ParameterizedTest
  @ValueSource(strings = {"memcached://h1:1,h2,h3:3", "memcached://h1:1,h2,h3:3/", "memcached://h1:1,h2,h3:3/?"})
  void severalServersWithAndWithoutPortAndSlash(String uri) {
    ManagerSettings s = parse(uri);
    assertEquals(3, s.servers().size());
    hostPort(s, 0, "h1", 1);
    hostPort(s, 1, "h2", 11211);
    hostPort(s, 2, "h3", 3);
  }

  @Test
  void ipv6InBrackets() {
    hostPort(parse("memcached://[::1]:11311"), 0, "::1", 11311);
    hostPort(parse("memcached://[::1]/"), 0, "::1", 11211);
    // java.net.URI cannot hold several bracketed hosts; a properties list can.
    Properties p = new Properties();
    p.setProperty("servers", "[::1]:11311, [fe80::1]");
    ManagerSettings s = SettingsParser.parse(URI.create("memcached://h"), LOADER, p);
    hostPort(s, 0, "::1", 11311);
    hostPort(s, 1, "fe80::1", 11211);
  }

  @ParameterizedTest
  @ValueSource(strings = {"[::1", "[::1]x", "[::1]:", "h:", "h:99999", "a b:1"})
  void malformedServerListsInPropertiesNameTheServer(String servers) {
    Properties p = new Properties();
    p.setProperty("servers", servers);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(URI.create("memcached://h"), LOADER, p));
    assertTrue(e.getMessage().contains("'" + servers.trim() + "'"), e.getMessage());
    assertTrue(e.getMessage().contains("host[:port]"), e.getMessage());
  }

  /** STYLE.md: errors name where the bad input came from; here the override, not the URI. */
  @Test
  void badOverrideValueIsBlamedOnTheOverrideProperties() {
    Properties p = new Properties();
    p.setProperty("opTimeout", "soon");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(URI.create("memcached://h"), LOADER, p));
    assertTrue(e.getMessage().contains("opTimeout=soon"), e.getMessage());
    assertTrue(e.getMessage().contains("override properties"), "says where: " + e.getMessage());
  }

  @Test
  void everyParameter() {
    ManagerSettings s =
        parse("memcached://127.0.0.1:11311/?binary=true&flavor=staging&version=2"
            + "&keyMangler=com.example.Mangler&opTimeout=2500");
    hostPort(s, 0, "127.0.0.1", 11311);
    assertTrue(s.binary());
    assertEquals("staging", s.flavor());
    assertEquals(2, s.version());
    assertEquals("com.example.Mangler", s.keyMangler());
    assertEquals(2500, s.opTimeoutMillis());
    assertFalse(parse("memcached://h?binary=FALSE").binary());
    assertTrue(parse("memcached://h?binary=True").binary());
  }

  @Test
  void overridePropertiesWinAndForeignKeysAreIgnored() {
    Properties p = new Properties();
    p.setProperty("flavor", "prod");
    p.setProperty("binary", "true");
    p.setProperty("spring.something", "ignored");
    ManagerSettings s =
        SettingsParser.parse(URI.create("memcached://h/?flavor=dev&binary=false"), LOADER, p);
    assertEquals("prod", s.flavor());
    assertTrue(s.binary());
  }

  @Test
  void unknownParameterNamesItAndListsAllowed() {
    IllegalArgumentException e = fails("memcached://h/?binray=true");
    assertTrue(e.getMessage().contains("binray"), e.getMessage());
    assertTrue(e.getMessage().contains("memcached://h/"), e.getMessage());
    assertFalse(e.getMessage().contains("true"), "never repeats a query value: " + e.getMessage());
    for (String allowed : List.of("binary", "flavor", "version", "keyMangler", "opTimeout")) {
      assertTrue(e.getMessage().contains(allowed), "lists " + allowed + ": " + e.getMessage());
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "memcached://h:port",
        "memcached://h:0",
        "memcached://h:65536",
        "memcached://h:-1",
        "memcached://h:1:2",
        "memcached://h1,,h2",
        "memcached://h1,",
        "memcached://:11211"
      })
  void malformedServersNameTheInputAndTheForm(String uri) {
    IllegalArgumentException e = fails(uri);
    assertTrue(e.getMessage().contains("host[:port]"), e.getMessage());
    assertTrue(e.getMessage().contains(uri) || e.getMessage().contains(uri.substring("memcached://".length())),
        "names the input: " + e.getMessage());
  }

  @Test
  void noServersAtAll() {
    IllegalArgumentException e = fails("memcached:///?binary=true");
    assertTrue(e.getMessage().contains("host[:port]"), e.getMessage());
  }

  @Test
  void pathIsRejected() {
    IllegalArgumentException e = fails("memcached://h/some/path");
    assertTrue(e.getMessage().contains("/some/path"), e.getMessage());
  }

  @Test
  void serversInQueryAreRejected() {
    IllegalArgumentException e = fails("memcached://h/?servers=x");
    assertTrue(e.getMessage().contains("servers"), e.getMessage());
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "binary=yes", "binary=", "binary=1", "version=-1", "version=two", "version=99999999999",
        "opTimeout=0", "opTimeout=fast", "flavor=has-dash", "flavor=has%20space",
        "flavor=0123456789012345678901234567890123"
      })
  void badValuesNameTheSettingAndWhatIsAllowedButNeverRepeatTheQuery(String param) {
    String uri = "memcached://h/?" + param;
    IllegalArgumentException e = fails(uri);
    String name = param.substring(0, param.indexOf('='));
    assertTrue(e.getMessage().contains(name), "names " + name + ": " + e.getMessage());
    assertTrue(e.getMessage().contains("memcached://h/"), "names the URI: " + e.getMessage());
    assertFalse(e.getMessage().contains(param) || e.getMessage().contains("?"),
        "never repeats the query: " + e.getMessage());
    assertTrue(
        e.getMessage().contains("true or false")
            || e.getMessage().contains("whole number")
            || e.getMessage().contains("A-Z a-z 0-9"),
        "says what is allowed: " + e.getMessage());
  }

  @Test
  void userInfoIsRefusedWithoutRepeatingIt() {
    IllegalArgumentException e = fails("memcached://admin:pa55word@h:11211/?binary=true");
    assertTrue(e.getMessage().contains("user"), e.getMessage());
    assertFalse(e.getMessage().contains("pa55word") || e.getMessage().contains("admin"), e.getMessage());
  }

  /** Authorities Java takes as registry-based (several servers, a name with '_') have no user information of their own. */
  @Test
  void userInfoIsRefusedWithoutRepeatingItBeforeSeveralServersOrAnUnusualName() {
    for (String uri : new String[] {
        "memcached://admin:pa55word@h1:11211,h2:11211/", "memcached://admin:pa55word@memcached_1:11211/",
        "memcached://admin:pa55/word@h1,h2/", "memcached://admin:pa55?word@h1/", "memcached://admin:pa55#word@h1/"}) {
      IllegalArgumentException e = fails(uri);
      assertTrue(e.getMessage().contains("user information"), e.getMessage());
      assertFalse(e.getMessage().contains("pa55word") || e.getMessage().contains("admin"), e.getMessage());
    }
  }

  @Test
  void aParameterGivenTwiceIsRefused() {
    IllegalArgumentException e = fails("memcached://h/?version=1&binary=true&version=2");
    assertTrue(e.getMessage().contains("'version' is given twice"), e.getMessage());
  }

  @Test
  void aFragmentIsRefusedNotDropped() {
    IllegalArgumentException e = fails("memcached://h/?version=1#opTimeout=77777");
    assertTrue(e.getMessage().contains("fragment"), e.getMessage());
    assertFalse(e.getMessage().contains("77777"), e.getMessage());
  }

  /** A URI's query is not an HTML form: '+' is itself, %2B too, %20 a space. */
  @Test
  void aPlusInTheQueryStaysAPlus() {
    assertEquals("com.example.A+B", parse("memcached://h/?keyMangler=com.example.A+B").keyMangler());
    assertEquals("com.example.A+B", parse("memcached://h/?keyMangler=com.example.A%2BB").keyMangler());
  }

  @ParameterizedTest
  @ValueSource(strings = {"memcached://h:11211,H:11211", "memcached://h,h:11211"})
  void aServerListedTwiceIsRefused(String uri) {
    IllegalArgumentException e = fails(uri);
    assertTrue(e.getMessage().contains("listed twice"), e.getMessage());
  }

  /** Values put as objects, which {@code stringPropertyNames()} leaves out, count by their text. */
  @Test
  void overrideValuesThatAreNotStringsAreApplied() {
    Properties p = new Properties();
    p.put("opTimeout", 500);
    p.put("binary", true);
    ManagerSettings s = SettingsParser.parse(URI.create("memcached://h/"), LOADER, p);
    assertEquals(500, s.opTimeoutMillis());
    assertTrue(s.binary());
    p.put("opTimeout", -5);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(URI.create("memcached://h/"), LOADER, p));
    assertTrue(e.getMessage().contains("opTimeout"), e.getMessage());
  }

  @Test
  void aMistypedSecretNameNeverShowsItsValue() {
    IllegalArgumentException e = fails("memcached://h/?secrte=hunter2-hunter2-hunter2");
    assertTrue(e.getMessage().contains("secrte"), e.getMessage());
    assertFalse(e.getMessage().contains("hunter2"), e.getMessage());
  }

  @Test
  void queryPartWithoutValue() {
    IllegalArgumentException e = fails("memcached://h/?binary");
    assertTrue(e.getMessage().contains("binary"), e.getMessage());
  }

  @Test
  void unsupportedScheme() {
    IllegalArgumentException e = fails("redis://h:6379");
    assertTrue(e.getMessage().contains("redis"), e.getMessage());
    assertTrue(e.getMessage().contains("memcached://"), e.getMessage());
  }

  @Test
  void unknownOverrideSettingIsIgnoredButBadCacheAttributeIsNot() {
    Properties p = new Properties();
    p.setProperty("cache.games.colour", "blue");
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class,
            () -> SettingsParser.parse(URI.create("memcached://h"), LOADER, p));
    assertTrue(e.getMessage().contains("cache.games.colour"), e.getMessage());
    assertTrue(e.getMessage().contains("keyType"), e.getMessage());
  }
}
