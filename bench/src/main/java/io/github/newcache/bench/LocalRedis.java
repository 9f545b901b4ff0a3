package io.github.newcache.bench;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts and stops a private redis-server on a free loopback port, the Redis counterpart of the
 * test kit's memcached launcher: the Redisson side of the benchmark needs a Redis that nobody else
 * uses and that disappears with the trial.
 *
 * <p>The server runs as a pure cache, the way the comparison with memcached needs it: no RDB
 * snapshots ({@code --save ''}), no append-only file ({@code --appendonly no}), loopback only. Its
 * working directory is a fresh temporary directory, so nothing is written next to the benchmark.
 * The executable is taken from {@code $NEWCACHE_REDIS}, then the {@code PATH}, then {@code
 * /usr/bin} and {@code /usr/local/bin} (Debian: {@code apt-get install -y redis-server}).
 */
final class LocalRedis implements AutoCloseable {

  private static final String HOST = "127.0.0.1";
  private static final long START_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final int port;
  private final Path dir;
  private final Process process;

  private LocalRedis(int port, Path dir, Process process) {
    this.port = port;
    this.dir = dir;
    this.process = process;
  }

  /** Starts a server and returns once it answers {@code PING}; retries on a port taken meanwhile. */
  static LocalRedis start() {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      try {
        return launch(freePort());
      } catch (IOException e) {
        last = e;
      }
    }
    throw new IllegalStateException("could not start redis-server: " + last, last);
  }

  private static LocalRedis launch(int port) throws IOException {
    Path dir = Files.createTempDirectory("bench-redis-");
    List<String> cmd =
        List.of(
            executable(), "--port", Integer.toString(port), "--bind", HOST,
            "--save", "", "--appendonly", "no", "--daemonize", "no",
            "--dir", dir.toString(), "--logfile", "");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    // A benchmark JVM killed mid-run must not leave a server behind.
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    LocalRedis redis = new LocalRedis(port, dir, p);
    long deadline = System.nanoTime() + START_TIMEOUT_NANOS;
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        redis.close();
        throw new IOException("redis-server exited with code " + p.exitValue() + " (" + String.join(" ", cmd) + ")");
      }
      if (redis.ping()) {
        return redis;
      }
      sleep(20);
    }
    redis.close();
    throw new IOException("redis-server did not answer PING on " + HOST + ":" + port + " within 10 s");
  }

  /** One inline {@code PING}; true when the server answered {@code +PONG}. */
  private boolean ping() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(HOST, port), 200);
      s.setSoTimeout(500);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] reply = new byte[7];
      int n = 0;
      while (n < reply.length) {
        int r = in.read(reply, n, reply.length - n);
        if (r < 0) {
          break;
        }
        n += r;
      }
      return new String(reply, 0, n, StandardCharsets.US_ASCII).startsWith("+PONG");
    } catch (IOException notYet) {
      return false;
    }
  }

  /** {@code redis://127.0.0.1:port}, the address form Redisson expects. */
  String uri() {
    return "redis://" + HOST + ":" + port;
  }

  int port() {
    return port;
  }

  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  @Override
  public void close() {
    process.destroy();
    if (!waitFor(process)) {
      process.destroyForcibly();
      waitFor(process);
    }
    try (var files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.deleteIfExists(f);
      }
      Files.deleteIfExists(dir);
    } catch (IOException ignored) {
      // a leftover empty temp directory is harmless
    }
  }

  /** {@code redis-server --version}, for the machine section of the report. */
  static String version() {
    try {
      String exe = executable();
      Process p = new ProcessBuilder(exe, "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(5, TimeUnit.SECONDS);
      return out + " (" + exe + ")";
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown (interrupted)";
    }
  }

  /** The redis-server executable, or an error telling how to install it. */
  static String executable() {
    String env = System.getenv("NEWCACHE_REDIS");
    if (env != null && new File(env).canExecute()) {
      return env;
    }
    List<String> dirs = new ArrayList<>();
    String path = System.getenv("PATH");
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/bin", "/usr/local/bin", "/usr/sbin"));
    for (String d : dirs) {
      File f = new File(d, "redis-server");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    throw new IllegalStateException(
        "redis-server is not installed: install it (Debian: apt-get install -y redis-server) "
            + "or point NEWCACHE_REDIS at the executable");
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  private static boolean waitFor(Process p) {
    try {
      return p.waitFor(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
