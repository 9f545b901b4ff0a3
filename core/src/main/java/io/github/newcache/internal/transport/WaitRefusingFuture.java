package io.github.newcache.internal.transport;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * A {@link CompletableFuture} that refuses a wait for it on the client's IO thread while it is
 * pending ({@link IoThread#refuseWait}), and whose stages' futures do the same: the base of {@link
 * HandOffFuture}, and the future of every stage added to one, or derived from it in turn. In every
 * other way a plain {@link CompletableFuture}.
 */
class WaitRefusingFuture<T> extends CompletableFuture<T> {

  /** Made by {@link #newIncompleteFuture}, or as a {@link HandOffFuture}. */
  WaitRefusingFuture() {}

  @Override
  public <U> CompletableFuture<U> newIncompleteFuture() {
    return new WaitRefusingFuture<>();
  }

  @Override
  public T get() throws InterruptedException, ExecutionException {
    IoThread.refuseWait(this);
    return super.get();
  }

  /** {@inheritDoc} A timeout of zero or less polls, and never waits: it is not refused on the IO thread. */
  @Override
  public T get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
    if (timeout > 0) {
      IoThread.refuseWait(this);
    }
    return super.get(timeout, unit);
  }

  @Override
  public T join() {
    IoThread.refuseWait(this);
    return super.join();
  }
}
