package io.github.newcache.testkit;

import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ExtensionContext.Namespace;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Starts a real memcached on a free loopback port once per test class (stopped when the class is
 * done) and hands tests what they need to talk to it:
 *
 * <ul>
 *   <li>{@link LocalMemcached}: the server of the test class;
 *   <li>{@link TestManagers}: opens cache managers on that server for one test and closes them all
 *       when the test ends, passed or failed;
 *   <li>{@link RawMemcached}: a raw text-protocol socket to the server, to check what is really
 *       stored, closed when the test ends.
 * </ul>
 *
 * Use it with {@code @ExtendWith(MemcachedExtension.class)} and take the objects as test method
 * parameters; in a {@code @ParameterizedTest} over {@link Protocol} they come after the protocol.
 */
public final class MemcachedExtension implements BeforeAllCallback, ParameterResolver {

  private static final Namespace NS = Namespace.create(MemcachedExtension.class);

  @Override
  public void beforeAll(ExtensionContext context) {
    server(context);
  }

  /** The memcached of the test class, started on first use and stopped with the class. */
  private static LocalMemcached server(ExtensionContext context) {
    ExtensionContext classContext = context;
    while (classContext.getTestMethod().isPresent() && classContext.getParent().isPresent()) {
      classContext = classContext.getParent().get();
    }
    ExtensionContext.Store store = classContext.getStore(NS);
    return store
        .getOrComputeIfAbsent("server", k -> new Server(LocalMemcached.start()), Server.class)
        .memcached;
  }

  @Override
  public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
    Class<?> type = p.getParameter().getType();
    return type == LocalMemcached.class || type == TestManagers.class || type == RawMemcached.class;
  }

  @Override
  public Object resolveParameter(ParameterContext p, ExtensionContext e) {
    LocalMemcached server = server(e);
    Class<?> type = p.getParameter().getType();
    ExtensionContext.Store store = e.getStore(NS);
    if (type == LocalMemcached.class) {
      return server;
    }
    if (type == TestManagers.class) {
      return store.getOrComputeIfAbsent(
          "managers", k -> new TestManagers(server), TestManagers.class);
    }
    if (type == RawMemcached.class) {
      return store.getOrComputeIfAbsent("raw", k -> new RawMemcached(server), RawMemcached.class);
    }
    throw new ParameterResolutionException("cannot resolve " + type);
  }

  /** Stops memcached when the class-level store closes (JUnit closes AutoCloseable store values). */
  private static final class Server implements AutoCloseable {
    final LocalMemcached memcached;

    Server(LocalMemcached memcached) {
      this.memcached = memcached;
    }

    @Override
    public void close() {
      memcached.close();
    }
  }
}
