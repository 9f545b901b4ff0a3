package io.github.newcache.testkit;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Starts and stops a real memcached process on a free loopback port: for the demo, the tests, the
 * TCK run and the benchmarks. It looks for the executable in {@code $NEWCACHE_MEMCACHED}, then on
 * the {@code PATH}, then in {@code /usr/bin} and {@code /usr/local/bin}.
 */
public final class LocalMemcached implements AutoCloseable {

  private static final String HOST = "127.0.0.1";

  private final String host;
  private final List<String> extraArgs;
  private final int port;
  private Process process;

  private LocalMemcached(String host, int port, List<String> extraArgs) {
    this.host = host;
    this.port = port;
    this.extraArgs = extraArgs;
  }

  /**
   * Starts memcached with the given extra command-line arguments (e.g. {@code -I 2m}), on a free
   * port (another one when a port is taken meanwhile), and returns once that process serves it.
   *
   * @throws IllegalStateException when it could not, naming why
   */
  public static LocalMemcached start(String... extraArgs) {
    IOException last = null;
    for (int attempt = 0; attempt < 5; attempt++) {
      LocalMemcached m = new LocalMemcached(HOST, freePort(), List.of(extraArgs));
      try {
        m.launch();
        return m;
      } catch (IOException e) {
        last = e;
      }
    }
    throw new IllegalStateException("could not start memcached: " + last, last);
  }

  /**
   * Starts memcached on a given loopback address and port, e.g. {@code 127.0.0.2} on the port of a
   * server already running on {@code 127.0.0.1}: two servers a host name can move between (every
   * {@code 127.x.y.z} is loopback on Linux). Returns once this process serves the port: a connect
   * that another process accepts there does not count.
   *
   * @throws IllegalStateException when it cannot: memcached exited (another process listens on
   *     that address and port, say), or did not listen within 10 s
   */
  public static LocalMemcached startAt(String loopbackAddress, int port, String... extraArgs) {
    if (!loopbackAddress.startsWith("127.")) {
      throw new IllegalArgumentException("tests listen on loopback addresses only, not " + loopbackAddress);
    }
    LocalMemcached m = new LocalMemcached(loopbackAddress, port, List.of(extraArgs));
    try {
      m.launch();
      return m;
    } catch (IOException e) {
      throw new IllegalStateException("could not start memcached on " + loopbackAddress + ":" + port + ": " + e, e);
    }
  }

  /** Restarts a stopped server on the same port (an empty server, as after a crash). */
  public synchronized void restart() {
    try {
      launch();
    } catch (IOException e) {
      throw new IllegalStateException("could not restart memcached on port " + port + ": " + e, e);
    }
  }

