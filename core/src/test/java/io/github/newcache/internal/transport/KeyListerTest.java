package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.github.newcache.internal.transport.tls.ServerConnector;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The key lister against answers no memcached at hand gives, played by a stub server: releases
 * without the hash walk, and the lines of releases newer than the one the tests run.
 */
class KeyListerTest {

  /**
   * memcached releases before the hash walk pass {@code hash} on as a slab class list and answer
   * {@code BADCLASS}; others answer {@code ERROR}. Either way the lister walks the LRU instead.
   * Before, only {@code ERROR} did, and every listing (iterator, clear, removeAll) of a {@code
   * BADCLASS} server failed.
   */
  @ParameterizedTest
  @ValueSource(strings = {"ERROR", "BADCLASS invalid class id"})
  void aServerWithoutTheHashWalkIsListedWithTheLruWalk(String refusal) throws Exception {
    List<String> asked = new CopyOnWriteArrayList<>();
    try (ServerSocket server = stub(asked, command -> command.endsWith("hash")
        ? refusal + "\r\n"
        : "key=p%2Da exp=-1 la=1 cas=1 fetch=no cls=1 size=60\r\nkey=q exp=-1 la=1 cas=2 fetch=no cls=1 size=60\r\nEND\r\n")) {
      assertEquals(List.of("p-a"), lister().keys(at(server), "p"));
      assertEquals(List.of("lru_crawler metadump hash", "lru_crawler metadump all"), asked);
    }
  }

  /**
   * memcached 1.6.28 and later end a hash walk that met a growing hash table with {@code ERROR
   * locked try again later} (before any key; the stub sends one first, so that a retry that kept
   * it would show); releases from 1.6.43 begin every dump with {@code OK}. The listing is retried
   * from its start, and the {@code OK} skipped. Before, the
   * lock answer was taken for a server too old for the hash walk (the lossy LRU walk for good), and
   * the {@code OK} failed every listing.
   */
  @Test
  void aDumpEndedByTheHashTableLockIsRetriedAndItsOkSkipped() throws Exception {
    List<String> asked = new CopyOnWriteArrayList<>();
    try (ServerSocket server = stub(asked, command -> asked.size() == 1
        ? "OK\r\nkey=p-a exp=-1 la=1 cas=1 fetch=no cls=1 size=60\r\nERROR locked try again later\r\n"
        : "OK\r\nkey=p-a exp=-1 la=1 cas=1 fetch=no cls=1 size=60\r\n"
            + "key=p-b exp=-1 la=1 cas=2 fetch=no cls=1 size=60\r\nEND\r\n")) {
      assertEquals(List.of("p-a", "p-b"), lister().keys(at(server), "p"));
      assertEquals(List.of("lru_crawler metadump hash", "lru_crawler metadump hash"), asked);
    }
  }

  private static KeyLister lister() {
    return new KeyLister(3000, ServerConnector.plain());
  }

  private static InetSocketAddress at(ServerSocket server) {
    return new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
  }

  /**
   * A server that records each connection's command in {@code asked}, then writes what {@code
   * answer} gives for it and closes the connection.
   */
  private static ServerSocket stub(List<String> asked, Function<String, String> answer) throws IOException {
    ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress());
    Thread stub = new Thread(() -> {
      try {
        while (true) {
          try (Socket s = server.accept()) {
            String command = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                .readLine();
            asked.add(command);
            OutputStream out = s.getOutputStream();
            out.write(answer.apply(command).getBytes(StandardCharsets.US_ASCII));
            out.flush();
          }
        }
      } catch (IOException e) {
        // the test ended
      }
    });
    stub.setDaemon(true);
    stub.start();
    return server;
  }
}
