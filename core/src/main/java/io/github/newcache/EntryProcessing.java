package io.github.newcache;

import io.github.newcache.internal.event.EntryEvent;
import io.github.newcache.internal.event.EventTurns.Turn;
import io.github.newcache.internal.expiry.ExpiryCalculator;
import io.github.newcache.internal.herd.BoundedWait;
import io.github.newcache.internal.processor.ProcessorEntry;
import io.github.newcache.internal.store.Applied;
import io.github.newcache.internal.store.Current;
import io.github.newcache.internal.store.Decision;
import io.github.newcache.internal.store.Encoded;
import io.github.newcache.internal.store.Slot;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import javax.cache.event.EventType;
import javax.cache.processor.EntryProcessor;
import javax.cache.processor.EntryProcessorException;
import javax.cache.processor.EntryProcessorResult;

/**
 * {@code invoke} for a cache: an entry processor run as the decision of one atomic {@link
 * io.github.newcache.internal.store.EntryStore#compute}, with the statistics, events and writer
 * calls of what it did.
 *
 * <p>Turns: in one JVM, processors on the same key take turns, so they never race each other; on
 * an absent entry, one creator at a time in the fleet holds the key's lease (so a
 * {@code @Cacheable(sync = true)} method runs once); with a writer, the whole invocation holds the
 * key for the fleet. A processor can still run more than once when another client changes its
 * entry concurrently; only the last run's outcome is applied. Once the writer has taken a run's
 * outcome, though, the processor does not run again while the entry holds the value that run read,
 * or none: that outcome is applied again, so the cache follows the system of record. With the key
 * held, what changed the entry then was a read's expiry touch, an expiry or an eviction. Only an
 * entry with another value (a write that came in once a lease timed out) runs it again. While a
 * listener wants events, each run and its events take the key's turn for events, inside those
 * holds ({@link io.github.newcache.internal.event.EventDispatcher#turn}); {@code invokeAll} takes
 * them key by key.
 */
final class EntryProcessing<K, V> {

  private final NewcacheCache<K, V> cache;
  private final boolean singleFlight;

  EntryProcessing(NewcacheCache<K, V> cache, boolean singleFlight) {
    this.cache = cache;
    this.singleFlight = singleFlight;
  }

  /**
   * Invokes the processor on each key; a processor's exception becomes that key's result, and so
   * does any other failure of that key's outcome (a value refused as too large or of the wrong
   * type, the writer's exception, memcached's failure), as the reference implementation does:
   * the other keys are still processed.
   */
  <T> Map<K, EntryProcessorResult<T>> invokeAll(List<Slot<K>> slots, EntryProcessor<K, V, T> processor, Object[] arguments) {
    Map<K, EntryProcessorResult<T>> results = new LinkedHashMap<>();
    for (Slot<K> s : slots) {
      try {
        T r = invoke(s, processor, arguments);
        if (r != null) {
          results.put(s.key(), () -> r);
        }
      } catch (RuntimeException e) {
        EntryProcessorException failed = e instanceof EntryProcessorException p ? p : new EntryProcessorException(e);
        results.put(s.key(), () -> {
          throw failed;
        });
      }
    }
    return results;
  }

  <T> T invoke(Slot<K> s, EntryProcessor<K, V, T> processor, Object[] arguments) {
    if (cache.writer.enabled()) {
      return cache.locked(s, held -> process(s, processor, arguments, null, held));
    }
    if (!singleFlight) {
      return process(s, processor, arguments, null, BoundedWait.NONE);
    }
    return cache.herd.exclusive(
        s.memcachedKey(),
        turn -> {
          Current<V> first = cache.store.getForUpdate(s);
          if (first.present()) {
            return process(s, processor, arguments, first, turn.waited());
          }
          // the lease, and then the turn for events, within the turn's wait: one lease timeout in all
          return turn.withLease(
              () -> cache.store.get(s).present(), () -> process(s, processor, arguments, null, turn.waited()));
        });
  }

  /**
   * Runs the processor as the decision of a compute: when another client changes the entry before
   * the outcome is applied, the processor runs again on what is there now, unless the writer has
   * already taken the outcome and the entry's value is still the one it read, or gone: then the
   * outcome is applied again, with the expiry of what is there now.
   */
  private <T> T process(
      Slot<K> s, EntryProcessor<K, V, T> processor, Object[] arguments, Current<V> first, BoundedWait held) {
    try (Turn t = cache.events.turn(s.memcachedKey(), s.key(), WriteRules.CHANGES, held)) {
      return processInTurn(s, processor, arguments, first);
    }
  }

