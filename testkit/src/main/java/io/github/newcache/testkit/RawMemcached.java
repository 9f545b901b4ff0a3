package io.github.newcache.testkit;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A raw text-protocol connection to memcached, independent of the library under test: to read
 * what is really stored under a key, and to list keys with their expiry ({@code lru_crawler
 * metadump hash}). Every read has a socket timeout, so a wrong answer fails instead of hanging.
 */
public final class RawMemcached implements AutoCloseable {

  private final LocalMemcached server;
  private Socket socket;
  private DataInputStream in;
  private OutputStream out;

  RawMemcached(LocalMemcached server) {
    this.server = server;
  }

  /** A raw connection to {@code server} (opened on first use; close it). */
  public static RawMemcached of(LocalMemcached server) {
    return new RawMemcached(server);
  }

  /** How many items the server holds ({@code curr_items} of {@code stats}), on a connection of its own. */
  public long itemCount() {
    return stat("curr_items");
  }

  /** One counter of {@code stats} ({@code curr_items}, {@code cmd_set}, …), on a connection of its own; -1 if absent. */
  public long stat(String name) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(server.host(), server.port()), 2000);
      s.setSoTimeout(5000);
      return stat(s, name);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** One counter of {@code stats} over an open connection (plain or TLS); -1 if absent. */
  static long stat(Socket s, String name) throws IOException {
    s.getOutputStream().write("stats\r\n".getBytes(StandardCharsets.US_ASCII));
    s.getOutputStream().flush();
    DataInputStream din = new DataInputStream(s.getInputStream());
    String prefix = "STAT " + name + " ";
    long value = -1;
    for (String l = line(din); !l.equals("END"); l = line(din)) {
      if (l.startsWith(prefix)) {
        value = Long.parseLong(l.substring(prefix.length()).trim());
      }
    }
    return value;
  }

  private void connect() throws IOException {
    if (socket == null) {
      socket = new Socket();
      socket.connect(new InetSocketAddress(server.host(), server.port()), 2000);
      socket.setSoTimeout(5000);
      in = new DataInputStream(socket.getInputStream());
      out = socket.getOutputStream();
    }
  }

  /** The bytes stored under {@code key} ({@code get <key>}), or null when there are none. */
  public synchronized byte[] get(String key) {
    try {
      connect();
      out.write(("get " + key + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      String header = line();
      if (header.equals("END")) {
        return null;
      }
      String[] parts = header.split(" ", -1);
      if (parts.length < 4 || !parts[0].equals("VALUE") || !parts[1].equals(key)) {
        throw new IllegalStateException("unexpected answer to get " + key + ": " + header);
      }
      byte[] data = new byte[Integer.parseInt(parts[3])];
      in.readFully(data);
      String crlf = line();
      String end = line();
      if (!crlf.isEmpty() || !end.equals("END")) {
        throw new IllegalStateException("unexpected trailer after value of " + key + ": " + end);
      }
      return data;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stores {@code value} under {@code key} with exptime 0 ({@code set}). */
  public synchronized void set(String key, byte[] value) {
    try {
      connect();
      out.write(("set " + key + " 0 0 " + value.length + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.write(value);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = line();
      if (!answer.equals("STORED")) {
        throw new IllegalStateException("set " + key + " answered " + answer);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Deletes the item under {@code key} ({@code delete}); true when there was one. */
  public synchronized boolean delete(String key) {
    try {
      connect();
      out.write(("delete " + key + "\r\n").getBytes(StandardCharsets.UTF_8));
      out.flush();
      String answer = line();
      if (!answer.equals("DELETED") && !answer.equals("NOT_FOUND")) {
        throw new IllegalStateException("delete " + key + " answered " + answer);
      }
      return answer.equals("DELETED");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Every key on the server (decoded) with its metadump line's fields ({@code exp}, {@code la},
   * {@code cas}, {@code fetch}, {@code cls}, {@code size}). {@code exp=-1} means never expires;
   * otherwise it is the remaining lifetime in seconds. Retries while the crawler is busy.
   */
  public List<Map<String, String>> metadump() {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (true) {
      try (Socket s = new Socket()) {
        s.connect(new InetSocketAddress(server.host(), server.port()), 2000);
        s.setSoTimeout(5000);
        // The hash-table walk: the LRU walk ("metadump all") skips items that memcached's LRU
        // maintainer moves between queues during the walk, as the library's KeyLister explains.
        s.getOutputStream().write("lru_crawler metadump hash\r\n".getBytes(StandardCharsets.US_ASCII));
        s.getOutputStream().flush();
        DataInputStream din = new DataInputStream(s.getInputStream());
        List<Map<String, String>> items = new ArrayList<>();
        String busy = null;
        while (true) {
          String l = line(din);
          if (l.equals("END")) {
            break;
          }
          if (!l.startsWith("key=")) {
            busy = l;
            break;
          }
          Map<String, String> fields = new LinkedHashMap<>();
          for (String f : l.split(" ", -1)) {
            int eq = f.indexOf('=');
            if (eq > 0) {
              fields.put(f.substring(0, eq), f.substring(eq + 1));
            }
          }
          fields.put("key", URLDecoder.decode(fields.get("key"), StandardCharsets.UTF_8));
          items.add(fields);
        }
        if (busy == null) {
          return items;
        }
        if (!busy.startsWith("BUSY") || System.nanoTime() > deadline) {
          throw new IllegalStateException("metadump refused: " + busy);
        }
        Thread.onSpinWait();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** The metadump fields of {@code key}, or null when memcached does not hold it. */
  public Map<String, String> meta(String key) {
    for (Map<String, String> item : metadump()) {
      if (item.get("key").equals(key)) {
        return item;
      }
    }
    return null;
  }

  /**
   * Seconds until memcached drops the item described by {@code meta} (from {@link #meta}), or -1
   * when it never expires. memcached runs on this machine, so its clock is ours.
   */
  public static long secondsLeft(Map<String, String> meta) {
    long exp = Long.parseLong(meta.get("exp"));
    return exp == -1 ? -1 : exp - System.currentTimeMillis() / 1000;
  }

  /** Every key on the server that starts with {@code prefix}. */
  public List<String> keys(String prefix) {
    List<String> keys = new ArrayList<>();
    for (Map<String, String> item : metadump()) {
      if (item.get("key").startsWith(prefix)) {
        keys.add(item.get("key"));
      }
    }
    return keys;
  }

  private String line() throws IOException {
    return line(in);
  }

  private static String line(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    while (true) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("memcached closed the connection");
      }
      if (c == '\n') {
        byte[] bytes = b.toByteArray();
        int n = bytes.length > 0 && bytes[bytes.length - 1] == '\r' ? bytes.length - 1 : bytes.length;
        return new String(bytes, 0, n, StandardCharsets.UTF_8);
      }
      b.write(c);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    if (socket != null) {
      socket.close();
      socket = null;
    }
  }
}
