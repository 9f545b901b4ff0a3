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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The key lister against a server without the hash walk: memcached releases before it pass
 * {@code hash} on as a slab class list and answer {@code BADCLASS}; others answer {@code ERROR}.
 * Either way the lister walks the LRU instead. Before, only {@code ERROR} did, and every listing
 * (iterator, clear, removeAll) of a {@code BADCLASS} server failed. A stub plays the server: no
 * memcached at hand answers so.
 */
class KeyListerTest {

  @ParameterizedTest
  @ValueSource(strings = {"ERROR", "BADCLASS invalid class id"})
  void aServerWithoutTheHashWalkIsListedWithTheLruWalk(String refusal) throws Exception {
    List<String> asked = new CopyOnWriteArrayList<>();
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      Thread stub = new Thread(() -> {
        try {
          for (int i = 0; i < 2; i++) {
            try (Socket s = server.accept()) {
              String command = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                  .readLine();
              asked.add(command);
              OutputStream out = s.getOutputStream();
              String answer = command.endsWith("hash")
                  ? refusal + "\r\n"
                  : "key=p%2Da exp=-1 la=1 cas=1 fetch=no cls=1 size=60\r\nkey=q exp=-1 la=1 cas=2 fetch=no cls=1 size=60\r\nEND\r\n";
              out.write(answer.getBytes(StandardCharsets.US_ASCII));
              out.flush();
            }
          }
        } catch (IOException e) {
          // the test ended
        }
      });
      stub.setDaemon(true);
      stub.start();
      KeyLister lister = new KeyLister(3000, ServerConnector.plain());
      InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
      assertEquals(List.of("p-a"), lister.keys(at, "p"));
      assertEquals(List.of("lru_crawler metadump hash", "lru_crawler metadump all"), asked);
    }
  }

  /**
   * memcached 1.6.28 and later end a hash walk that met a growing hash table with {@code ERROR
   * locked try again later}, after the keys it listed so far; newer releases begin every dump with
   * {@code OK}. The listing is retried from its start, and the {@code OK} skipped. Before, the
   * lock answer was taken for a server too old for the hash walk (the lossy LRU walk for good), and
   * the {@code OK} failed every listing.
   */
  @Test
  void aDumpEndedByTheHashTableLockIsRetriedAndItsOkSkipped() throws Exception {
    List<String> asked = new CopyOnWriteArrayList<>();
    try (ServerSocket server = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
      Thread stub = new Thread(() -> {
        try {
          while (true) {
            try (Socket s = server.accept()) {
              asked.add(new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII))
                  .readLine());
              String answer = asked.size() == 1
                  ? "OK\r\nkey=p-a exp=-1 la=1 cas=1 fetch=no cls=1 size=60\r\nERROR locked try again later\r\n"
                  : "OK\r\nkey=p-a exp=-1 la=1 cas=1 fetch=no cls=1 size=60\r\n"
                      + "key=p-b exp=-1 la=1 cas=2 fetch=no cls=1 size=60\r\nEND\r\n";
              OutputStream out = s.getOutputStream();
              out.write(answer.getBytes(StandardCharsets.US_ASCII));
              out.flush();
            }
          }
        } catch (IOException e) {
          // the test ended
        }
      });
      stub.setDaemon(true);
      stub.start();
      KeyLister lister = new KeyLister(3000, ServerConnector.plain());
      InetSocketAddress at = new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort());
      assertEquals(List.of("p-a", "p-b"), lister.keys(at, "p"));
      assertEquals(List.of("lru_crawler metadump hash", "lru_crawler metadump hash"), asked);
    }
  }
}
