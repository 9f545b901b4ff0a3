package io.github.newcache;

import io.github.newcache.internal.event.EventTurns.Turn;
import io.github.newcache.internal.integration.LoaderPool;
import io.github.newcache.internal.store.Slot;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import javax.cache.event.EventType;

/**
 * Where the non-blocking view's listener steps run: in the completing thread when no listener is
 * registered, else on the loader pool; and, while a listener wants a write's events, the key's turn
 * for events the write holds from its change until its listener step is done, taken without a
 * thread waiting, so a key's listeners hear of its blocking and non-blocking changes in the order
 * they were made ({@link io.github.newcache.internal.event.EventTurns}).
 */
final class ListenerSteps<K, V> {

  private final NewcacheCache<K, V> cache;

  ListenerSteps(NewcacheCache<K, V> cache) {
    this.cache = cache;
  }

  /**
   * {@code after} in the completing thread, or on the loader pool when listeners may run (never
   * refused for a full queue: see {@link LoaderPool#thenApply}).
   */
  private <T, R> CompletableFuture<R> then(CompletableFuture<T> f, Function<T, R> after) {
    return cache.events.any() ? cache.executor.thenApply(f, after) : f.thenApply(after);
  }

  /**
   * {@code write} of {@code s}, handed the key's turn for events of {@code raises} while a listener
   * wants them ({@link io.github.newcache.internal.event.EventDispatcher#turnAsync}, no thread
   * waiting for it), which is given back once the write's future is done, before the caller hears
   * of it; else handed {@link Turn#NONE}, also when the turn has not come within the lease timeout
   * (the write goes on without it then, unordered).
   */
  <T> CompletableFuture<T> inTurn(Slot<K> s, Set<EventType> raises, Function<Turn, CompletableFuture<T>> write) {
    if (!cache.events.wantsAny(raises)) {
      return write.apply(Turn.NONE);
    }
    return holding(cache.events.turnAsync(s.memcachedKey(), s.key(), raises, cache.store.continuations()), write);
  }

  /**
   * {@link #inTurn(Slot, Set, Function)} for a write in its key's line ({@link WriteOrder}): its wait
   * for the turn ends by its place's deadline, and is reported there, so that the writes behind it
   * are not held to account for it.
   */
  <T> CompletableFuture<T> inTurn(
      WriteOrder.Place place, Slot<K> s, Set<EventType> raises, Function<Turn, CompletableFuture<T>> write) {
    if (!cache.events.wantsAny(raises)) {
      return write.apply(Turn.NONE);
    }
    long asked = System.nanoTime();
    CompletableFuture<Turn> turn = cache.events.turnAsync(
        s.memcachedKey(), s.key(), raises, cache.store.continuations(), place.turnDeadline());
    return holding(turn.whenComplete((t, e) -> place.waitedForTurn(System.nanoTime() - asked)), write);
  }

  /** {@code write}, once {@code turned} hands it its turn, which is given back once the write's future is done. */
  private static <T> CompletableFuture<T> holding(CompletableFuture<Turn> turned, Function<Turn, CompletableFuture<T>> write) {
    return turned.thenCompose(turn -> {
      CompletableFuture<T> w;
      try {
        w = write.apply(turn);
      } catch (RuntimeException | Error e) {
        turn.close();
        throw e;
      }
      return w.whenComplete((v, e) -> turn.close());
    });
  }

  /**
   * {@link #then} for a write holding {@code turn}: a non-blocking write's listener step goes to a
   * pool thread, or to a thread that waits for the key meanwhile, whichever takes it first ({@link
   * Turn#offer}): pool threads waiting for the key's turn cannot keep it from a thread.
   */
  @SuppressWarnings("FutureReturnValueIgnored") // whenComplete's futures: their actions complete out
  <T, R> CompletableFuture<R> then(Turn turn, CompletableFuture<T> f, Function<T, R> after) {
    if (!turn.nonBlocking()) {
      return then(f, after);
    }
    CompletableFuture<R> out = new CompletableFuture<>();
    f.whenComplete((v, e) -> {
      if (e != null) {
        out.completeExceptionally(e);
        return;
      }
      Runnable step = turn.offer(() -> {
        try {
          out.complete(after.apply(v));
        } catch (Throwable t) { // an Error too: the caller hears of it, as from the pool's step
          out.completeExceptionally(t);
        }
      });
      cache.executor.thenApply(CompletableFuture.completedFuture(null), x -> {
        step.run();
        return null;
      }).whenComplete((x, t) -> {
        if (t != null && turn.withdraw()) { // dropped by the close, and no waiting thread ran it
          out.completeExceptionally(t);
        }
      });
    });
    return out;
  }
}
