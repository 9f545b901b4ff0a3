package io.github.newcache.internal.integration;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;
import javax.cache.CacheException;

/**
 * The manager's threads for what must block: loaders (loadAll, background refreshes), writers and
 * entry processors called through the async view, and listeners after an async write.
 *
 * <p>Work still queued when the manager closes is not dropped silently: each task says what its
 * caller is told then ({@link #execute(Runnable, Consumer)}), and the futures made here fail. A
 * plain {@link java.util.concurrent.ExecutorService#shutdownNow()} would leave them pending for
 * ever.
 */
public final class LoaderPool implements Executor {

  /** Threads running at once; each starts as work comes and ends after 10 s idle. */
  static final int THREADS = 4;

  /**
   * New work waiting for a thread; beyond this, a call is refused. The last step of work already
   * done ({@link #thenApply}) is never refused, and not counted.
   */
  static final int QUEUE = 10_000;

  private final String owner;
  private final ThreadPoolExecutor threads;
  /** Room for new work not started yet: each such task holds a permit until it starts. */
  private final Semaphore room = new Semaphore(QUEUE);

  /** @param owner names the manager in the message of work failed by the close */
  public LoaderPool(String owner) {
    this.owner = owner;
    AtomicInteger count = new AtomicInteger();
    // core = max with core threads timing out: a pool with 0 core threads never grows past one
    // until its queue is full.
    this.threads =
        new ThreadPoolExecutor(
            THREADS,
            THREADS,
            10,
            TimeUnit.SECONDS,
            new LinkedBlockingQueue<>(), // new work is bounded by room
            r -> {
              Thread t = new Thread(r, "newcache-loader-" + count.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    this.threads.allowCoreThreadTimeOut(true);
  }

  /** Runs {@code task}; nothing to tell anyone if the close drops it. */
  @Override
  public void execute(Runnable task) {
    execute(task, e -> {});
  }

  /**
   * Runs {@code task}, or, if the manager closes before a thread takes it, hands {@code dropped}
   * the reason instead.
   *
   * @throws RejectedExecutionException when the queue is full or the manager is closed
   */
  public void execute(Runnable task, Consumer<CacheException> dropped) {
    if (!room.tryAcquire()) {
      throw new RejectedExecutionException(QUEUE + " tasks wait for a thread");
    }
    start(new Task(task, dropped, room));
  }

  /** Hands {@code task} to the threads; its permit, if it holds one, goes back if they refuse it. */
  private void start(Task task) {
    try {
      threads.execute(task);
    } catch (RuntimeException e) {
      task.started();
      throw e;
    }
  }

  /** {@code blocking} on a pool thread; the future fails if it throws or cannot run. */
  public <T> CompletableFuture<T> supply(Supplier<T> blocking) {
    CompletableFuture<T> out = new CompletableFuture<>();
    submit(out, () -> out.complete(blocking.get()), true);
    return out;
  }

  /**
   * {@code after} on a pool thread once {@code f} succeeds; {@code f}'s failure passes through.
   * {@code after} is the last step of work already done (a non-blocking write memcached applied,
   * whose listeners it tells), so a full queue does not refuse it: refusing it would tell the caller
   * the write failed, and its listeners would never hear of it. Such steps wait beyond the queue's
   * bound, each for a write whose caller still waits for its future. Only a closed manager fails it.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's future: its action completes out, failures included
  public <T, R> CompletableFuture<R> thenApply(CompletableFuture<T> f, Function<T, R> after) {
    CompletableFuture<R> out = new CompletableFuture<>();
    f.whenComplete((v, t) -> {
      if (t != null) {
        fail(out, t);
      } else {
        submit(out, () -> out.complete(after.apply(v)), false);
      }
    });
    return out;
  }

  /**
   * Runs {@code complete} on a pool thread, failing {@code out} if it throws, is refused or is
   * dropped at the close; {@code newWork} counts it against the queue's bound, which a last step
   * is not.
   */
  private void submit(CompletableFuture<?> out, Runnable complete, boolean newWork) {
    Runnable task = () -> {
      try {
        complete.run();
      } catch (Throwable t) {
        fail(out, t);
      }
    };
    try {
      if (newWork) {
        execute(task, e -> fail(out, e));
      } else {
        start(new Task(task, e -> fail(out, e), null));
      }
    } catch (RejectedExecutionException e) {
      fail(out, refused(e));
    }
  }

  /**
   * Fails {@code out} as {@code supplyAsync} and {@code thenApplyAsync} did: wrapped in a {@link
   * CompletionException} ({@code get()} and {@code join()} unwrap it; {@code handle} sees it).
   */
  private static void fail(CompletableFuture<?> out, Throwable t) {
    out.completeExceptionally(t instanceof CompletionException ? t : new CompletionException(t));
  }

  private CacheException refused(RejectedExecutionException e) {
    return threads.isShutdown()
        ? closed("arrived after")
        : new CacheException("the loader pool of " + owner + " is full (" + QUEUE + " tasks waiting): " + e, e);
  }

  private CacheException closed(String when) {
    return new CacheException("the cache manager " + owner + " closed; this work " + when + " the close");
  }

  /**
   * Stops the pool: running tasks are interrupted, and each queued one is told it was dropped
   * (in the closing thread).
   */
  public void close() {
    for (Runnable r : threads.shutdownNow()) {
      try {
        ((Task) r).dropped.accept(closed("was waiting for a thread at"));
      } catch (RuntimeException e) {
        // a CompletionListener that throws must not stop the close (nor the other tasks' news)
      }
    }
  }

  /** A queued task and what to tell its caller if it never runs. */
  private record Task(Runnable work, Consumer<CacheException> dropped, Semaphore room) implements Runnable {
    @Override
    public void run() {
      started();
      work.run();
    }

    /** Gives back the room this task held while it waited (a last step holds none). */
    void started() {
      if (room != null) {
        room.release();
      }
    }
  }
}
