package io.github.newcache.internal.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.management.CacheStatistics;
import io.github.newcache.testkit.MemcachedExtension;
import io.github.newcache.testkit.Protocol;
import io.github.newcache.testkit.TestManagers;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import javax.cache.Cache;
import javax.cache.CacheManager;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.expiry.CreatedExpiryPolicy;
import javax.cache.expiry.Duration;
import javax.cache.expiry.EternalExpiryPolicy;
import javax.cache.expiry.ExpiryPolicy;
import javax.management.ObjectName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Configuration from properties files ({@code file:}, {@code classpath:}, {@code classpath://},
 * {@code jar:}), cache declarations that exist as soon as the manager opens, and override
 * properties winning over the file.
 */
@ExtendWith(MemcachedExtension.class)
class PropertiesFileConfigTest {

  private static final ClassLoader LOADER = PropertiesFileConfigTest.class.getClassLoader();

  @TempDir Path dir;

  private Path write(String name, String content) throws IOException {
    Path f = dir.resolve(name);
    Files.writeString(f, content, StandardCharsets.ISO_8859_1);
    return f;
  }

  private static String serverLines(TestManagers managers, Protocol p) {
    return "servers=" + managers.server().address() + "\nbinary=" + p.binary()
        + "\nflavor=" + managers.flavor() + "\n";
  }

  private static Set<String> names(CacheManager m) {
    Set<String> names = new HashSet<>();
    m.getCacheNames().forEach(names::add);
    return names;
  }

  @Test
  void fileUriIsParsed() throws IOException {
    Path f = write("a.properties",
        "servers = h1:1, h2\nbinary=true\nflavor=dev\nversion=3\nopTimeout=1500\n");
    ManagerSettings s = SettingsParser.parse(f.toUri(), LOADER, null);
    assertEquals(2, s.servers().size());
    assertEquals("h1", s.servers().get(0).getHostString());
    assertEquals(1, s.servers().get(0).getPort());
    assertEquals(11211, s.servers().get(1).getPort());
    assertTrue(s.binary());
    assertEquals("dev", s.flavor());
    assertEquals(3, s.version());
    assertEquals(1500, s.opTimeoutMillis());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "classpath:newcache-test.properties", "classpath:/newcache-test.properties",
      "classpath://newcache-test.properties"})
  void classpathUrisAreParsed(String uri) {
    ManagerSettings s = SettingsParser.parse(URI.create(uri), LOADER, null);
    assertEquals(1, s.servers().get(0).getPort());
    assertTrue(s.binary());
    assertEquals("fromclasspath", s.flavor());
    assertEquals(7, s.version());
    CacheDeclaration scores = s.caches().get("scores");
    assertNotNull(scores);
    assertEquals("java.lang.String", scores.keyType());
    assertEquals("java.lang.Integer", scores.valueType());
    assertEquals("eternal", scores.expiry());
  }

  @Test
  void jarUriIsParsed() throws IOException {
    Path jar = dir.resolve("config.jar");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry("conf/x.properties"));
      j.write("servers=jarhost:4242\nflavor=injar\n".getBytes(StandardCharsets.ISO_8859_1));
      j.closeEntry();
    }
    URI uri = URI.create("jar:" + jar.toUri() + "!/conf/x.properties");
    ManagerSettings s = SettingsParser.parse(uri, LOADER, null);
    assertEquals("jarhost", s.servers().get(0).getHostString());
    assertEquals(4242, s.servers().get(0).getPort());
    assertEquals("injar", s.flavor());
  }

  @Test
  void missingFilesNameTheUri() {
    URI file = dir.resolve("absent.properties").toUri();
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> SettingsParser.parse(file, LOADER, null));
    assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
    URI cp = URI.create("classpath:absent-newcache.properties");
    e = assertThrows(IllegalArgumentException.class, () -> SettingsParser.parse(cp, LOADER, null));
    assertTrue(e.getMessage().contains("absent-newcache.properties"), e.getMessage());
  }

  @Test
  void badFileContentNamesTheFileTheKeyAndWhatIsAllowed() throws IOException {
    Path unknown = write("u.properties", "servers=h\nflavour=dev\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(unknown.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("flavour"), e.getMessage());
    assertTrue(e.getMessage().contains(unknown.toUri().toString()), e.getMessage());
    assertTrue(e.getMessage().contains("flavor"), "lists allowed settings: " + e.getMessage());

    Path noServers = write("n.properties", "binary=true\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(noServers.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("servers"), e.getMessage());

    Path badExpiry = write("e.properties", "servers=h\ncache.c.expiry=sometimes\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(badExpiry.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("sometimes"), e.getMessage());
    assertTrue(e.getMessage().contains("created"), e.getMessage());

    Path noDuration = write("d.properties", "servers=h\ncache.c.expiry=created\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(noDuration.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("expiryDuration"), e.getMessage());

    Path badDuration = write("b.properties", "servers=h\ncache.c.expiry=created\ncache.c.expiryDuration=soon\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(badDuration.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("soon"), e.getMessage());

    // A key given twice: which line did the author mean? Refused, naming the key, never a value.
    Path twice = write("t.properties", "servers=h\nflavor=prod\npassword=s3cret-one\nflavor=dev\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(twice.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("'flavor' is given twice"), e.getMessage());
    assertTrue(e.getMessage().contains("t.properties"), e.getMessage());
    Path secretTwice = write("u.properties", "servers=h\npassword=s3cret-one\npassword=s3cret-two\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(secretTwice.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("'password' is given twice"), e.getMessage());
    assertFalse(e.getMessage().contains("s3cret"), e.getMessage());

    // A bare number: seconds, as memcached's TTLs, or milliseconds? Refused, with both spellings.
    Path bareDuration = write("n.properties", "servers=h\ncache.c.expiry=created\ncache.c.expiryDuration=600\n"
        + "cache.c.leaseTimeout=30\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(bareDuration.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("cache.c.expiryDuration=600 has no unit"), e.getMessage());
    assertTrue(e.getMessage().contains("600s for 600 seconds, 600ms for milliseconds"), e.getMessage());

    // A duration with no expiry to apply it to: the cache would stay eternal, silently.
    Path durationOnly = write("o.properties", "servers=h\ncache.c.expiryDuration=10m\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(durationOnly.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("cache.c.expiryDuration"), e.getMessage());
    assertTrue(e.getMessage().contains("eternal"), e.getMessage());
    Path badDurationOnly = write("p.properties", "servers=h\ncache.c.expiry=eternal\ncache.c.expiryDuration=soon\n");
    e = assertThrows(IllegalArgumentException.class,
        () -> SettingsParser.parse(badDurationOnly.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("expiryDuration"), e.getMessage());
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void declaredCachesExistAsSoonAsTheManagerOpens(Protocol p, TestManagers managers) throws Exception {
    Path f = write("caches.properties", serverLines(managers, p)
        + "cache.games.keyType=java.lang.String\n"
        + "cache.games.valueType=java.lang.Integer\n"
        + "cache.games.expiry=created\n"
        + "cache.games.expiryDuration=10m\n"
        + "cache.games.statistics=true\n"
        + "cache.games.management=true\n"
        + "cache.plain.expiry=eternal\n");
    CacheManager m = managers.open(f.toUri(), LOADER, null);
    assertEquals(Set.of("games", "plain"), names(m));

    Cache<String, Integer> games = m.getCache("games", String.class, Integer.class);
    assertNotNull(games);
    @SuppressWarnings("unchecked")
    CompleteConfiguration<String, Integer> c = games.getConfiguration(CompleteConfiguration.class);
    assertEquals(String.class, c.getKeyType());
    assertEquals(Integer.class, c.getValueType());
    assertTrue(c.isStatisticsEnabled());
    assertTrue(c.isManagementEnabled());
    ExpiryPolicy policy = c.getExpiryPolicyFactory().create();
    assertTrue(policy instanceof CreatedExpiryPolicy, policy.getClass().getName());
    assertEquals(new Duration(TimeUnit.MINUTES, 10).getAdjustedTime(0),
        policy.getExpiryForCreation().getAdjustedTime(0));
    assertThrows(ClassCastException.class, () -> m.getCache("games", String.class, String.class));

    Cache<Object, Object> plain = m.getCache("plain", Object.class, Object.class);
    assertNotNull(plain);
    @SuppressWarnings("unchecked")
    CompleteConfiguration<Object, Object> pc = plain.getConfiguration(CompleteConfiguration.class);
    assertTrue(pc.getExpiryPolicyFactory().create() instanceof EternalExpiryPolicy);
    assertFalse(pc.isStatisticsEnabled());

    Set<ObjectName> beans = ManagementFactory.getPlatformMBeanServer()
        .queryNames(new ObjectName("javax.cache:type=CacheStatistics,Cache=games,*"), null);
    assertEquals(1, beans.size(), "statistics MXBean of the declared cache: " + beans);

    games.put("g", 1);
    assertEquals(1, games.get("g"));
  }

  /** A file saved as UTF-8 reads as UTF-8; one that is not valid UTF-8 reads as ISO-8859-1, as before. */
  @Test
  void aFileReadsAsUtf8OrElseAsIso88591(TestManagers managers) throws Exception {
    String content = serverLines(managers, Protocol.TEXT) + "cache.café.keyType=java.lang.String\n";
    Path utf8 = dir.resolve("utf8.properties");
    Files.writeString(utf8, content, StandardCharsets.UTF_8);
    assertEquals(Set.of("café"), names(managers.open(utf8.toUri(), LOADER, null)));
    Path iso = write("iso.properties", content);
    assertEquals(Set.of("café"), names(managers.open(iso.toUri(), LOADER, null)));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void overridePropertiesWinOverTheFile(Protocol p, TestManagers managers) throws Exception {
    Path f = write("o.properties",
        "servers=127.0.0.1:1\nbinary=" + !p.binary() + "\nflavor=fromfile\n"
            + "cache.c.valueType=java.lang.String\n");
    Properties override = new Properties();
    override.setProperty("servers", managers.server().address());
    override.setProperty("binary", Boolean.toString(p.binary()));
    override.setProperty("flavor", managers.flavor());
    override.setProperty("cache.c.valueType", "java.lang.Integer");
    override.setProperty("cache.extra.keyType", "java.lang.Long");
    CacheManager m = managers.open(f.toUri(), LOADER, override);
    assertEquals(override, m.getProperties()); // a copy: see NewcacheCachingProviderTest
    assertEquals(Set.of("c", "extra"), names(m));
    Cache<Object, Integer> c = m.getCache("c", Object.class, Integer.class);
    c.put("k", 5);
    assertEquals(5, c.get("k"));

    CacheManager plainUri = managers.open(p);
    Cache<Object, Integer> same = plainUri.createCache("c",
        new javax.cache.configuration.MutableConfiguration<Object, Integer>().setTypes(Object.class, Integer.class));
    assertEquals(5, same.get("k"), "the override flavor and servers were used, not the file's");
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void classpathConfigurationWithOverriddenServer(Protocol p, TestManagers managers) {
    Properties override = new Properties();
    override.setProperty("servers", managers.server().address());
    override.setProperty("binary", Boolean.toString(p.binary()));
    override.setProperty("flavor", managers.flavor());
    CacheManager m = managers.open(URI.create("classpath:newcache-test.properties"), LOADER, override);
    assertEquals(URI.create("classpath:newcache-test.properties"), m.getURI());
    Cache<String, Integer> scores = m.getCache("scores", String.class, Integer.class);
    assertNotNull(scores, "cache declared in the classpath file");
    scores.put("a", 1);
    assertEquals(1, scores.get("a"));
  }

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void jarConfigurationOpensAManager(Protocol p, TestManagers managers) throws IOException {
    Path jar = dir.resolve("app.jar");
    try (OutputStream out = Files.newOutputStream(jar);
        JarOutputStream j = new JarOutputStream(out)) {
      j.putNextEntry(new JarEntry("x.properties"));
      j.write((serverLines(managers, p) + "cache.injar.valueType=java.lang.String\n")
          .getBytes(StandardCharsets.ISO_8859_1));
      j.closeEntry();
    }
    URI uri = URI.create("jar:" + jar.toUri() + "!/x.properties");
    CacheManager m = managers.open(uri, LOADER, null);
    Cache<Object, String> c = m.getCache("injar", Object.class, String.class);
    assertNotNull(c);
    c.put("k", "v");
    assertEquals("v", c.get("k"));
  }

  @Test
  void declaredCacheWithUnknownClassFailsNamingIt(TestManagers managers) throws IOException {
    Path f = write("x.properties", "servers=" + managers.server().address()
        + "\ncache.c.valueType=com.example.Missing\n");
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> managers.open(f.toUri(), LOADER, null));
    assertTrue(e.getMessage().contains("com.example.Missing"), e.getMessage());
    assertTrue(e.getMessage().contains("cache.c.valueType"), e.getMessage());
  }
}
