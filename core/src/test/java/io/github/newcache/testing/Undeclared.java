package io.github.newcache.testing;

/** Throws a checked exception from code that does not declare it, as Kotlin code or {@code @SneakyThrows} may. */
public final class Undeclared {

  private Undeclared() {}

  /** Throws {@code t} whatever it is; declared to return, so callers can write {@code throw Undeclared.thrown(e)}. */
  public static RuntimeException thrown(Throwable t) {
    return Undeclared.<RuntimeException>throwAs(t);
  }

  @SuppressWarnings("unchecked")
  private static <E extends Throwable> E throwAs(Throwable t) throws E {
    throw (E) t;
  }
}
