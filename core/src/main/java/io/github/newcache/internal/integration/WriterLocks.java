package io.github.newcache.internal.integration;

import io.github.newcache.internal.herd.BoundedWait;
import io.github.newcache.internal.herd.FleetLocks;
import io.github.newcache.internal.herd.LoadCoordinator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.CacheException;
import javax.cache.event.CacheEntryListenerException;
import javax.cache.integration.CacheWriterException;
import javax.cache.processor.EntryProcessorException;

/**
 * Keeps a write-through operation's writer call and its memcached write together: while a cache
 * has a writer, an operation that calls it holds its keys for the whole fleet ({@link
 * FleetLocks}), so two clients never interleave "write the system of record" and
 * "write memcached" on one key. Without a writer it costs nothing.
 *
 * <p>An operation that fails on memcached meanwhile (a timeout, a server down, an item too large:
 * any {@link CacheException} but the writer's own {@link CacheWriterException}, an entry
 * processor's {@link EntryProcessorException} and a listener's {@link CacheEntryListenerException})
 * may have changed
 * the system of record already, so its keys' items are deleted, best effort and without waiting,
 * before the keys are let go ({@code forget}): a later read loads the record's value rather than
 * keep serving the one it replaced.
 */
public final class WriterLocks {

  private final boolean enabled;
  private final LoadCoordinator herd;
  private final Consumer<String> forget;

  /**
   * The locks of a cache with {@code writer}.
   *
   * @param forget deletes a memcached key's item without waiting, best effort
   */
  public WriterLocks(WriteThrough<?, ?> writer, LoadCoordinator herd, Consumer<String> forget) {
    this.enabled = writer.enabled();
    this.herd = herd;
    this.forget = forget;
  }

  /**
   * Runs {@code body} holding {@code mkey} when the cache has a writer; else just runs it. {@code
   * body} is handed the wait that took the hold ({@link BoundedWait#NONE} without one), whose
   * deadline its wait for the key's turn for events shares.
   */
  public <T> T locked(String mkey, Function<BoundedWait, T> body) {
    if (!enabled) {
      return body.apply(BoundedWait.NONE);
    }
    try (FleetLocks.Hold held = herd.fleetLocks().hold(mkey)) {
      return forgettingOnFailure(List.of(mkey), () -> body.apply(held.waited()));
    }
  }

  /**
   * {@link #locked} for many keys, taken in memcached-key order (their leases asked for a window at
   * a time, {@link FleetLocks#holdAll}), so that two batches never wait for each other in a cycle,
   * and let go together ({@link FleetLocks#releaseAll}).
   */
  public <T> T lockedAll(Collection<String> mkeys, Function<BoundedWait, T> body) {
    if (!enabled) {
      return body.apply(BoundedWait.NONE);
    }
    FleetLocks locks = herd.fleetLocks();
    BoundedWait within = herd.waitForOthers();
    List<FleetLocks.Hold> held = locks.holdAll(new ArrayList<>(new TreeSet<>(mkeys)), within);
    T result;
    try {
      result = forgettingOnFailure(mkeys, () -> body.apply(within));
    } catch (RuntimeException | Error e) {
      letGo(locks, held, e);
      throw e;
    }
    letGo(locks, held, null);
    return result;
  }

  /** Runs {@code body}; when memcached fails it, forgets {@code mkeys} before passing the failure on. */
  private <T> T forgettingOnFailure(Collection<String> mkeys, Supplier<T> body) {
    try {
      return body.get();
    } catch (CacheWriterException | EntryProcessorException | CacheEntryListenerException e) {
      throw e; // the writer refused, the processor failed (nothing was changed), or a listener failed (after the change)
    } catch (CacheException e) {
      FleetLocks.sendingUninterrupted(() -> {
        for (String mkey : mkeys) {
          try {
            forget.accept(mkey);
          } catch (RuntimeException refused) {
            e.addSuppressed(refused);
          }
        }
      });
      throw e;
    }
  }

  /**
   * Lets every hold go. A failure to is added to {@code failed}, the body's, when there is one;
   * else thrown.
   */
  private static void letGo(FleetLocks locks, List<FleetLocks.Hold> held, Throwable failed) {
    try {
      locks.releaseAll(held);
    } catch (RuntimeException | Error e) {
      if (failed == null) {
        throw e;
      }
      failed.addSuppressed(e);
    }
  }
}
