package io.github.newcache.internal.integration;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import javax.cache.Cache;
import javax.cache.integration.CacheWriter;
import javax.cache.integration.CacheWriterException;

/**
 * A cache's {@link CacheWriter}, or the null object when the cache does not write through: the
 * cache calls it unconditionally, and a disabled one does nothing. Failures come out as {@link
 * CacheWriterException}, as the spec requires.
 */
public abstract class WriteThrough<K, V> {

  private static final WriteThrough<?, ?> DISABLED = new Disabled<>();

  /** The writer for {@code writer}, or the disabled one when it is null. */
  @SuppressWarnings("unchecked")
  public static <K, V> WriteThrough<K, V> of(CacheWriter<K, V> writer) {
    return writer == null ? (WriteThrough<K, V>) DISABLED : new Enabled<>(writer);
  }

  /** True when a writer is configured (its calls must then stay together with the cache's write). */
  public abstract boolean enabled();

  public abstract void write(K key, V value);

  public abstract void delete(K key);

  /**
   * Writes {@code entries}; returns the keys the writer did not take (empty when all were written)
   * and the failure, which the caller throws after caching what was written.
   */
  public abstract Partial writeAll(List<Cache.Entry<? extends K, ? extends V>> entries);

  /** Deletes {@code keys}; returns the keys the writer did not delete and the failure. */
  public abstract Partial deleteAll(Collection<K> keys);

  /** The writer itself, or null, to be closed with the cache. */
  public abstract Object resource();

  /**
   * What a batch call left undone.
   *
   * @param left the keys the writer did not take
   * @param failure the writer's exception, or null when everything was done
   */
  public record Partial(Set<Object> left, CacheWriterException failure) {
    static Partial done() {
      return new Partial(Set.of(), null);
    }
  }

  private static CacheWriterException translate(RuntimeException e) {
    return e instanceof CacheWriterException w ? w : new CacheWriterException(e);
  }

  private static final class Disabled<K, V> extends WriteThrough<K, V> {
    @Override
    public boolean enabled() {
      return false;
    }

    @Override
    public void write(K key, V value) {}

    @Override
    public void delete(K key) {}

    @Override
    public Partial writeAll(List<Cache.Entry<? extends K, ? extends V>> entries) {
      return Partial.done();
    }

    @Override
    public Partial deleteAll(Collection<K> keys) {
      return Partial.done();
    }

    @Override
    public Object resource() {
      return null;
    }
  }

  private static final class Enabled<K, V> extends WriteThrough<K, V> {
    private final CacheWriter<K, V> writer;

    Enabled(CacheWriter<K, V> writer) {
      this.writer = writer;
    }

    @Override
    public boolean enabled() {
      return true;
    }

    @Override
    public void write(K key, V value) {
      try {
        writer.write(new WrittenEntry<>(key, value));
      } catch (RuntimeException e) {
        throw translate(e);
      }
    }

    @Override
    public void delete(K key) {
      try {
        writer.delete(key);
      } catch (RuntimeException e) {
        throw translate(e);
      }
    }

    @Override
    public Partial writeAll(List<Cache.Entry<? extends K, ? extends V>> entries) {
      // The spec's contract: entries the writer did not take stay in the collection.
      Collection<Cache.Entry<? extends K, ? extends V>> pending = new ArrayList<>(entries);
      try {
        writer.writeAll(pending);
        return Partial.done();
      } catch (RuntimeException e) {
        Set<Object> left = new LinkedHashSet<>();
        for (Cache.Entry<? extends K, ? extends V> entry : pending) {
          left.add(entry.getKey());
        }
        return new Partial(left, translate(e));
      }
    }

    @Override
    public Partial deleteAll(Collection<K> keys) {
      if (keys.isEmpty()) {
        return Partial.done(); // nothing to delete: the writer is not called
      }
      // Keys the writer did not delete stay in the collection.
      Collection<Object> pending = new LinkedHashSet<>(keys);
      try {
        writer.deleteAll(pending);
        return Partial.done();
      } catch (RuntimeException e) {
        return new Partial(new LinkedHashSet<>(pending), translate(e));
      }
    }

    @Override
    public Object resource() {
      return writer;
    }
  }

  /** The entry handed to {@link CacheWriter#write}. */
  private record WrittenEntry<K, V>(K getKey, V getValue) implements Cache.Entry<K, V> {
    @Override
    public <T> T unwrap(Class<T> clazz) {
      if (clazz.isInstance(this)) {
        return clazz.cast(this);
      }
      throw new IllegalArgumentException("cannot unwrap a cache entry to " + clazz.getName());
    }
  }
}
