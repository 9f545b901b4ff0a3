package io.github.newcache.internal.transport.discovery;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One answer of an ElastiCache (memcached) configuration endpoint: a version and the cluster's
 * nodes. The data of {@code config get cluster} (and of the older {@code get
 * AmazonElastiCache:cluster}) is two lines, as AWS documents it:
 *
 * <pre>
 * 12\n
 * host1|10.0.0.1|11211 host2|10.0.0.2|11211\n
 * </pre>
 *
 * The version grows whenever a node is added or removed. A node's IP address may be empty (the
 * node is then reached by its host name). An empty second line is a list of no nodes, which the
 * poller refuses with a message of its own.
 *
 * @param version the configuration version
 * @param nodes the nodes, in the endpoint's order
 */
public record ClusterConfig(long version, List<Node> nodes) {

  private static final Pattern HOST = Pattern.compile("[A-Za-z0-9._-]{1,253}|\\[?[0-9A-Fa-f:.]+\\]?");

  public ClusterConfig {
    nodes = List.copyOf(nodes);
  }

  /**
   * A cache node as the endpoint lists it.
   *
   * @param host the node's DNS name (what ketama places and what TLS verifies)
   * @param ip its IP address as text, or empty
   * @param port its port
   */
  public record Node(String host, String ip, int port) {

    /**
     * The node's address: resolved from the listed IP when there is one (no DNS lookup), keeping
     * {@link #host()} as its name, so ketama and TLS see the host while the connection uses the IP.
     */
    public InetSocketAddress address() {
      if (ip.isEmpty()) {
        return new InetSocketAddress(host, port);
      }
      try {
        return new InetSocketAddress(InetAddress.getByAddress(host, InetAddress.getByName(ip).getAddress()), port);
      } catch (UnknownHostException e) {
        throw new IllegalStateException("not an IP address: " + ip, e); // checked in parse
      }
    }

    /** {@code host:port}, the node's identity in the ring. */
    public String hostAndPort() {
      return host + ":" + port;
    }

    @Override
    public String toString() {
      return host + "|" + ip + "|" + port;
    }
  }

  /** Parses the data of a {@code CONFIG cluster} answer; errors quote {@code source} and the data. */
  public static ClusterConfig parse(byte[] data, String source) {
    String text = new String(data, StandardCharsets.US_ASCII);
    String[] lines = text.split("\r?\n", -1);
    List<String> nonEmpty = new ArrayList<>();
    for (String l : lines) {
      if (!l.isBlank()) {
        nonEmpty.add(l.trim());
      }
    }
    if (nonEmpty.size() == 1 && lines.length - indexOf(lines, nonEmpty.get(0)) > 2) {
      nonEmpty.add(""); // the version, then an empty line: no nodes
    }
    if (nonEmpty.size() != 2) {
      throw bad(source, text, "expected two lines: the version, then host|ip|port entries");
    }
    long version;
    try {
      version = Long.parseLong(nonEmpty.get(0));
    } catch (NumberFormatException e) {
      throw bad(source, text, "the first line is not a version number");
    }
    List<Node> nodes = new ArrayList<>();
    for (String entry : nonEmpty.get(1).isEmpty() ? new String[0] : nonEmpty.get(1).split("\\s+", -1)) {
      String[] parts = entry.split("\\|", -1);
      if (parts.length != 3 || !HOST.matcher(parts[0]).matches()) {
        throw bad(source, text, "entry '" + entry + "' is not host|ip|port");
      }
      String ip = parts[1].trim();
      if (!ip.isEmpty() && !ip.matches("[0-9.]+|[0-9A-Fa-f:]+")) {
        throw bad(source, text, "entry '" + entry + "' has no IP address in its middle field");
      }
      if (!ip.isEmpty()) {
        try {
          InetAddress.getByName(ip); // a literal: no lookup
        } catch (UnknownHostException e) {
          throw bad(source, text, "entry '" + entry + "' has an invalid IP address");
        }
      }
      int port;
      try {
        port = Integer.parseInt(parts[2].trim());
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 1 || port > 65535) {
        throw bad(source, text, "entry '" + entry + "' has no port from 1 to 65535");
      }
      nodes.add(new Node(parts[0], ip, port));
    }
    return new ClusterConfig(version, nodes);
  }

  /** The index of the first line that is {@code line} once trimmed. */
  private static int indexOf(String[] lines, String line) {
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].trim().equals(line)) {
        return i;
      }
    }
    return -1;
  }

  /** The nodes' {@code host:port} identities, in order: what decides whether the ring changed. */
  public List<String> identities() {
    List<String> out = new ArrayList<>(nodes.size());
    for (Node n : nodes) {
      out.add(n.hostAndPort());
    }
    return out;
  }

  private static IllegalArgumentException bad(String source, String text, String why) {
    String shown = text.length() > 300 ? text.substring(0, 300) + "..." : text;
    return new IllegalArgumentException(
        "configuration endpoint " + source + " sent an unreadable cluster configuration (" + why
            + "): '" + shown.replace("\n", "\\n").replace("\r", "\\r") + "'");
  }
}
