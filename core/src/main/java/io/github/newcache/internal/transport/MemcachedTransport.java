package io.github.newcache.internal.transport;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import javax.cache.CacheException;

/**
 * The narrow seam between the cache and memcached. Everything above this interface speaks in
 * memcached keys, byte arrays, TTLs and CAS tokens; only implementations of it know which client
 * library is underneath.
 *
 * <p>Every method either completes within the configured operation timeout or throws {@link
 * javax.cache.CacheException}. TTLs are memcached exptime values, already converted (see {@link
 * io.github.newcache.internal.expiry.Ttl}).
 */
public interface MemcachedTransport extends AutoCloseable {

  /** The stored bytes, or {@code null} when memcached holds nothing under the key. */
  byte[] get(String key);

  /** The stored bytes with their CAS token, or {@code null}. */
  Item gets(String key);

  /** All present keys in one multi-get round trip per server. Missing keys are absent. */
  Map<String, byte[]> getAll(Collection<String> keys);

  /**
   * Whether {@link #getParts} and {@link #getAllParts} read items in parts now (the text protocol's
   * meta gets, or the binary protocol's gets); when not, they are {@link #get} and {@link #getAll}
   * with the results wrapped.
   */
  default boolean readsInParts() {
    return false;
  }

  /**
   * True when failures are answered as misses and successes ({@code failures=miss}): an answer
   * then does not prove what memcached holds, so nothing that must be confirmed may rely on it.
   */
  default boolean absorbsFailures() {
    return false;
  }

  /**
   * {@link #get}, with an item longer than {@code headLength} bytes read as two arrays where the
   * transport can ({@link #readsInParts}): its first {@code headLength} bytes and the rest, which
   * is then an array of its own; null when memcached holds nothing under the key.
   */
  default Parts getParts(String key, int headLength) {
    byte[] v = get(key);
    return v == null ? null : new Parts(v, null);
  }

  /**
   * {@link #getAll} of distinct keys as {@link #getParts} does {@link #get}, {@code headLengths[i]}
   * for {@code keys.get(i)}: the {@code i}th element is that key's item, or null.
   */
  default Parts[] getAllParts(List<String> keys, int[] headLengths) {
    Map<String, byte[]> all = getAll(keys);
    Parts[] out = new Parts[keys.size()];
    for (int i = 0; i < out.length; i++) {
      byte[] v = all.get(keys.get(i));
      out[i] = v == null ? null : new Parts(v, null);
    }
    return out;
  }

  /** Stores unconditionally and waits for the server's acknowledgement. */
  void set(String key, int ttl, byte[] value);

  /** Stores all entries with one TTL, pipelined, then waits for every acknowledgement. */
  void setAll(Map<String, byte[]> values, int ttl);

  /**
   * {@link #set} of the item {@code value.head()} followed by {@code value.tail()}. A transport
   * that can writes both straight into its request, so the caller need not join them into one
   * array first; the default joins them. The parts are read before this returns and not kept.
   */
  default void setParts(String key, int ttl, Parts value) {
    set(key, ttl, value.whole());
  }

  /** {@link #setAll} of items in parts, as {@link #setParts} is {@link #set}. */
  default void setAllParts(Map<String, Parts> values, int ttl) {
    Map<String, byte[]> whole = new LinkedHashMap<>(values.size() * 4 / 3 + 1);
    values.forEach((key, value) -> whole.put(key, value.whole()));
    setAll(whole, ttl);
  }

  /** Stores only if memcached holds nothing under the key; true when stored. */
  boolean add(String key, int ttl, byte[] value);

  /** Replaces the item only if it is still the version read with {@code cas}. */
  CasOutcome cas(String key, long cas, int ttl, byte[] value);

  /** Deletes unconditionally; true when memcached held an item. */
  boolean delete(String key);

  /** Deletes all keys pipelined, then waits for every answer; returns how many items existed. */
  int deleteAll(Collection<String> keys);

  /**
   * Hands every key on every server that starts with {@code prefix} (all keys when it is empty) to
   * {@code each}, a server's keys once its whole listing is read (the crawler is never kept waiting
   * on {@code each}). This walks each server's whole item space, so its cost grows with the server,
   * not with the cache. What {@code each} throws ends the listing.
   */
  void eachKey(String prefix, Consumer<String> each);

