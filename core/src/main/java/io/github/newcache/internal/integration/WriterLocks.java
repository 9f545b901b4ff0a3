package io.github.newcache.internal.integration;

import io.github.newcache.internal.herd.LoadCoordinator;
import java.util.ArrayDeque;
import java.util.Collection;
import java.util.Deque;
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
   * batches never wait for each other in a cycle, and let go in the reverse order.
   */
  public <T> T lockedAll(Collection<String> mkeys, Supplier<T> body) {
    if (!enabled) {
      return body.get();
    }
    Deque<LoadCoordinator.Hold> held = new ArrayDeque<>();
    try {
      for (String mkey : new TreeSet<>(mkeys)) {
        held.push(herd.hold(mkey));
      }
      return body.get();
    } finally {
      letGo(held);
    }
  }

  /** Closes every hold, the last taken first, going on past one that fails to let go. */
  private static void letGo(Deque<LoadCoordinator.Hold> held) {
    RuntimeException failed = null;
    while (!held.isEmpty()) {
      try {
        held.pop().close();
      } catch (RuntimeException e) {
        if (failed == null) {
          failed = e;
        } else {
          failed.addSuppressed(e);
        }
      }
    }
    if (failed != null) {
      throw failed;
    }
  }
}
