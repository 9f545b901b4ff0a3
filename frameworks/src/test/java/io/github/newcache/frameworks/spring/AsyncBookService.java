package io.github.newcache.frameworks.spring;

import io.github.newcache.frameworks.boot.Book;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.stereotype.Service;
import reactor.core.publisher.Mono;

/**
 * Cached methods returning {@code CompletableFuture} and {@code Mono}, which Spring serves through
 * {@code Cache.retrieve}. Every method counts its real invocations, so a test tells a hit (no
 * call) from a miss, and records the threads it was called in. Ids below zero have no book.
 */
@Service
public class AsyncBookService {

  /** How long the {@code sync = true} loads take: long enough for concurrent callers to overlap. */
  static final Duration LOAD_TIME = Duration.ofMillis(300);

  private final AtomicInteger finds = new AtomicInteger();
  private final AtomicInteger monoFinds = new AtomicInteger();
  private final AtomicInteger loads = new AtomicInteger();
  private final AtomicInteger monoLoads = new AtomicInteger();
  private final AtomicInteger blockingLoads = new AtomicInteger();
  private final Set<String> threads = ConcurrentHashMap.newKeySet();

  private void called() {
    threads.add(Thread.currentThread().getName());
  }

  /** Plain {@code @Cacheable}: Spring calls {@code retrieve(key)}, and on a miss this, then {@code put}. */
  @Cacheable("books")
  public CompletableFuture<Book> find(long id) {
    called();
    finds.incrementAndGet();
    return CompletableFuture.completedFuture(id < 0 ? null : new Book(id, "Book " + id, 1));
  }

  @Cacheable("books")
  public Mono<Book> findMono(long id) {
    called();
    monoFinds.incrementAndGet();
    return id < 0 ? Mono.empty() : Mono.just(new Book(id, "Mono " + id, 1));
  }

  /** {@code sync = true}: Spring calls {@code retrieve(key, loader)}, which loads once across the fleet. */
  @Cacheable(cacheNames = "books", sync = true)
  public CompletableFuture<Book> load(long id) {
    called();
    int n = loads.incrementAndGet();
    return CompletableFuture.supplyAsync(() -> id < 0 ? null : new Book(id, "Loaded " + id, n),
        CompletableFuture.delayedExecutor(LOAD_TIME.toMillis(), TimeUnit.MILLISECONDS));
  }

  @Cacheable(cacheNames = "books", sync = true)
  public Mono<Book> loadMono(long id) {
    called();
    int n = monoLoads.incrementAndGet();
    Mono<Book> book = id < 0 ? Mono.empty() : Mono.just(new Book(id, "Mono loaded " + id, n));
    return Mono.delay(LOAD_TIME).then(book);
  }

  /** Blocking {@code sync = true}: Spring calls {@code get(key, Callable)}, which Newcache runs under the key's lease. */
  @Cacheable(cacheNames = "books", sync = true)
  public Book loadBlocking(long id) {
    called();
    int n = blockingLoads.incrementAndGet();
    try {
      Thread.sleep(LOAD_TIME.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new Book(id, "Blocking " + id, n);
  }

  /** Evicts when the returned Mono completes. */
  @CacheEvict("books")
  public Mono<Void> evict(long id) {
    return Mono.empty();
  }

  /** Empties the cache when the returned future completes. */
  @CacheEvict(cacheNames = "books", allEntries = true)
  public CompletableFuture<Void> evictAll() {
    return CompletableFuture.completedFuture(null);
  }

  public int finds() {
    return finds.get();
  }

  public int monoFinds() {
    return monoFinds.get();
  }

  public int loads() {
    return loads.get();
  }

  public int monoLoads() {
    return monoLoads.get();
  }

  public int blockingLoads() {
    return blockingLoads.get();
  }

  /** The names of the threads the methods were called in. */
  public Set<String> threads() {
    return Set.copyOf(threads);
  }
}
