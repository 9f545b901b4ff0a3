package io.github.newcache.internal.transport;

import java.util.concurrent.TimeoutException;

/**
 * Tells a failed command that memcached may still apply from one it never will. A command that
 * timed out was sent and got no answer within the operation timeout ({@link Flights}' "timed out
 * after": the failure's cause is a {@link TimeoutException}); so was one whose wait an interrupt
 * cut short (its cause an {@link InterruptedException}). A frozen server (SIGSTOP, a long pause of
 * its host) reads such a command from the socket when it resumes, and applies it. Every other
 * failure says that nothing was applied: the command was refused before it was sent (a full queue,
 * a stalled server failing calls at once, an interrupted caller, a closed manager), cancelled
 * because its server is not connected, or answered with an error.
 *
 * <p>One failure is told as refused though the command may have reached memcached: one in flight
 * when its connection was lost, which spymemcached cancels as it cancels one for a server that is
 * not connected. A server whose connection was lost has most often lost what it held too.
 */
public final class Unanswered {

  private Unanswered() {}

  /** True when {@code failure} (or a cause of it) says memcached may still apply the command, as the class comment says. */
  public static boolean mayBeApplied(Throwable failure) {
    Throwable t = failure;
    for (int depth = 0; t != null && depth < 16; depth++, t = t.getCause()) { // bounded: a cause chain may loop
      if (t instanceof TimeoutException || t instanceof InterruptedException) {
        return true;
      }
    }
    return false;
  }
}
