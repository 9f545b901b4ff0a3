package io.github.newcache.internal.integration;

import io.github.newcache.internal.herd.LoadCoordinator;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Supplier;

/**
 * Keeps a write-through operation's writer call and its memcached write together: while a cache
 * has a writer, an operation that calls it holds its keys for the whole fleet ({@link
 * LoadCoordinator#locked}), so two clients never interleave "write the system of record" and
 * "write memcached" on one key. Without a writer it costs nothing.
 */
public final class WriterLocks {

  private final boolean enabled;
  private final LoadCoordinator herd;

  public WriterLocks(WriteThrough<?, ?> writer, LoadCoordinator herd) {
    this.enabled = writer.enabled();
    this.herd = herd;
  }

  /** Runs {@code body} holding {@code mkey} when the cache has a writer; else just runs it. */
  public <T> T locked(String mkey, Supplier<T> body) {
    return enabled ? herd.locked(mkey, body) : body.get();
  }

  /**
   * {@link #locked} for many keys, taken one after another in memcached-key order, so that two
   * batches never wait for each other in a cycle.
   */
  public <T> T lockedAll(Collection<String> mkeys, Supplier<T> body) {
    if (!enabled) {
      return body.get();
    }
    return lockedFrom(new ArrayList<>(new TreeSet<>(mkeys)), 0, body);
  }

  private <T> T lockedFrom(List<String> mkeys, int i, Supplier<T> body) {
    if (i == mkeys.size()) {
      return body.get();
    }
    return herd.locked(mkeys.get(i), () -> lockedFrom(mkeys, i + 1, body));
  }
}
