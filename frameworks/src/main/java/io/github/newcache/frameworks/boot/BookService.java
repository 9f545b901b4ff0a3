package io.github.newcache.frameworks.boot;

import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.cache.annotation.CacheEvict;
import org.springframework.cache.annotation.CachePut;
import org.springframework.cache.annotation.Cacheable;
import org.springframework.stereotype.Service;

/**
 * A service whose methods are cached through Spring's annotations. Every method counts its real
 * invocations, so a test can tell a cache hit (no call) from a miss (a call).
 */
@Service
public class BookService {

  private final AtomicInteger findCalls = new AtomicInteger();
  private final AtomicInteger searchCalls = new AtomicInteger();
  private final AtomicInteger loadCalls = new AtomicInteger();

  /** Ids below zero have no book: the null result is cached as Spring's {@code NullValue}. */
  @Cacheable("books")
  public Book find(long id) {
    findCalls.incrementAndGet();
    return id < 0 ? null : new Book(id, "Book " + id, 1);
  }

  /** Two arguments: Spring keys the entry with a {@code SimpleKey}. */
  @Cacheable("searches")
  public String search(String author, int year) {
    searchCalls.incrementAndGet();
    return author + "@" + year + "#" + searchCalls.get();
  }

  /** {@code sync=true}: Spring loads through {@code Cache.invoke} with a local entry processor. */
  @Cacheable(cacheNames = "books", sync = true)
  public Book load(long id) {
    int n = loadCalls.incrementAndGet();
    return new Book(id, "Loaded " + id, n);
  }

  @CachePut(cacheNames = "books", key = "#book.id()")
  public Book save(Book book) {
    return book;
  }

  @CacheEvict("books")
  public void evict(long id) {}

  @CacheEvict(cacheNames = "books", allEntries = true)
  public void evictAll() {}

  @CacheEvict(cacheNames = "searches", allEntries = true)
  public void evictAllSearches() {}

  public int findCalls() {
    return findCalls.get();
  }

  public int searchCalls() {
    return searchCalls.get();
  }

  public int loadCalls() {
    return loadCalls.get();
  }
}
