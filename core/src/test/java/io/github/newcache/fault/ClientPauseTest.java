package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A pause of the client itself (the whole JVM frozen with SIGSTOP for 400 ms, three times, as a
 * long garbage collection or an overloaded host would) with an operation timeout of 250 ms and the
 * default stall detection: no operation fails, because the servers were never slow. Before, every
 * operation in flight timed out, and the breakers then failed the healthy servers' operations for
 * a cool-down each (issue 12: 7,307 failures on live keys after one pause).
 */
class ClientPauseTest {

  private static final int PAUSE_MILLIS = 400;

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void pausesOfTheClientFailNothing(Protocol p) throws Exception {
    List<LocalMemcached> servers = new ArrayList<>();
    try {
      StringBuilder hosts = new StringBuilder();
      for (int i = 0; i < 3; i++) {
        LocalMemcached s = LocalMemcached.start();
        servers.add(s);
        hosts.append(i == 0 ? "" : ",").append(s.address());
      }
      String uri = "memcached://" + hosts + "/?binary=" + p.binary() + "&opTimeout=250";
      try (ChildJvm child = new ChildJvm(List.of("-Xmx128m"), PauseChild.class, uri, "4500")) {
        child.await("READY", 30);
        Thread.sleep(500);
        for (int i = 0; i < 3; i++) {
          child.pause();
          Thread.sleep(PAUSE_MILLIS);
          child.resume();
          Thread.sleep(800);
        }
        String result = child.await("RESULT", 30);
        assertEquals(0, child.exitCode(30));
        long ok = Long.parseLong(result.replaceAll(".* ok=(\\d+) .*", "$1"));
        long errors = Long.parseLong(result.replaceAll(".* errors=(\\d+) .*", "$1"));
        assertTrue(ok > 1000, "the client ran: " + result);
        assertEquals(0, errors, "operations failed around pauses of the client: " + result);
      }
    } finally {
      servers.forEach(LocalMemcached::close);
    }
  }
}
