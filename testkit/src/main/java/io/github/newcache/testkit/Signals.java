package io.github.newcache.testkit;

import java.io.IOException;
import java.util.concurrent.TimeUnit;

/**
 * Sends POSIX signals (STOP, CONT) to processes a test started: a frozen server or JVM. Through the
 * shell's built-in {@code kill}, so a machine without procps (a minimal Debian image has no
 * {@code /bin/kill}) runs the tests too; a signal that could not be sent fails the test instead
 * of leaving it to measure a server that was never frozen.
 */
public final class Signals {

  private Signals() {}

  /** Sends {@code SIG<sig>} (e.g. {@code STOP}) to process {@code pid}, or throws saying why not. */
  public static void send(long pid, String sig) {
    try {
      Process k = new ProcessBuilder("/bin/sh", "-c", "kill -" + sig + " " + pid)
          .redirectErrorStream(true)
          .start();
      if (!k.waitFor(5, TimeUnit.SECONDS)) {
        k.destroyForcibly();
        throw new IllegalStateException("kill -" + sig + " " + pid + " did not return within 5 s");
      }
      if (k.exitValue() != 0) {
        String out = new String(k.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
        throw new IllegalStateException("cannot send SIG" + sig + " to process " + pid + ": " + out);
      }
    } catch (IOException e) {
      throw new IllegalStateException("cannot send SIG" + sig + " to process " + pid + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while sending SIG" + sig + " to process " + pid, e);
    }
  }
}
