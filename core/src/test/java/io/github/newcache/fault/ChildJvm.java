package io.github.newcache.fault;

import io.github.newcache.testkit.Signals;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A second JVM running one of the fault tests' client programs on the test's class path: the test
 * can freeze and thaw it (SIGSTOP, SIGCONT by the PID it started), give it a small heap, talk to it
 * line by line, and it is killed when the test is done.
 */
final class ChildJvm implements AutoCloseable {

  private final Process process;
  private final BlockingQueue<String> lines = new ArrayBlockingQueue<>(1000);
  private final OutputStream in;

  ChildJvm(List<String> jvmOptions, Class<?> main, String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.addAll(jvmOptions);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(List.of(args));
    process = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    in = process.getOutputStream();
    Thread reader = new Thread(() -> {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          System.out.println("  [child] " + line);
          lines.offer(line);
        }
      } catch (IOException e) {
        // the child is gone
      }
    }, "child-jvm-reader");
    reader.setDaemon(true);
    reader.start();
  }

  /** The next line that starts with {@code prefix}, within {@code seconds}; fails otherwise. */
  String await(String prefix, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      if (line == null) {
        throw new AssertionError("no '" + prefix + "' from the child within " + seconds + " s"
            + (process.isAlive() ? "" : "; it exited with " + process.exitValue()));
      }
      if (line.startsWith(prefix)) {
        return line;
      }
    }
  }

  void send(String line) throws IOException {
    in.write((line + "\n").getBytes(StandardCharsets.UTF_8));
    in.flush();
  }

  /** Freezes the whole JVM, as a long garbage-collection pause or an overloaded host would. */
  void pause() throws IOException, InterruptedException {
    signal("STOP");
  }

  void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  /** The exit code, waiting at most {@code seconds}. */
  int exitCode(int seconds) throws InterruptedException {
    if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
      throw new AssertionError("the child did not exit within " + seconds + " s");
    }
    return process.exitValue();
  }

  private void signal(String sig) {
    Signals.send(process.pid(), sig);
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      signal("CONT");
      process.destroyForcibly();
      process.waitFor(5, TimeUnit.SECONDS);
    }
  }
}
