package io.github.newcache.fleet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.RawMemcached;
import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

/** The test kit's launcher counts a server as started only when its own process serves the port. */
class LocalMemcachedStartTest {

  /**
   * Where another process already listens, memcached exits ("address in use") and startAt says so.
   * Before, the connect that the other process accepted counted as started: startAt returned a
   * server whose process had exited, and a caller looking for a free address (DemoTest's port
   * 11211) took the other process for its memcached.
   */
  @Test
  void startAtAPortAnotherProcessListensOnFails() throws Exception {
    try (ServerSocket other = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      int port = other.getLocalPort();
      IllegalStateException e = assertThrows(IllegalStateException.class, () -> {
        try (LocalMemcached started = LocalMemcached.startAt("127.0.0.1", port)) {
          started.isAlive(); // not reached once fixed
        }
      });
      assertTrue(e.getMessage().contains("another process listens on 127.0.0.1:" + port), e.getMessage());
    }
  }

  /** On a free port, startAt returns a server that answers. */
  @Test
  void startAtAFreePortReturnsItsOwnServer() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = probe.getLocalPort();
    }
    try (LocalMemcached server = LocalMemcached.startAt("127.0.0.1", port);
        RawMemcached raw = RawMemcached.of(server)) {
      assertTrue(server.isAlive());
      raw.set("started", new byte[] {1});
      assertEquals(1, raw.get("started").length);
    }
  }
}
