package io.github.newcache.testkit;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SSLContext;

/**
 * A test double of an ElastiCache (memcached) configuration endpoint: a small TCP server on a free
 * loopback port that answers {@code config get cluster} the way AWS documents it,
 *
 * <pre>
 * CONFIG cluster 0 &lt;bytes&gt;\r\n
 * &lt;version&gt;\n
 * host|ip|port host|ip|port\n
 * \r\n
 * END\r\n
 * </pre>
 *
 * with a node list the test changes ({@link #setNodes}, which bumps the version). In {@link
 * #legacy} mode it answers {@code ERROR} to {@code config} and serves the same data as the item
 * {@code AmazonElastiCache:cluster} ({@code get}), as engines before 1.4.14 do. Optionally over
 * TLS. It counts requests ({@link #requests()}) and can stop answering ({@link #setSilent}).
 */
public final class ConfigEndpointStub implements AutoCloseable {

  /** 127.0.0.1, the address tests use (an IPv4 literal: no lookup). */
  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

  private final ServerSocket server;
  private final List<Socket> clients = new CopyOnWriteArrayList<>();
  private final AtomicInteger requests = new AtomicInteger();
  private final boolean legacy;
  private volatile long version;
  private volatile List<String> nodes = List.of();
  private volatile boolean silent;
  private volatile boolean closed;

  private ConfigEndpointStub(ServerSocket server, boolean legacy) {
    this.server = server;
    this.legacy = legacy;
    Thread t = new Thread(this::acceptLoop, "config-endpoint-stub:" + server.getLocalPort());
    t.setDaemon(true);
    t.start();
  }

  /** A plain-text endpoint answering {@code config get cluster}. */
  public static ConfigEndpointStub start() {
    return start(null, false);
  }

  /**
   * An endpoint over TLS with {@code tls} (a server context, e.g. {@link
   * TlsFixture#serverContext()}) when non-null; {@code legacy} answers only {@code get
   * AmazonElastiCache:cluster}.
   */
  public static ConfigEndpointStub start(SSLContext tls, boolean legacy) {
    try {
      InetAddress loopback = LOOPBACK;
      ServerSocket s = tls == null
          ? new ServerSocket(0, 50, loopback)
          : tls.getServerSocketFactory().createServerSocket(0, 50, loopback);
      return new ConfigEndpointStub(s, legacy);
    } catch (IOException e) {
      throw new IllegalStateException("cannot start the configuration endpoint stub: " + e, e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** {@code 127.0.0.1:port}. */
  public InetSocketAddress address() {
    return new InetSocketAddress(LOOPBACK, port());
  }

  /** Replaces the node list ({@code host|ip|port} entries) and bumps the version. */
  public synchronized void setNodes(List<String> entries) {
    nodes = List.copyOf(entries);
    version++;
  }

  /** Replaces the node list with an explicit version (to test stale answers). */
  public synchronized void setNodes(List<String> entries, long explicitVersion) {
    nodes = List.copyOf(entries);
    version = explicitVersion;
  }

  public long version() {
    return version;
  }

  /** {@code host|ip|port} for a local memcached: the name {@code localhost}, the IP 127.0.0.1. */
  public static String entry(String host, int port) {
    return host + "|127.0.0.1|" + port;
  }

  /** When true, requests are read but never answered (a hung endpoint). */
  public void setSilent(boolean silent) {
    this.silent = silent;
  }

  /** Requests answered or swallowed so far. */
  public int requests() {
    return requests.get();
  }

  /** The bytes of the data block: {@code <version>\n<entries>\n}. */
  public synchronized byte[] data() {
    return (version + "\n" + String.join(" ", nodes) + "\n").getBytes(StandardCharsets.US_ASCII);
  }

  private void acceptLoop() {
    while (!closed) {
      try {
        Socket c = server.accept();
        clients.add(c);
        Thread t = new Thread(() -> serve(c), "config-endpoint-stub-client");
        t.setDaemon(true);
        t.start();
      } catch (IOException e) {
        if (!closed) {
          continue;
        }
        return;
      }
    }
  }

  private void serve(Socket c) {
    try (c) {
      InputStream in = c.getInputStream();
      OutputStream out = c.getOutputStream();
      String line;
      while ((line = line(in)) != null) {
        requests.incrementAndGet();
        if (silent) {
          continue;
        }
        if (line.equals("config get cluster") && !legacy) {
          byte[] data = data();
          out.write(("CONFIG cluster 0 " + data.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(data);
          out.write("\r\nEND\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (line.equals("get AmazonElastiCache:cluster") && legacy) {
          byte[] data = data();
          out.write(("VALUE AmazonElastiCache:cluster 0 " + data.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
          out.write(data);
          out.write("\r\nEND\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (line.startsWith("get ")) {
          out.write("END\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (line.equals("version")) {
          out.write("VERSION 1.6.18-stub\r\n".getBytes(StandardCharsets.US_ASCII));
        } else if (line.equals("quit")) {
          return;
        } else {
          out.write("ERROR\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
      }
    } catch (IOException e) {
      // client went away
    } finally {
      clients.remove(c);
    }
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) {
        return null;
      }
      if (c == '\n') {
        String s = b.toString(StandardCharsets.US_ASCII);
        return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
      }
      b.write(c);
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // closing anyway
    }
    for (Socket c : new ArrayList<>(clients)) {
      try {
        c.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
  }
}
