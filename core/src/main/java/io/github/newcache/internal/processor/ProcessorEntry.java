package io.github.newcache.internal.processor;

import java.util.function.Function;
import javax.cache.processor.MutableEntry;

/**
 * The entry an {@link javax.cache.processor.EntryProcessor} works on. It records what the
 * processor did; the cache applies the outcome with one CAS, and runs the processor again if
 * another client changed the entry in between.
 */
public final class ProcessorEntry<K, V> implements MutableEntry<K, V> {

  /** What the processor did to the entry, as a whole. */
  public enum Outcome {
    NONE,
    LOADED,
    CREATED,
    UPDATED,
    REMOVED
  }

  private final K key;
  private final V original;
  private final Function<K, V> loader;
  private V value;
  private Outcome outcome = Outcome.NONE;
  private boolean readPresent;

  /**
   * @param original the live value, or null when absent
   * @param loader loads a missing value (read-through), or null
   */
  public ProcessorEntry(K key, V original, Function<K, V> loader) {
    this.key = key;
    this.original = original;
    this.value = original;
    this.loader = loader;
  }

  @Override
  public K getKey() {
    return key;
  }

  @Override
  public V getValue() {
    if (outcome == Outcome.NONE) {
      if (original != null) {
        readPresent = true;
      } else if (loader != null) {
        V loaded = loader.apply(key);
        if (loaded != null) {
          value = loaded;
          outcome = Outcome.LOADED;
        }
      }
    }
    return value;
  }

  @Override
  public boolean exists() {
    return value != null;
  }

  @Override
  public void remove() {
    value = null;
    if (outcome == Outcome.CREATED || outcome == Outcome.LOADED) {
      outcome = original == null ? Outcome.NONE : Outcome.REMOVED;
    } else {
      outcome = Outcome.REMOVED;
    }
  }

  @Override
  public void setValue(V v) {
    if (v == null) {
      throw new NullPointerException("an entry processor set a null value for key " + key);
    }
    value = v;
    outcome = original == null ? Outcome.CREATED : Outcome.UPDATED;
  }

  public Outcome outcome() {
    return outcome;
  }

  public V original() {
    return original;
  }

  public V value() {
    return value;
  }

  /** True when the processor read a present value without changing it. */
  public boolean readPresent() {
    return readPresent;
  }

  @Override
  public <T> T unwrap(Class<T> clazz) {
    if (clazz.isInstance(this)) {
      return clazz.cast(this);
    }
    throw new IllegalArgumentException("cannot unwrap a mutable entry to " + clazz.getName());
  }
}
