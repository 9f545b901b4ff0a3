package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.github.newcache.internal.config.SettingsParser;
import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * A get that hands its answer to a callback ({@link SpyTransport#getAsync(String,
 * java.util.function.BiConsumer)}) instead of a future: the callback runs once per get, on the IO
 * thread for small values, and a callback that throws stays the caller's problem: the client goes
 * on reading every later answer for the right key.
 */
class GetCallbackTest {

  @ParameterizedTest
  @EnumSource(Protocol.class)
  void eachGetHandsItsOwnAnswerOnceAndAThrowingCallbackHarmsNoLaterGet(Protocol p) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      URI uri = URI.create("memcached://" + server.address() + "/?binary=" + p.binary() + "&opTimeout=5000");
      SpyTransport transport = new SpyTransport(SettingsParser.parse(uri, getClass().getClassLoader(), null).transport());
      try {
        for (int i = 0; i < 200; i++) {
          transport.set("k" + i, 0, ("v" + i).getBytes(StandardCharsets.UTF_8));
        }
        AtomicInteger calls = new AtomicInteger();
        CompletableFuture<Void> thrown = new CompletableFuture<>();
        transport.getAsync("k0", (v, e) -> {
          calls.incrementAndGet();
          thrown.complete(null);
          throw new IllegalStateException("the caller's own bug");
        });
        thrown.get(10, TimeUnit.SECONDS);

        List<CompletableFuture<byte[]>> answers = new ArrayList<>();
        for (int i = 0; i < 200; i++) {
          CompletableFuture<byte[]> answer = new CompletableFuture<>();
          transport.getAsync(i % 2 == 0 ? "k" + i : "absent" + i, (v, e) -> {
            calls.incrementAndGet();
            if (e != null) {
              answer.completeExceptionally(e);
            } else {
              answer.complete(v);
            }
          });
          answers.add(answer);
        }
        for (int i = 0; i < 200; i++) {
          byte[] v = answers.get(i).get(10, TimeUnit.SECONDS);
          if (i % 2 == 0) {
            assertArrayEquals(("v" + i).getBytes(StandardCharsets.UTF_8), v, "the value of k" + i);
          } else {
            assertNull(v, "absent" + i);
          }
        }
        assertEquals(201, calls.get(), "one call per get");
        assertArrayEquals("v1".getBytes(StandardCharsets.UTF_8), transport.get("k1"), "blocking gets read on");
      } finally {
        transport.close();
      }
    }
  }
}
