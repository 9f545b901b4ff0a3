package io.github.newcache.security;

import io.github.newcache.internal.expiry.Expiry;
import io.github.newcache.internal.key.Namespaces;
import io.github.newcache.internal.store.Envelope;
import io.github.newcache.key.KeySpace;
import io.github.newcache.key.Md5KeyMangler;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * Plants and reads items straight on a memcached server over a raw text-protocol socket, as an
 * attacker who can reach memcached would, independent of the client under test.
 */
public final class RawItems {

  private RawItems() {}

  /** The memcached key the default key function gives {@code key} in cache {@code cache}. */
  public static String memcachedKey(String flavor, int version, String cache, String key) {
    return new Md5KeyMangler()
        .mangle(new KeySpace(flavor, version, Namespaces.of(cache)), key.getBytes(StandardCharsets.UTF_8));
  }

  /** A valid, eternal envelope for a String key of {@code cache} holding {@code value} bytes. */
  public static byte[] envelope(String cache, String key, byte[] value) {
    return Envelope.encode(
        Namespaces.of(cache).getBytes(StandardCharsets.US_ASCII),
        key.getBytes(StandardCharsets.UTF_8),
        Expiry.ETERNAL,
        value);
  }

  /** The default codec's form of a Java-serialized object: tag {@code O} then the stream. */
  public static byte[] serializedValue(Object o) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    bytes.write('O');
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** {@code set key flags 0 n}: stores {@code data} with the given client flags. */
  public static void set(String host, int port, String key, int flags, byte[] data) {
    try (Socket s = open(host, port)) {
      OutputStream out = s.getOutputStream();
      out.write(("set " + key + " " + flags + " 0 " + data.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.write(data);
      out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String line = line(new DataInputStream(s.getInputStream()));
      if (!line.equals("STORED")) {
        throw new IllegalStateException("set " + key + " answered " + line);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code get key}: the stored bytes, or null. */
  public static byte[] get(String host, int port, String key) {
    try (Socket s = open(host, port)) {
      OutputStream out = s.getOutputStream();
      out.write(("get " + key + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      DataInputStream in = new DataInputStream(s.getInputStream());
      String header = line(in);
      if (header.equals("END")) {
        return null;
      }
      String[] parts = header.split(" ");
      byte[] data = new byte[Integer.parseInt(parts[3])];
      in.readFully(data);
      return data;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Socket open(String host, int port) throws IOException {
    Socket s = new Socket();
    s.connect(new InetSocketAddress(host, port), 2000);
    s.setSoTimeout(5000);
    return s;
  }

  private static String line(DataInputStream in) throws IOException {
    StringBuilder sb = new StringBuilder();
    int c;
    while ((c = in.read()) != -1) {
      if (c == '\n') {
        break;
      }
      if (c != '\r') {
        sb.append((char) c);
      }
    }
    return sb.toString();
  }
}