  /** {@link #process}, in the key's turn for events when a listener wants them. */
  private <T> T processInTurn(Slot<K> s, EntryProcessor<K, V, T> processor, Object[] arguments, Current<V> first) {
    K key = s.key();
    long start = cache.stats.start();
    Function<K, V> loader = cache.processorLoader();
    List<ProcessorEntry<K, V>> entry = new ArrayList<>(1);
    List<T> result = new ArrayList<>(1);
    List<Written<V>> written = new ArrayList<>(1);
    List<Current<V>> ran = new ArrayList<>(1);
    Applied<V> a =
        cache.store.compute(s, first, c -> {
          if (!written.isEmpty()) {
            Written<V> w = written.get(0);
            if (!c.present() || c.sameValue(w.read())) {
              return w.again(c, cache.expiry);
            }
            written.clear(); // another write came in between (a lease timed out): run again on it
          } else if (!ran.isEmpty() && ran.get(0).present() && c.present() && c.sameValue(ran.get(0))) {
            // Only the expiry moved since the last run (a read's touch under an access expiry
            // policy): the processor saw this very value, so its outcome stands over what is there
            // now. Running it again would let a key's readers keep a processor re-running.
            ran.set(0, c);
            return outcome(s, entry.get(0), c);
          }
          ran.clear();
          ran.add(c);
          ProcessorEntry<K, V> e = new ProcessorEntry<>(key, c.liveValue(), loader);
          entry.clear();
          entry.add(e);
          result.clear();
          try {
            result.add(processor.process(e, arguments));
          } catch (EntryProcessorException ex) {
            throw ex;
          } catch (Exception ex) {
            throw new EntryProcessorException(ex);
          }
          Decision<V> d = outcome(s, e, c);
          if (cache.writer.enabled() && reachesWriter(e.outcome())) {
            written.add(new Written<>(c, d));
          }
          return d;
        });
    ProcessorEntry<K, V> e = entry.get(0);
    // The lookup decides hit or miss, whatever the processor then does with the entry.
    if (e.original() != null) {
      cache.stats.hits(1);
    } else {
      cache.stats.misses(1);
    }
    cache.stats.getTime(start);
    switch (e.outcome()) {
      case LOADED -> {
        if (a.stored()) {
          cache.events.dispatch(new EntryEvent<>(cache, EventType.CREATED, key, e.value(), null, false));
        }
      }
      case CREATED -> {
        if (a.stored()) {
          cache.stats.puts(1);
          cache.stats.putTime(start);
          cache.events.dispatch(new EntryEvent<>(cache, EventType.CREATED, key, e.value(), null, false));
        }
      }
      case UPDATED -> {
        cache.stats.puts(1);
        cache.stats.putTime(start);
        if (a.before().present()) {
          cache.events.dispatch(new EntryEvent<>(cache, EventType.UPDATED, key, e.value(), e.original(), true));
        } else if (a.stored()) { // a replayed update that found the entry gone (see process): a creation
          cache.events.dispatch(new EntryEvent<>(cache, EventType.CREATED, key, e.value(), null, false));
        }
      }
      case REMOVED -> {
        if (e.original() != null && a.before().present()) { // a replayed removal may find nothing left
          cache.stats.removals(1);
          cache.stats.removeTime(start);
          cache.events.dispatch(new EntryEvent<>(cache, EventType.REMOVED, key, e.original(), e.original(), true));
        } else {
          cache.rules.expiredRemoved(s, a);
        }
      }
      case NONE -> {}
    }
    return result.get(0);
  }

  /** An outcome the writer took ({@code decision}), decided on what {@code read} saw. */
  private record Written<V>(Current<V> read, Decision<V> decision) {
    /** The same outcome over {@code c}: the value written with the expiry of a write over {@code c}, or a removal. */
    Decision<V> again(Current<V> c, ExpiryCalculator expiry) {
      return decision.kind() == Decision.Kind.WRITE
          ? Decision.write(decision.value(), expiry.forWrite(c.present(), c.now()))
          : Decision.remove();
    }
  }

  /** True for the outcomes {@link #outcome} hands to the writer (a loaded value is not written). */
  private static boolean reachesWriter(ProcessorEntry.Outcome o) {
    return o == ProcessorEntry.Outcome.CREATED || o == ProcessorEntry.Outcome.UPDATED || o == ProcessorEntry.Outcome.REMOVED;
  }

  /** The decision for what a processor did with its entry; the writer runs here, before memcached. */
  private Decision<V> outcome(Slot<K> s, ProcessorEntry<K, V> e, Current<V> c) {
    long now = c.now();
    return switch (e.outcome()) {
      case NONE -> e.readPresent() ? Decision.touch(cache.expiry.forAccess(now)) : Decision.keep();
      case LOADED -> Decision.write(cache.store.encode(s, e.value()), cache.expiry.forCreation(now));
      case CREATED -> {
        Encoded<V> v = cache.store.encode(s, e.value());
        cache.writer.write(s.key(), e.value());
        yield Decision.write(v, cache.expiry.forCreation(now));
      }
      case UPDATED -> {
        Encoded<V> v = cache.store.encode(s, e.value());
        cache.writer.write(s.key(), e.value());
        yield Decision.write(v, cache.expiry.forUpdate(now));
      }
      case REMOVED -> {
        cache.writer.delete(s.key());
        // An expired entry goes too, so stale-while-revalidate does not serve it (a miss for JCache).
        yield e.original() == null && !c.expired() ? Decision.keep() : Decision.remove();
      }
    };
  }

}
