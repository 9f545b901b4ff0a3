package io.github.newcache;

import io.github.newcache.codec.ValueCodec;
import io.github.newcache.internal.config.NearCacheSettings;
import io.github.newcache.internal.config.Settings;
import io.github.newcache.key.KeyMangler;
import javax.cache.configuration.CacheEntryListenerConfiguration;
import javax.cache.configuration.CompleteConfiguration;
import javax.cache.configuration.Configuration;
import javax.cache.configuration.MutableConfiguration;

/**
 * A {@link MutableConfiguration} that can also choose the cache's own key function and value
 * codec, overriding the manager's.
 */
public class NewcacheConfiguration<K, V> extends MutableConfiguration<K, V> {

  private static final long serialVersionUID = 1L;

  private transient KeyMangler keyMangler;
  private transient ValueCodec valueCodec;
  /** What a memcached failure does; see {@link #setFailurePolicy}. */
  private FailurePolicy failurePolicy = FailurePolicy.EXCEPTION;
  /** Whether loads of a missing key run once across the fleet; see {@link #setSingleFlight}. */
  private boolean singleFlight = Settings.SINGLE_FLIGHT.defaultValue();
  /** How long a load lease lasts, in milliseconds; see {@link #setLeaseTimeoutMillis}. */
  private long leaseTimeoutMillis = Settings.LEASE_TIMEOUT.defaultValue();
  /** The stale-while-revalidate window, in milliseconds; see {@link #setStaleWhileRevalidateMillis}. */
  private long staleWhileRevalidateMillis = Settings.STALE_WHILE_REVALIDATE.defaultValue();
  /** The most entries the near cache holds, 0 for none; see {@link #setNearCacheMaxEntries}. */
  private long nearCacheMaxEntries = Settings.NEAR_MAX_ENTRIES.defaultValue();
  /** The most bytes the near cache holds; see {@link #setNearCacheMaxBytes}. */
  private long nearCacheMaxBytes = Settings.NEAR_MAX_BYTES.defaultValue();
  /** The near cache's staleness bound δ in milliseconds; see {@link #setNearCacheStalenessMillis}. */
  private long nearCacheStalenessMillis = Settings.NEAR_STALENESS.defaultValue();
  /**
   * True once this configuration chose its near cache's number of entries (a setter called, or a
   * file's declaration), which chooses the near cache itself (on, or off with 0); the manager's
   * default fills in each near-cache setting not chosen.
   */
  private boolean nearEntriesChosen;
  /** True once this configuration chose its near cache's byte bound. */
  private boolean nearBytesChosen;
  /** True once this configuration chose its near cache's staleness bound δ. */
  private boolean nearStalenessChosen;

  /**
   * A configuration with {@link MutableConfiguration}'s defaults, the manager's key function and
   * value codec, failures as exceptions, single flight on, a 10 s lease timeout and no
   * stale-while-revalidate.
   */
  public NewcacheConfiguration() {}

  /**
   * Copies a configuration; from another {@code NewcacheConfiguration} also its key function, value
   * codec, failure policy and herd settings.
   *
   * @param other the configuration to copy
   */
  public NewcacheConfiguration(Configuration<K, V> other) {
    super(complete(other));
    if (other instanceof NewcacheConfiguration) {
      NewcacheConfiguration<K, V> n = (NewcacheConfiguration<K, V>) other;
      this.keyMangler = n.keyMangler;
      this.valueCodec = n.valueCodec;
      this.failurePolicy = n.failurePolicy;
      this.singleFlight = n.singleFlight;
      this.leaseTimeoutMillis = n.leaseTimeoutMillis;
      this.staleWhileRevalidateMillis = n.staleWhileRevalidateMillis;
      this.nearCacheMaxEntries = n.nearCacheMaxEntries;
      this.nearCacheMaxBytes = n.nearCacheMaxBytes;
      this.nearCacheStalenessMillis = n.nearCacheStalenessMillis;
      this.nearEntriesChosen = n.nearEntriesChosen;
      this.nearBytesChosen = n.nearBytesChosen;
      this.nearStalenessChosen = n.nearStalenessChosen;
    }
  }

  /**
   * Adds a listener configuration, in constant time: {@link MutableConfiguration}'s own method
   * compares it with every one added before, so adding n took time quadratic in n.
   *
   * @param c the listener configuration
   * @return this configuration
   * @throws NullPointerException when {@code c} is null
   * @throws IllegalArgumentException when an equal listener configuration was added already
   */
  @Override
  public NewcacheConfiguration<K, V> addCacheEntryListenerConfiguration(CacheEntryListenerConfiguration<K, V> c) {
    if (c == null) {
      throw new NullPointerException("CacheEntryListenerConfiguration can't be null");
    }
    if (!listenerConfigurations.add(c)) {
      throw new IllegalArgumentException("A CacheEntryListenerConfiguration can be registered only once");
    }
    return this;
  }

