package io.github.newcache.internal.config;

import io.github.newcache.internal.config.Setting.Scope;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Every setting Newcache reads, in one table: the manager's (URI query, properties file, override
 * properties) and each cache's ({@code cache.<name>.<attribute>}). Parsing takes names, defaults,
 * ranges and messages from here, and {@link #markdown} renders the README's tables from here.
 */
public final class Settings {

  private Settings() {}

  public static final int DEFAULT_PORT = 11211;
  public static final String DEFAULT_KEY_MANGLER = "io.github.newcache.key.Md5KeyMangler";
  public static final String DEFAULT_VALUE_CODEC = "io.github.newcache.codec.DefaultValueCodec";

  /** The longest expiry duration accepted (100 years): beyond it, "eternal" is what is meant. */
  public static final long MAX_EXPIRY_DAYS = 36_500;
  /** The longest load lease: nobody should wait longer for another client's load. */
  public static final long MAX_LEASE_DAYS = 1;
  /** The longest stale-while-revalidate window. */
  public static final long MAX_STALE_DAYS = 365;
  /** The most entries a near cache may hold. */
  public static final long MAX_NEAR_ENTRIES = 10_000_000;
  /** The smallest and largest byte bound of a near cache. */
  public static final long MIN_NEAR_BYTES = 64 * 1024;
  public static final long MAX_NEAR_BYTES = 64L << 30;
  /** The longest a near entry may be trusted without asking memcached. */
  public static final long MAX_NEAR_STALENESS_DAYS = 1;

  // ---------------------------------------------------------------- the manager

  public static final Setting<String> SERVERS =
      new Setting<>("servers", Scope.MANAGER, null, "none", "`host[:port][,host[:port]…]` (IPv6 as `[addr]:port`)",
          "the memcached servers (in a URI they are its authority)", false, Setting.text());
  public static final Setting<Boolean> BINARY =
      manager("binary", false, "`false`", "`true`, `false`", "memcached's binary protocol instead of the text protocol", Setting.bool());
  public static final Setting<String> FLAVOR =
      manager("flavor", "", "empty", "up to 32 of `A-Z a-z 0-9 _ .`",
          "key prefix that keeps dev, staging and prod apart on one memcached",
          Setting.matching(Pattern.compile("[A-Za-z0-9_.]{0,32}"), "up to 32 of A-Z a-z 0-9 _ ."));
  public static final Setting<Long> VERSION =
      manager("version", 1L, "`1`", "0 … 2147483647", "key version; bumping it invalidates every entry without `flush_all`",
          Setting.number(0, Integer.MAX_VALUE));
  public static final Setting<String> KEY_MANGLER =
      manager("keyMangler", DEFAULT_KEY_MANGLER, "`" + DEFAULT_KEY_MANGLER + "`", "class name", "the key function (see below)", Setting.text());
  public static final Setting<String> VALUE_CODEC =
      manager("valueCodec", DEFAULT_VALUE_CODEC, "`" + DEFAULT_VALUE_CODEC + "`", "class name", "how values become bytes", Setting.text());
  public static final Setting<Long> OP_TIMEOUT =
      manager("opTimeout", 1000L, "`1000`", "1 … 600000 (ms)", "how long one memcached operation may take before it fails",
          Setting.number(1, 600_000, "milliseconds"));
  public static final Setting<Long> LIST_TIMEOUT =
      manager("listTimeout", 30_000L, "`30000`", "1 … 3600000 (ms)",
          "how long a server's key listing (iterator, clear, removeAll) may wait to start (a busy crawler) and between two reads", Setting.number(1, 3_600_000, "milliseconds"));
  public static final Setting<Long> MAX_ITEM_SIZE =
      manager("maxItemSize", 1024L * 1024, "`1048576`", "1024 … 1073741824 (bytes)",
          "memcached's `-I` item size limit; larger values are refused before they are sent",
          Setting.number(1024, 1024 * 1024 * 1024, "bytes"));
  public static final Setting<String> FAILURE_MODE =
      manager("failureMode", ConnectionSettings.CANCEL, "`cancel`", "`cancel`, `redistribute`, `retry`",
          "operations for a server whose connection is down: fail at once; move to another server (stale reads when "
              + "it returns); or wait for it until `opTimeout`",
          Setting.oneOf(ConnectionSettings.CANCEL, ConnectionSettings.REDISTRIBUTE, ConnectionSettings.RETRY));
  public static final Setting<Long> STALL_TIMEOUTS =
      manager("stallTimeouts", 3L, "`3`", "0 … 1000",
          "timeouts without an answer after which a connected but silent server counts as stalled (with "
              + "`stallWindow`) and its operations fail at once; `0` turns stall detection off",
          Setting.number(0, 1000));
  public static final Setting<Long> STALL_WINDOW =
      manager("stallWindow", 1000L, "`1000`", "0 … 600000 (ms)",
          "how long those timeouts must span, from the first, before the server counts as stalled: a pause "
              + "or a burst of slow answers shorter than this never blames a server",
          Setting.number(0, 600_000, "milliseconds"));
  public static final Setting<Long> STALL_COOLDOWN =
      manager("stallCooldown", 1000L, "`1000`", "1 … 600000 (ms)",
          "how long a stalled server's operations fail fast before one probe operation checks whether it answers again",
          Setting.number(1, 600_000, "milliseconds"));
  public static final Setting<Long> MAX_RECONNECT_DELAY =
      manager("maxReconnectDelay", 2L, "`2`", "1 … 3600 (s)", "longest wait between reconnect attempts to a lost server",
          Setting.number(1, 3600, "seconds"));
  public static final Setting<Long> OP_QUEUE_SIZE =
      manager("opQueueSize", 16_384L, "`16384`", "16 … 1048576",
          "operations that may wait for one server (input and write queues each); past it callers get an error",
          Setting.number(16, 1 << 20));
  public static final Setting<Long> OP_QUEUE_WAIT =
      manager("opQueueWait", 100L, "`100`", "0 … 60000 (ms)", "how long a caller waits for room in a full queue before that error",
          Setting.number(0, 60_000, "milliseconds"));
  public static final Setting<Long> OP_QUEUE_BYTES =
      manager("opQueueBytes", 16L << 20, "`16777216`", "65536 … 4294967296 (bytes)",
          "bytes that may wait for one server (keys, values and their copies in every queue); past it callers "
              + "wait `opQueueWait`, then get an error; one operation larger than this still goes alone; the "
              + "non-blocking writes accepted for a server and not done yet get a second budget of this size for "
              + "what they hold outside the queues (see the non-blocking API)",
          Setting.number(65_536, 1L << 32, "bytes"));
  public static final Setting<Long> DIRECT_GETS =
      manager("directGets", 2L, "`2`", "0 … 64",
          "connections per server on which a single-key blocking get is written and read by the calling thread "
              + "itself, besides the shared connection (a lower latency per call, see *Performance*); callers beyond "
              + "them use the shared connection; `0` turns them off; over TLS too (one handshake per connection); "
              + "not used with SASL",
          Setting.number(0, 64));
  public static final Setting<String> DESERIALIZATION_ALLOW =
      manager("deserializationAllow", "", "empty", "comma-separated `a.B`, `a.*`, `a.**`, `a.B*`",
          "classes that may be deserialized besides the built-in list (see *Failures and security*)", Setting.text());
  public static final Setting<Boolean> STATISTICS_DEFAULT =
      manager("statistics", false, "`false`", "`true`, `false`",
          "statistics on for every cache this manager creates, also those frameworks create at run time "
              + "(`spring.cache.cache-names`, Hibernate regions), unless the file declares the cache with its own "
              + "`cache.<name>.statistics`; `enableStatistics` can still switch one off",
          Setting.bool());
  public static final Setting<Boolean> MANAGEMENT_DEFAULT =
      manager("management", false, "`false`", "`true`, `false`",
          "the configuration MXBean on for every cache this manager creates, unless the file declares the cache "
              + "with its own `cache.<name>.management`", Setting.bool());
  public static final Setting<Long> NEAR_MAX_ENTRIES_DEFAULT =
      manager("nearCache.maxEntries", 0L, "`0` (off)", "0 … 10000000",
          "a near cache of this many entries for every cache this manager creates whose configuration does not choose "
              + "its own (frameworks' caches at run time too); caches whose expiry changes on access go without "
              + "(see *Near cache*)",
          Setting.number(0, MAX_NEAR_ENTRIES));
  public static final Setting<Long> NEAR_MAX_BYTES_DEFAULT =
      manager("nearCache.maxBytes", 64L << 20, "`64m`", "64k … 64g (bytes, or with `k`, `m`, `g`)",
          "the byte bound of those near caches", Setting.size(MIN_NEAR_BYTES, MAX_NEAR_BYTES));
  public static final Setting<Long> NEAR_STALENESS_DEFAULT =
      manager("nearCache.staleness", 1000L, "`1s`", "duration; at most 1 day", "the staleness bound δ of those near caches",
          Setting.duration(MAX_NEAR_STALENESS_DAYS));
  public static final Setting<String> USERNAME =
      manager("username", null, "none", "text", "SASL user (needs `binary=true`)", Setting.text());
  public static final Setting<String> PASSWORD =
      new Setting<>("password", Scope.MANAGER, null, "none", "text; **not in a URI**",
          "SASL password, from the properties file or the `Properties` given to `getCacheManager` only", true,
          Setting.text());
  public static final Setting<String> SECRET =
      new Setting<>("secret", Scope.MANAGER, null, "none", "at least 16 bytes; **not in a URI**",
          "signs every entry with HMAC-SHA256; from the properties file or the `Properties` only", true, Setting.text());

  // ---------------------------------------------------------------- TLS, discovery, DNS

  public static final Setting<Boolean> TLS =
      manager("tls", false, "`false`", "`true`, `false`",
          "TLS to every server (memcached started with `-Z`), also for key listing and the checks at start", Setting.bool());
  public static final Setting<String> TLS_TRUST_STORE =
      manager("tlsTrustStore", null, "the JVM's trust store", "file path",
          "the CAs trusted to issue the servers' certificates: a PKCS12 or JKS store, or a PEM file of CA certificates",
          Setting.text());
  public static final Setting<String> TLS_TRUST_STORE_TYPE =
      manager("tlsTrustStoreType", null, "from the file name", "`PKCS12`, `JKS`, `PEM`",
          "the trust store's format (`.jks` → JKS; `.pem`, `.crt`, `.cer` → PEM; else PKCS12)",
          Setting.oneOf("pkcs12", "jks", "pem"));
  public static final Setting<String> TLS_TRUST_STORE_PASSWORD =
      new Setting<>("tlsTrustStorePassword", Scope.MANAGER, null, "none", "text; **not in a URI**",
          "the trust store's password, if it has one; from the properties file or the `Properties` only", true,
          Setting.text());
  public static final Setting<String> TLS_KEY_STORE =
      manager("tlsKeyStore", null, "none", "file path",
          "mutual TLS: the client's key and certificate chain, a PKCS12 or JKS store", Setting.text());
  public static final Setting<String> TLS_KEY_STORE_TYPE =
      manager("tlsKeyStoreType", null, "from the file name", "`PKCS12`, `JKS`",
          "the key store's format (`.jks` → JKS, else PKCS12)", Setting.oneOf("pkcs12", "jks"));
  public static final Setting<String> TLS_KEY_STORE_PASSWORD =
      new Setting<>("tlsKeyStorePassword", Scope.MANAGER, null, "none", "text; **not in a URI**",
          "the key store's password (required with `tlsKeyStore`); from the properties file or the `Properties` only",
          true, Setting.text());
  public static final Setting<String> TLS_KEY_PASSWORD =
      new Setting<>("tlsKeyPassword", Scope.MANAGER, null, "`tlsKeyStorePassword`", "text; **not in a URI**",
          "the private key's own password when it differs from the store's (JKS)", true, Setting.text());
  public static final Setting<Boolean> TLS_VERIFY_HOSTNAME =
      manager("tlsVerifyHostname", true, "`true`", "`true`, `false`",
          "each server's certificate must name the server as written (DNS name or IP address); `false` only checks "
              + "that a trusted CA issued it",
          Setting.bool());
  public static final Setting<String> TLS_HOSTNAME =
      manager("tlsHostname", null, "none", "DNS name, `*.` allowed",
          "the name every server's certificate must carry instead of the server's own (servers listed by IP address, "
              + "one certificate for a fleet)",
          Setting.matching(
              Pattern.compile("(\\*\\.)?[A-Za-z0-9][A-Za-z0-9-]{0,62}(\\.[A-Za-z0-9][A-Za-z0-9-]{0,62})*"),
              "a DNS name such as memcached.example.com"));
  public static final Setting<String> DISCOVERY =
      manager("discovery", DiscoverySettings.NONE, "`none`", "`none`, `elasticache`",
          "`elasticache`: the one server given is an ElastiCache configuration endpoint; the cluster's nodes are read "
              + "from it at start and polled, and keys follow the node list",
          Setting.oneOf(DiscoverySettings.NONE, DiscoverySettings.ELASTICACHE));
  public static final Setting<Long> DISCOVERY_INTERVAL =
      manager("discoveryInterval", 60_000L, "`60000`", "100 … 3600000 (ms)",
          "how often the configuration endpoint is asked for the node list", Setting.number(100, 3_600_000, "milliseconds"));
  public static final Setting<Long> DNS_REFRESH =
      manager("dnsRefresh", 0L, "`0`", "0 … 86400000 (ms)",
          "server names are resolved again whenever a connection is lost; with a positive value also this often, "
              + "and a name that resolves to a new address is followed; not with `discovery=elasticache`, which "
              + "follows the endpoint's list every `discoveryInterval` instead",
          Setting.number(0, 86_400_000, "milliseconds"));

  // ---------------------------------------------------------------- each cache

  public static final Setting<String> KEY_TYPE =
      cache("keyType", "java.lang.Object", "`java.lang.Object`", "class name", "the cache's key type (`setTypes`)", Setting.text());
  public static final Setting<String> VALUE_TYPE =
      cache("valueType", "java.lang.Object", "`java.lang.Object`", "class name", "the cache's value type (`setTypes`)", Setting.text());
  public static final Setting<String> EXPIRY =
      cache("expiry", "eternal", "`eternal`", "`eternal`, `created`, `accessed`, `modified`, `touched`", "the built-in expiry policy",
          Setting.oneOf("eternal", "created", "accessed", "modified", "touched"));
  public static final Setting<Long> EXPIRY_DURATION =
      cache("expiryDuration", null, "—", "duration; at most 36500 days",
          "its duration (required unless eternal)", Setting.duration(MAX_EXPIRY_DAYS));
  public static final Setting<Boolean> STATISTICS =
      cache("statistics", false, "`false`", "`true`, `false`", "statistics and their MXBeans (`setStatisticsEnabled`)", Setting.bool());
  public static final Setting<Boolean> MANAGEMENT =
      cache("management", false, "`false`", "`true`, `false`", "the configuration MXBean (`setManagementEnabled`)", Setting.bool());
  public static final Setting<String> FAILURES =
      cache("failures", "exception", "`exception`", "`exception`, `miss`", "what a memcached failure does (`setFailurePolicy`)",
          Setting.oneOf("exception", "miss"));
  public static final Setting<Boolean> SINGLE_FLIGHT =
      cache("singleFlight", true, "`true`", "`true`, `false`",
          "one load per missing key across the fleet (`setSingleFlight`; see *Thundering herds*)", Setting.bool());
  public static final Setting<Long> LEASE_TIMEOUT =
      cache("leaseTimeout", 10_000L, "`10s`", "duration; at most 1 day",
          "how long a load lease lasts: the longest anyone waits for another's load (`setLeaseTimeoutMillis`)",
          Setting.duration(MAX_LEASE_DAYS));
  public static final Setting<Long> STALE_WHILE_REVALIDATE =
      cache("staleWhileRevalidate", 0L, "`0` (off)", "duration; at most 365 days; only in code",
          "serve the previous value for this long after expiry while one caller refreshes it "
              + "(`setStaleWhileRevalidateMillis`; a read-through cache's, so not in a properties file)",
          Setting.duration(MAX_STALE_DAYS));

  public static final Setting<Long> NEAR_MAX_ENTRIES =
      cache("nearCache.maxEntries", 0L, "`0` (off)", "0 … 10000000",
          "entries this JVM keeps in the cache's near cache, served without a round trip (`setNearCacheMaxEntries`; "
              + "see *Near cache*); `0` turns it off",
          Setting.number(0, MAX_NEAR_ENTRIES));
  public static final Setting<Long> NEAR_MAX_BYTES =
      cache("nearCache.maxBytes", 64L << 20, "`64m`", "64k … 64g (bytes, or with `k`, `m`, `g`)",
          "bytes the near cache may hold, whatever the values' size (`setNearCacheMaxBytes`)",
          Setting.size(MIN_NEAR_BYTES, MAX_NEAR_BYTES));
  public static final Setting<Long> NEAR_STALENESS =
      cache("nearCache.staleness", 1000L, "`1s`", "duration; at most 1 day",
          "δ: a near entry is served for at most this long after it was fetched, written or revalidated, so other "
              + "JVMs' writes are seen within δ (`setNearCacheStalenessMillis`)",
          Setting.duration(MAX_NEAR_STALENESS_DAYS));

  /** Every manager setting, in the order the README lists them. */
  public static final List<Setting<?>> MANAGER =
      List.of(BINARY, FLAVOR, VERSION, KEY_MANGLER, VALUE_CODEC, OP_TIMEOUT, LIST_TIMEOUT, MAX_ITEM_SIZE, FAILURE_MODE,
          STALL_TIMEOUTS, STALL_WINDOW, STALL_COOLDOWN, MAX_RECONNECT_DELAY, OP_QUEUE_SIZE, OP_QUEUE_WAIT,
          OP_QUEUE_BYTES, DIRECT_GETS, DESERIALIZATION_ALLOW, STATISTICS_DEFAULT, MANAGEMENT_DEFAULT, NEAR_MAX_ENTRIES_DEFAULT,
          NEAR_MAX_BYTES_DEFAULT, NEAR_STALENESS_DEFAULT, USERNAME, PASSWORD, SECRET);

  /** TLS, auto discovery and DNS: manager settings with a README table of their own. */
  public static final List<Setting<?>> NETWORK =
      List.of(TLS, TLS_TRUST_STORE, TLS_TRUST_STORE_TYPE, TLS_TRUST_STORE_PASSWORD, TLS_KEY_STORE, TLS_KEY_STORE_TYPE,
          TLS_KEY_STORE_PASSWORD, TLS_KEY_PASSWORD, TLS_VERIFY_HOSTNAME, TLS_HOSTNAME, DISCOVERY, DISCOVERY_INTERVAL,
          DNS_REFRESH);

  /** Every per-cache attribute, in the order the README lists them. */
  public static final List<Setting<?>> CACHE =
      List.of(KEY_TYPE, VALUE_TYPE, EXPIRY, EXPIRY_DURATION, STATISTICS, MANAGEMENT, FAILURES, SINGLE_FLIGHT,
          LEASE_TIMEOUT, STALE_WHILE_REVALIDATE, NEAR_MAX_ENTRIES, NEAR_MAX_BYTES, NEAR_STALENESS);

  /** Manager settings by name, {@code servers} and the network settings included. */
  public static final Map<String, Setting<?>> MANAGER_BY_NAME = byName(List.of(SERVERS), MANAGER, NETWORK);

  /** Per-cache attributes by name. */
  public static final Map<String, Setting<?>> CACHE_BY_NAME = byName(CACHE);

  private static <T> Setting<T> manager(
      String name, T dflt, String dfltText, String allowed, String meaning, Setting.Parser<T> parser) {
    return new Setting<>(name, Scope.MANAGER, dflt, dfltText, allowed, meaning, false, parser);
  }

  private static <T> Setting<T> cache(
      String name, T dflt, String dfltText, String allowed, String meaning, Setting.Parser<T> parser) {
    return new Setting<>(name, Scope.CACHE, dflt, dfltText, allowed, meaning, false, parser);
  }

  @SafeVarargs
  private static Map<String, Setting<?>> byName(List<Setting<?>>... lists) {
    Map<String, Setting<?>> m = new LinkedHashMap<>();
    for (List<Setting<?>> list : lists) {
      for (Setting<?> s : list) {
        m.put(s.name(), s);
      }
    }
    return Map.copyOf(m);
  }

  /**
   * The README's table of {@code settings}: one row per setting with its name, default, what is
   * allowed and what it means. {@code README.md} holds exactly this text (a test checks it).
   */
  public static String markdown(List<Setting<?>> settings) {
    StringBuilder sb = new StringBuilder();
    String nameColumn = settings.get(0).scope() == Scope.MANAGER ? "parameter" : "attribute";
    sb.append("| ").append(nameColumn).append(" | default | allowed | meaning |\n|---|---|---|---|\n");
    for (Setting<?> s : settings) {
      sb.append("| `").append(s.name()).append("` | ").append(s.defaultText()).append(" | ").append(s.allowed())
          .append(" | ").append(s.meaning()).append(" |\n");
    }
    return sb.toString();
  }
}