  /** {@link #eachKey}, collected: as many keys in memory as the servers hold for the prefix. */
  default List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>();
    eachKey(prefix, keys::add);
    return keys;
  }

  /**
   * {@link #eachKey}, listing every server it can: a server that fails is told to {@code failed} and
   * left out (the keys it handed over before it failed stay handed over), where {@link #eachKey}
   * fails as a whole.
   */
  default void eachKeyOfReachable(String prefix, Consumer<String> each, Consumer<CacheException> failed) {
    try {
      eachKey(prefix, each);
    } catch (KeyLister.ListingFailed e) { // not what each threw
      failed.accept(e);
    }
  }

  // ---------------------------------------------------------------- non-blocking

  /*
   * The non-blocking forms: each returns at once with a future that completes (normally or with a
   * CacheException) when memcached answers, within the operation timeout. No thread waits while the
   * operation is in flight. The defaults run the blocking form and suit only in-memory doubles.
   */

  /**
   * Where the stages that callers add to the non-blocking forms' futures run, so that they never
   * run on a thread that completes memcached's answers (see {@link HandOffFuture}).
   */
  default Executor continuations() {
    return ForkJoinPool.commonPool();
  }

  /**
   * Runs {@code rest}, what follows a non-blocking read's answer and is too slow for the thread that
   * completed it (decoding values that need Java deserialization or an application's codec), on the
   * {@link #continuations} threads. Those also run callers' stages, which may hold them all waiting
   * for this very read: when none has started {@code rest} by the read's deadline (the operation
   * timeout after {@code sent}), {@code starved} gets a {@link CacheException} saying so instead,
   * from a thread of the client's own, so that no read stays pending for ever. Exactly one of the
   * two runs; neither may throw. The default runs {@code rest} on {@link #continuations}, or here
   * once those refuse it.
   *
   * @param operation the read, for the message: {@code get}
   * @param what what it read, for the message: its key, or "n keys"
   * @param sent when the read was sent ({@link System#nanoTime})
   */
  default void continueRead(String operation, Object what, long sent, Runnable rest, Consumer<? super CacheException> starved) {
    try {
      continuations().execute(rest);
    } catch (RejectedExecutionException closed) {
      rest.run();
    }
  }

  /**
   * Charges {@code bytes}, what a non-blocking write of {@code key} holds outside the queues until
   * it is done (its value and encoded copy waiting for its turn or for its {@code gets}), to the
   * budget of the key's server ({@code opQueueBytes}); past it, waits up to {@code opQueueWait},
   * then throws the queue's {@link javax.cache.CacheException}. Answers the release: run it once
   * the write is done (running it again releases nothing more). The default charges nothing.
   */
  default Runnable charge(String key, long bytes) {
    return () -> { };
  }

  /**
   * {@link #charge}, for a write of several keys at once (a batch for a writer): {@code bytes} by
   * memcached key, charged to each server as one sum, so a batch larger than the budget still goes
   * when nothing else waits for its server; refused as a whole. The default charges nothing.
   */
  default Runnable chargeAll(Map<String, Long> bytes) {
    return () -> { };
  }

  /** {@link #get}, without blocking. */
  default CompletableFuture<byte[]> getAsync(String key) {
    return Futures.of(() -> get(key));
  }

  /**
   * {@link #getAsync(String)}, handing the value (null when absent) or the failure to {@code then}
   * where the future would complete, instead of through a future: for a caller that only goes on
   * from the answer. {@code then} must not throw.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's future: then handles failures too
  default void getAsync(String key, BiConsumer<? super byte[], ? super Throwable> then) {
    getAsync(key).whenComplete(then);
  }

  /** {@link #gets}, without blocking. */
  default CompletableFuture<Item> getsAsync(String key) {
    return Futures.of(() -> gets(key));
  }

  /** {@link #getAll}, without blocking. */
  default CompletableFuture<Map<String, byte[]>> getAllAsync(Collection<String> keys) {
    return Futures.of(() -> getAll(keys));
  }

  /** {@link #set}, without blocking. */
  default CompletableFuture<Void> setAsync(String key, int ttl, byte[] value) {
    return Futures.of(() -> {
      set(key, ttl, value);
      return null;
    });
  }

  /** {@link #add}, without blocking. */
  default CompletableFuture<Boolean> addAsync(String key, int ttl, byte[] value) {
    return Futures.of(() -> add(key, ttl, value));
  }

  /** {@link #cas}, without blocking. */
  default CompletableFuture<CasOutcome> casAsync(String key, long cas, int ttl, byte[] value) {
    return Futures.of(() -> cas(key, cas, ttl, value));
  }

  /** {@link #delete}, without blocking. */
  default CompletableFuture<Boolean> deleteAsync(String key) {
    return Futures.of(() -> delete(key));
  }

  /** Closes connections and stops the client's threads. */
  @Override
  void close();
}