  /**
   * The most entries the near cache holds in this JVM; see {@link #setNearCacheMaxEntries}.
   *
   * @return the bound; 0 (the default) means no near cache
   */
  public long getNearCacheMaxEntries() {
    return nearCacheMaxEntries;
  }

  /**
   * Opt-in: keeps up to {@code maxEntries} entries in this JVM and serves reads of them without a
   * round trip for up to the staleness bound ({@link #setNearCacheStalenessMillis}) after they were
   * fetched, written or revalidated. Writes, removals and clears made through this cache are seen
   * at once; other JVMs' writes within the staleness bound. Refused for expiry policies that change
   * expiry on access. 0 turns it off, even when the manager gives every cache one.
   *
   * @param maxEntries from 0 to 10,000,000
   * @return this configuration
   */
  public NewcacheConfiguration<K, V> setNearCacheMaxEntries(long maxEntries) {
    new NearCacheSettings(maxEntries, nearCacheMaxBytes, nearCacheStalenessMillis); // checks the bounds
    this.nearCacheMaxEntries = maxEntries;
    this.nearEntriesChosen = true;
    return this;
  }

  /**
   * The most bytes the near cache holds (stored items plus a fixed overhead per entry).
   *
   * @return the bound in bytes
   */
  public long getNearCacheMaxBytes() {
    return nearCacheMaxBytes;
  }

  /**
   * Bounds the near cache's memory, whatever the values' size (default 64 MiB).
   *
   * @param maxBytes from 64 KiB to 64 GiB
   * @return this configuration
   */
  public NewcacheConfiguration<K, V> setNearCacheMaxBytes(long maxBytes) {
    new NearCacheSettings(nearCacheMaxEntries, maxBytes, nearCacheStalenessMillis);
    this.nearCacheMaxBytes = maxBytes;
    this.nearBytesChosen = true;
    return this;
  }

  /**
   * The staleness bound δ; see {@link #setNearCacheStalenessMillis}.
   *
   * @return δ in milliseconds (default 1 s)
   */
  public long getNearCacheStalenessMillis() {
    return nearCacheStalenessMillis;
  }

  /**
   * The staleness bound δ: a near entry is served for at most this long after it was fetched,
   * written or revalidated; the first read after that asks memcached with one round trip (and
   * keeps the held bytes when they are unchanged). So this JVM sees other JVMs' writes, removals
   * and clears at most δ (plus one operation's time) late.
   *
   * @param millis from 1 ms to 1 day
   * @return this configuration
   */
  public NewcacheConfiguration<K, V> setNearCacheStalenessMillis(long millis) {
    new NearCacheSettings(nearCacheMaxEntries, nearCacheMaxBytes, millis);
    this.nearCacheStalenessMillis = millis;
    this.nearStalenessChosen = true;
    return this;
  }

  /** The near cache as configured. */
  NearCacheSettings nearCache() {
    return new NearCacheSettings(nearCacheMaxEntries, nearCacheMaxBytes, nearCacheStalenessMillis);
  }

  /**
   * True when this configuration chose its near cache (on or off: its number of entries) rather than
   * leave it to the manager.
   */
  boolean nearCacheChosen() {
    return nearEntriesChosen;
  }

  /** Takes {@code near} as this cache's near cache, as a file's declaration of the cache chose it. */
  NewcacheConfiguration<K, V> nearCache(NearCacheSettings near) {
    this.nearCacheMaxEntries = near.maxEntries();
    this.nearCacheMaxBytes = near.maxBytes();
    this.nearCacheStalenessMillis = near.stalenessMillis();
    this.nearEntriesChosen = true;
    this.nearBytesChosen = true;
    this.nearStalenessChosen = true;
    return this;
  }

  /**
   * Fills in the near-cache settings this configuration did not choose from the manager's default
   * {@code near}: a cache that set only its staleness gets the manager's near cache with its own δ.
   * When the result has no near cache, the settings it chose stay as they are (unused).
   */
  NewcacheConfiguration<K, V> nearCacheDefaults(NearCacheSettings near) {
    long entries = nearEntriesChosen ? nearCacheMaxEntries : near.maxEntries();
    long bytes = nearBytesChosen ? nearCacheMaxBytes : near.maxBytes();
    long staleness = nearStalenessChosen ? nearCacheStalenessMillis : near.stalenessMillis();
    new NearCacheSettings(entries, bytes, staleness); // each part was checked where it came from
    this.nearCacheMaxEntries = entries;
    this.nearCacheMaxBytes = bytes;
    this.nearCacheStalenessMillis = staleness;
    return this;
  }

  /**
   * Whether loads of a missing key run once across the fleet; see {@link #setSingleFlight}.
   *
   * @return true (the default) when single flight is on
   */
  public boolean isSingleFlight() {
    return singleFlight;
  }

