package io.github.newcache.internal.integration;

/**
 * The failures of a close that goes on past each of them: a cache's close (its own parts, then its
 * user resources, {@link UserResources}), a manager's (its caches, then its loader pool, scheduler
 * and connections), the provider's (its managers). Each step runs whatever the steps before it
 * threw, and the close throws once every step has run ({@link #throwIfAny}).
 *
 * <p>What it throws is the first {@link Error}, every other failure, before or after it, suppressed
 * in it: an Error is not for a library to swallow, nor to replace with an exception that came
 * after it (a {@code NoClassDefFoundError} at a web application's undeploy says why the rest
 * failed). Without an Error, the first exception, the later ones suppressed in it. One object
 * thrown twice (a resource shared by two managers) is kept once: a throwable cannot suppress itself.
 *
 * <p>One instance serves one close, on one thread.
 */
public final class CloseFailures {

  /** The failure to throw: the first Error, or without one the first exception; null while none. */
  private Throwable first;

  /** A close with no failure yet. */
  public CloseFailures() {}

  /**
   * Runs {@code step}, keeping what it throws.
   *
   * @param step one part of the close
   */
  public void run(Runnable step) {
    try {
      step.run();
    } catch (RuntimeException e) {
      keep(e);
    } catch (Error e) {
      keep(e);
    }
  }

  /**
   * Keeps an Error a step threw, caught by the step itself.
   *
   * @param failure the step's Error
   */
  public void add(Error failure) {
    keep(failure);
  }

  private void keep(Throwable failure) {
    if (first == null) {
      first = failure;
    } else if (failure == first || suppressedIn(first, failure)) {
      return;
    } else if (failure instanceof Error && !(first instanceof Error)) {
      failure.addSuppressed(first);
      first = failure;
    } else {
      first.addSuppressed(failure);
    }
  }

  private static boolean suppressedIn(Throwable in, Throwable failure) {
    for (Throwable s : in.getSuppressed()) {
      if (s == failure) {
        return true;
      }
    }
    return false;
  }

  /**
   * What the close throws: the first Error or, without one, the first exception, the others
   * suppressed in it; null when every step succeeded.
   *
   * @return the failure, or null
   */
  public Throwable first() {
    return first;
  }

  /** Throws {@link #first} if a step failed: call it once every step has run. */
  public void throwIfAny() {
    if (first instanceof Error e) {
      throw e;
    }
    if (first != null) {
      throw (RuntimeException) first;
    }
  }
}
