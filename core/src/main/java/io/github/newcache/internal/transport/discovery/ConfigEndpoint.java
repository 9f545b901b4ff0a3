package io.github.newcache.internal.transport.discovery;

import io.github.newcache.internal.transport.tls.OpenSockets;
import io.github.newcache.internal.transport.tls.ServerConnector;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Asks an ElastiCache configuration endpoint (or any node of an ElastiCache memcached cluster) for
 * the cluster's nodes, in the text protocol, as AWS documents it:
 *
 * <pre>
 * &gt; config get cluster\r\n
 * &lt; CONFIG cluster 0 &lt;bytes&gt;\r\n
 * &lt; &lt;version&gt;\n
 * &lt; host|ip|port host|ip|port ...\n
 * &lt; \r\n
 * &lt; END\r\n
 * </pre>
 *
 * {@code <bytes>} counts the two data lines with their {@code \n}. Engines older than 1.4.14
 * answer {@code ERROR} to {@code config}; they keep the same data under the key {@code
 * AmazonElastiCache:cluster}, which this reads next. Connections come from a {@link
 * ServerConnector}: TLS when the cluster uses in-transit encryption.
 */
final class ConfigEndpoint {

  private static final String CONFIG_GET = "config get cluster\r\n";
  private static final String LEGACY_GET = "get AmazonElastiCache:cluster\r\n";

  private ConfigEndpoint() {}

  /** One exchange with {@code endpoint}; I/O problems are exceptions that name it. */
  static ClusterConfig fetch(InetSocketAddress endpoint, ServerConnector connector, int timeoutMillis)
      throws IOException {
    return fetch(endpoint, connector, timeoutMillis, OpenSockets.none());
  }

  /** One exchange on a socket registered in {@code sockets}: closing them ends it at once. */
  static ClusterConfig fetch(InetSocketAddress endpoint, ServerConnector connector, int timeoutMillis,
      OpenSockets sockets) throws IOException {
    String name = endpoint.getHostString() + ":" + endpoint.getPort();
    try (Socket s = connector.open(endpoint, timeoutMillis, sockets)) {
      OutputStream out = s.getOutputStream();
      DataInputStream in = new DataInputStream(s.getInputStream());
      out.write(CONFIG_GET.getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String header = line(in, name);
      if (header.equals("ERROR")) {
        out.write(LEGACY_GET.getBytes(StandardCharsets.US_ASCII));
        out.flush();
        header = line(in, name);
        if (header.equals("END")) {
          throw new IOException(
              name + " is not an ElastiCache configuration endpoint: it does not know 'config get "
                  + "cluster' and has no AmazonElastiCache:cluster item");
        }
      }
      String[] parts = header.split(" ", -1);
      boolean config = parts.length == 4 && parts[0].equals("CONFIG") && parts[1].equals("cluster");
      boolean legacy = parts.length >= 4 && parts[0].equals("VALUE") && parts[1].equals("AmazonElastiCache:cluster");
      if (!config && !legacy) {
        throw new IOException(name + " answered '" + header + "' to config get cluster");
      }
      int length;
      try {
        length = Integer.parseInt(parts[3]);
      } catch (NumberFormatException e) {
        throw new IOException(name + " answered a bad length in '" + header + "'");
      }
      if (length < 0 || length > 1 << 20) {
        throw new IOException(name + " announced " + length + " bytes of configuration");
      }
      byte[] data = new byte[length];
      in.readFully(data);
      String after = line(in, name);
      if (!after.isEmpty()) {
        throw new IOException(name + " sent more configuration than announced: '" + after + "'");
      }
      String end = line(in, name);
      if (!end.equals("END")) {
        throw new IOException(name + " ended its configuration with '" + end + "' instead of END");
      }
      return ClusterConfig.parse(data, name);
    }
  }

  /** A line without its {@code \r\n} (at most 64 KiB). */
  private static String line(InputStream in, String name) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream(64);
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new IOException(name + " closed the connection in the middle of its answer");
      }
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.US_ASCII);
      }
      if (b.size() > 65536) {
        throw new IOException(name + " sent a line longer than 64 KiB");
      }
      b.write(c);
    }
  }
}
