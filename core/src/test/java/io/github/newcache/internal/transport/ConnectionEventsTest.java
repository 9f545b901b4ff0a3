package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/**
 * Over TLS a server counts as connected once its handshake is done: then, and not at TCP connect,
 * a reconnected server is judged afresh by its stall breaker and its item limit is checked again;
 * in either order of spymemcached's TCP event and the handshake's end.
 */
class ConnectionEventsTest {

  private static final InetSocketAddress SERVER = InetSocketAddress.createUnresolved("s", 11211);

  private final NodeBreakers breakers = new NodeBreakers(1, 0, 60_000, 60_000);
  private final List<String> events = new CopyOnWriteArrayList<>();

  private ConnectionEvents events(boolean tls) {
    ServerEvents heard = new ServerEvents() {
      @Override
      public void connected(InetSocketAddress server) {
        events.add("connected");
      }

      @Override
      public void lost(InetSocketAddress server) {
        events.add("lost");
      }
    };
    return new ConnectionEvents(tls, heard, breakers, new ItemLimits(),
        (server, sockets) -> new ServerCheck.Result(server, 0, "not checked in this test"), server -> { });
  }

  @Test
  void overTlsAReconnectCountsOnceItsHandshakeIsDone() {
    ConnectionEvents c = events(true);
    breakers.timedOut(SERVER);
    assertEquals(List.of(SERVER), breakers.stalled());

    c.connectionEstablished(SERVER, 1);
    assertEquals(List.of(SERVER), breakers.stalled(), "still stalled while the handshake runs");
    assertEquals(List.of(), events);

    c.secured(SERVER);
    assertEquals(List.of(), breakers.stalled(), "judged afresh once the handshake is done");
    assertEquals(List.of("connected"), events);
  }

  @Test
  void aHandshakeDoneBeforeTheTcpEventCountsWhenTheEventComes() {
    ConnectionEvents c = events(true);
    breakers.timedOut(SERVER);
    c.secured(SERVER);
    assertEquals(List.of(SERVER), breakers.stalled());
    c.connectionEstablished(SERVER, 1);
    assertEquals(List.of(), breakers.stalled());
    assertEquals(List.of("connected"), events);
  }

  @Test
  void withoutTlsAReconnectCountsAtOnce() {
    ConnectionEvents c = events(false);
    breakers.timedOut(SERVER);
    c.connectionEstablished(SERVER, 1);
    assertEquals(List.of(), breakers.stalled());
    assertEquals(List.of("connected"), events);
  }
}
