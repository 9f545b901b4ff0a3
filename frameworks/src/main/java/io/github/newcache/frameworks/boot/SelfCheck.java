package io.github.newcache.frameworks.boot;

import javax.cache.CacheManager;
import org.springframework.context.ApplicationContext;

/** The checks a fat-jar run performs; each prints one {@code SELFCHECK} line. */
final class SelfCheck {

  private SelfCheck() {}

  static int run(ApplicationContext context) {
    CacheManager manager = context.getBean(CacheManager.class);
    BookService books = context.getBean(BookService.class);
    int failures = 0;
    System.out.println("SELFCHECK managerUri=" + manager.getURI());
    System.out.println("SELFCHECK provider=" + manager.getCachingProvider().getClass().getName());
    books.evictAll();
    Book first = books.find(1);
    Book second = books.find(1);
    failures += check("find cached", books.findCalls() == 1 && first.equals(second),
        "calls=" + books.findCalls());
    books.find(-1);
    books.find(-1);
    failures += check("null cached", books.findCalls() == 2, "calls=" + books.findCalls());
    books.search("knuth", 1968);
    books.search("knuth", 1968);
    failures += check("SimpleKey cached", books.searchCalls() == 1, "calls=" + books.searchCalls());
    System.out.println("SELFCHECK done failures=" + failures);
    return failures;
  }

  private static int check(String what, boolean ok, String detail) {
    System.out.println("SELFCHECK " + (ok ? "ok " : "FAILED ") + what + " " + detail);
    return ok ? 0 : 1;
  }
}