  /**
   * With single flight on (the default), a read-through load of a missing key, and an entry
   * processor on an absent key, run once at a time per key across every JVM sharing the servers:
   * one caller holds a short-lived lease in memcached, the others wait (bounded by the lease
   * timeout) and then read what it stored.
   *
   * @param singleFlight false to let every caller load on its own
   * @return this configuration
   */
  public NewcacheConfiguration<K, V> setSingleFlight(boolean singleFlight) {
    this.singleFlight = singleFlight;
    return this;
  }

  /**
   * How long a load lease lasts: the longest anyone waits for another's load.
   *
   * @return the lease timeout in milliseconds (10,000 by default)
   */
  public long getLeaseTimeoutMillis() {
    return leaseTimeoutMillis;
  }

  /**
   * Sets how long a load lease lasts: a caller waits at most this long for another client's load
   * of the same key before loading it itself, and a lease whose holder died expires after it.
   *
   * @param leaseTimeoutMillis the lease timeout in milliseconds, at least 1
   * @return this configuration
   * @throws IllegalArgumentException if {@code leaseTimeoutMillis} is less than 1
   */
  public NewcacheConfiguration<K, V> setLeaseTimeoutMillis(long leaseTimeoutMillis) {
    long max = Settings.MAX_LEASE_DAYS * 86_400_000L;
    if (leaseTimeoutMillis < 1 || leaseTimeoutMillis > max) {
      throw new IllegalArgumentException(
          "leaseTimeout must be from 1 ms to " + max + " ms (" + Settings.MAX_LEASE_DAYS + " day), not " + leaseTimeoutMillis);
    }
    this.leaseTimeoutMillis = leaseTimeoutMillis;
    return this;
  }

  /**
   * The stale-while-revalidate window; see {@link #setStaleWhileRevalidateMillis}.
   *
   * @return the window in milliseconds; 0 (the default) when it is off
   */
  public long getStaleWhileRevalidateMillis() {
    return staleWhileRevalidateMillis;
  }

  /**
   * Opt-in, beyond the JCache spec: for {@code millis} after an entry of a read-through cache
   * expires, {@code get} still answers with the previous value while one caller in the fleet
   * refreshes it through the loader in the background. 0 turns it off.
   *
   * @param millis the window in milliseconds, 0 or more
   * @return this configuration
   * @throws IllegalArgumentException if {@code millis} is negative
   */
  public NewcacheConfiguration<K, V> setStaleWhileRevalidateMillis(long millis) {
    long max = Settings.MAX_STALE_DAYS * 86_400_000L;
    if (millis < 0 || millis > max) {
      throw new IllegalArgumentException(
          "staleWhileRevalidate must be from 0 to " + max + " ms (" + Settings.MAX_STALE_DAYS + " days), not " + millis);
    }
    this.staleWhileRevalidateMillis = millis;
    return this;
  }

  /**
   * What the cache does when memcached fails.
   *
   * @return the policy; {@link FailurePolicy#EXCEPTION} by default
   */
  public FailurePolicy getFailurePolicy() {
    return failurePolicy;
  }

  /**
   * {@link FailurePolicy#MISS} makes memcached failures misses and skipped writes (counted in
   * {@link NewcacheCache#failureStatistics()} and logged at a bounded rate) instead of {@link
   * javax.cache.CacheException}.
   *
   * @param failurePolicy the policy, not null
   * @return this configuration
   */
  public NewcacheConfiguration<K, V> setFailurePolicy(FailurePolicy failurePolicy) {
    this.failurePolicy = java.util.Objects.requireNonNull(failurePolicy, "failurePolicy");
    return this;
  }

  private static <K, V> CompleteConfiguration<K, V> complete(Configuration<K, V> other) {
    if (other instanceof CompleteConfiguration) {
      return (CompleteConfiguration<K, V>) other;
    }
    MutableConfiguration<K, V> m = new MutableConfiguration<>();
    m.setTypes(other.getKeyType(), other.getValueType());
    m.setStoreByValue(other.isStoreByValue());
    return m;
  }

  /**
   * The cache's own key function.
   *
   * @return the key function, or null when the cache uses the manager's
   */
  public KeyMangler getKeyMangler() {
    return keyMangler;
  }

  /**
   * Gives the cache its own key function instead of the manager's (its {@code keyMangler} setting).
   * It is not serialized with the configuration.
   *
   * @param keyMangler the key function, or null to use the manager's
   * @return this configuration
   */
  public NewcacheConfiguration<K, V> setKeyMangler(KeyMangler keyMangler) {
    this.keyMangler = keyMangler;
    return this;
  }

  /**
   * The cache's own value codec.
   *
   * @return the codec, or null when the cache uses the manager's
   */
  public ValueCodec getValueCodec() {
    return valueCodec;
  }

  /**
   * Gives the cache its own value codec instead of the manager's (its {@code valueCodec} setting).
   * It is not serialized with the configuration.
   *
   * @param valueCodec the codec, or null to use the manager's
   * @return this configuration
   */
  public NewcacheConfiguration<K, V> setValueCodec(ValueCodec valueCodec) {
    this.valueCodec = valueCodec;
    return this;
  }
}
