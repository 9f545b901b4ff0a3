package io.github.newcache.internal.transport;

import net.spy.memcached.compat.log.AbstractLogger;
import net.spy.memcached.compat.log.Level;

/**
 * Routes spymemcached's logging to {@link System.Logger}, checking the level before anything is
 * built. spymemcached's own adapters create a stack trace for every debug call before looking at
 * the level, which costs more than the memcached round trip on the get path.
 */
public final class SpyLogger extends AbstractLogger {

  private final System.Logger delegate;

  /** Called reflectively by spymemcached's {@code LoggerFactory}. */
  public SpyLogger(String name) {
    super(name);
    this.delegate = System.getLogger(name);
  }

  @Override
  public boolean isTraceEnabled() {
    return delegate.isLoggable(System.Logger.Level.TRACE);
  }

  @Override
  public boolean isDebugEnabled() {
    return delegate.isLoggable(System.Logger.Level.DEBUG);
  }

  @Override
  public boolean isInfoEnabled() {
    return delegate.isLoggable(System.Logger.Level.INFO);
  }

  @Override
  public void log(Level level, Object message, Throwable e) {
    System.Logger.Level mapped = map(level);
    if (!delegate.isLoggable(mapped)) {
      return;
    }
    String text = String.valueOf(message);
    if (e == null) {
      delegate.log(mapped, text);
    } else {
      delegate.log(mapped, text, e);
    }
  }

  private static System.Logger.Level map(Level level) {
    return switch (level) {
      case TRACE -> System.Logger.Level.TRACE;
      case DEBUG -> System.Logger.Level.DEBUG;
      // spymemcached reports every connect and reconnect at INFO; that is debug detail to us.
      case INFO -> System.Logger.Level.DEBUG;
      case WARN -> System.Logger.Level.WARNING;
      default -> System.Logger.Level.ERROR;
    };
  }
}