  private synchronized void launch() throws IOException {
    List<String> cmd = new ArrayList<>(List.of(executable(), "-l", host, "-p", Integer.toString(port), "-U", "0", "-t", "2", "-m", "128"));
    if ("root".equals(System.getProperty("user.name"))) {
      cmd.add("-u");
      cmd.add("root");
    }
    cmd.addAll(extraArgs);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
    process = pb.start();
    Process p = process;
    Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IOException("memcached exited with code " + p.exitValue() + " (" + String.join(" ", cmd) + ")"
            + (accepts() ? ": another process listens on " + host + ":" + port : ""));
      }
      if (accepts() && serves(p)) {
        return;
      }
      sleep(20);
    }
    p.destroyForcibly();
    throw new IOException("memcached did not serve " + host + ":" + port + " within 10 s"
        + (accepts() ? ": another process listens there" : ""));
  }

  /** True when something accepts a TCP connection on {@link #host}:{@link #port}. */
  private boolean accepts() throws UnknownHostException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(loopback(host), port), 200);
      return true;
    } catch (IOException notYet) {
      return false;
    }
  }

  /**
   * True when the connection {@link #accepts} made reached {@code p}, not another process that
   * already listened on the port: then memcached fails to bind it and exits ("address in use"),
   * but maybe only after the connect. Read from procfs: whether {@code p} (or a process it started,
   * for an executable that is a wrapper script) holds a socket that the kernel's table lists as
   * listening on the port. Without procfs, only that {@code p} is alive.
   */
  private boolean serves(Process p) {
    Path table = Path.of("/proc", Long.toString(p.pid()), "net", "tcp");
    if (!Files.isReadable(table)) {
      return p.isAlive();
    }
    Set<String> sockets = new HashSet<>();
    sockets(p.toHandle(), sockets);
    p.toHandle().descendants().forEach(child -> sockets(child, sockets));
    String local = String.format(":%04X", port);
    for (Path t : List.of(table, table.resolveSibling("tcp6"))) {
      try (Stream<String> lines = Files.lines(t)) {
        // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...; st 0A is LISTEN
        if (lines.skip(1).map(line -> line.trim().split("\\s+"))
            .anyMatch(f -> f.length > 9 && f[1].endsWith(local) && f[3].equals("0A") && sockets.contains(f[9]))) {
          return true;
        }
      } catch (IOException | UncheckedIOException gone) {
        // no such table (no IPv6), or the process is gone: the caller sees it exit
      }
    }
    return false;
  }

  /** Adds the inodes of the sockets {@code process} holds open ({@code /proc/<pid>/fd}) to {@code inodes}. */
  private static void sockets(ProcessHandle process, Set<String> inodes) {
    try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(process.pid()), "fd"))) {
      fds.forEach(fd -> {
        try {
          String target = Files.readSymbolicLink(fd).toString();
          if (target.startsWith("socket:[")) {
            inodes.add(target.substring("socket:[".length(), target.length() - 1));
          }
        } catch (IOException | UncheckedIOException closed) {
          // closed meanwhile
        }
      });
    } catch (IOException | UncheckedIOException gone) {
      // the process is gone
    }
  }

  public String host() {
    return host;
  }

  public int port() {
    return port;
  }

  /** {@code 127.0.0.1:port}. */
  public String address() {
    return host + ":" + port;
  }

  /** A manager URI for this server in the chosen protocol. */
  public String uri(boolean binary) {
    return "memcached://" + address() + "/?binary=" + binary;
  }

  /** Freezes the process (SIGSTOP): connections stay open but nothing is answered. */
  public void pause() {
    signal("STOP");
    awaitState(true);
  }

  /** Thaws a paused process (SIGCONT). */
  public void resume() {
    signal("CONT");
    awaitState(false);
  }

  /**
   * Waits (at most 5 s) until the kernel shows the process stopped, or running again: a signal is
   * delivered asynchronously, and a test that freezes a server must not race its last answers.
   */
  private void awaitState(boolean stopped) {
    java.nio.file.Path stat = java.nio.file.Path.of("/proc", Long.toString(process.pid()), "stat");
    if (!java.nio.file.Files.isReadable(stat)) {
      return; // no procfs: nothing to wait on
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (System.nanoTime() < deadline) {
      try {
        String s = java.nio.file.Files.readString(stat);
        char state = s.charAt(s.lastIndexOf(')') + 2); // the field after "(comm)"
        if ((state == 'T' || state == 't') == stopped) {
          return;
        }
      } catch (IOException | RuntimeException e) {
        return; // the process is gone
      }
      Thread.onSpinWait();
    }
    throw new IllegalStateException("memcached did not " + (stopped ? "stop" : "continue") + " within 5 s");
  }

  /** Kills the process at once, like a crash. */
  public synchronized void kill() {
    if (process != null) {
      process.destroyForcibly();
      waitFor(process);
    }
  }

  public synchronized boolean isAlive() {
    return process != null && process.isAlive();
  }

  @Override
  public synchronized void close() {
    if (process != null) {
      process.destroy();
      if (!waitFor(process)) {
        process.destroyForcibly();
        waitFor(process);
      }
    }
  }

  private void signal(String sig) {
    Signals.send(process.pid(), sig);
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

  /** The memcached executable, or an error telling how to install it. */
  public static String executable() {
    String env = System.getenv("NEWCACHE_MEMCACHED");
    if (env != null && new File(env).canExecute()) {
      return env;
    }
    String path = System.getenv("PATH");
    List<String> dirs = new ArrayList<>();
    if (path != null) {
      dirs.addAll(List.of(path.split(File.pathSeparator)));
    }
    dirs.addAll(List.of("/usr/bin", "/usr/local/bin", "/usr/sbin"));
    for (String dir : dirs) {
      File f = new File(dir, "memcached");
      if (f.canExecute()) {
        return f.getPath();
      }
    }
    throw new IllegalStateException(
        "memcached is not installed: install it (Debian: apt-get install -y memcached) "
            + "or point NEWCACHE_MEMCACHED at the executable");
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, loopback())) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new IllegalStateException("no free loopback port: " + e, e);
    }
  }

  // Error Prone's AddressSelection prefers getAllByName to a lookup that keeps one address; HOST is
  // the literal 127.0.0.1, which is its own single address and the one memcached listens on (-l).
  @SuppressWarnings("AddressSelection")
  private static InetAddress loopback() throws UnknownHostException {
    return loopback(HOST);
  }

  // the same for another loopback literal (127.0.0.2 for startAt): one address, the one -l names
  @SuppressWarnings("AddressSelection")
  private static InetAddress loopback(String address) throws UnknownHostException {
    return InetAddress.getByName(address);
  }
}
