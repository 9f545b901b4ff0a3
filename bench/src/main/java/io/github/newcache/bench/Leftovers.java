package io.github.newcache.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Stops the server processes a benchmark fork left behind.
 *
 * <p>Each fork starts and stops its own memcached and redis-server, and shutdown hooks cover a
 * normal exit. But JMH halts a fork that does not exit after a failure, and a halted JVM runs no
 * hooks: its servers would outlive the benchmark. While a case runs, this watches the report's
 * descendant processes and remembers those running the memcached or redis-server executable; when
 * the case is over, any of them still alive is stopped.
 */
final class Leftovers implements AutoCloseable {

  private static final long POLL_MILLIS = 200;

  private final Set<String> executables;
  private final Map<Long, ProcessHandle> seen = new ConcurrentHashMap<>();
  private final Consumer<String> log;
  private final Thread watcher;
  private volatile boolean watching = true;

  private Leftovers(Set<String> executables, Consumer<String> log) {
    this.executables = executables;
    this.log = log;
    this.watcher = new Thread(this::watch, "leftover-servers");
    watcher.setDaemon(true);
    watcher.start();
  }

  /** Starts watching; {@link #close} stops whatever server is still alive. */
  static Leftovers watch(Consumer<String> log) {
    Set<String> exes = new HashSet<>();
    realPath(MemcachedServer::executable).ifPresent(exes::add);
    realPath(LocalRedis::executable).ifPresent(exes::add);
    return new Leftovers(exes, log);
  }

  private void watch() {
    while (watching) {
      poll();
      try {
        Thread.sleep(POLL_MILLIS);
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  private void poll() {
    ProcessHandle.current().descendants().forEach(p -> {
      // redis-server is a symlink on Debian: the process runs the link's target, hence real paths
      Optional<String> cmd = p.info().command();
      if (cmd.isPresent() && executables.contains(cmd.get())) {
        seen.putIfAbsent(p.pid(), p);
      }
    });
  }

  @Override
  public void close() {
    watching = false;
    watcher.interrupt();
    for (ProcessHandle p : seen.values()) {
      if (!p.isAlive()) {
        continue;
      }
      log.accept("stopping leftover server process " + p.pid() + " (" + p.info().command().orElse("?") + ")");
      p.destroy();
      try {
        p.onExit().get(5, TimeUnit.SECONDS);
      } catch (Exception e) {
        p.destroyForcibly();
      }
    }
  }

  private static Optional<String> realPath(Supplier<String> executable) {
    try {
      return Optional.of(Path.of(executable.get()).toRealPath().toString());
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
  }
}
