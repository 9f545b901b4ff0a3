package io.github.newcache.fault;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.testkit.LocalMemcached;
import io.github.newcache.testkit.Protocol;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Writes from 16 threads to a frozen server (SIGSTOP), with stall detection off and a long
 * operation timeout so that nothing fails fast and everything waits for the server: the worst case
 * for memory. The client runs in its own JVM with a small heap and must neither run out of memory
 * nor keep more than {@code opQueueBytes} (16 MB by default) plus a small overhead waiting for the
 * server. Before, the queues were bounded in operations only, and 16 threads of putAll ran a 256
 * MB heap out of memory in 1.5 s.
 *
 * <p>The non-blocking case: puts that do more than a lone {@code set} (here, a CREATED listener
 * makes each a compute) hold their value outside the queues, in the compute's closure while its
 * {@code gets} waits, or in the key's line of writes; those are bounded by a second {@code
 * opQueueBytes} per server. Before, one thread of such puts ran a 256 MB heap out of memory: 10,000
 * calls to distinct keys (22 KB each), or 12,000 to one hot key in 0.6 s.
 */
class FrozenServerHeapTest {

  private static final Pattern RESULT =
      Pattern.compile("RESULT base=(\\d+) live=(\\d+) peak=(\\d+) calls=(\\d+) refused=(\\d+)");
  /** opQueueBytes' default, in MB. */
  private static final int BUDGET_MB = 16;
  /**
   * Beyond the budget: operations already written into the socket are counted with one copy of
   * their value, but spymemcached may still hold their encoded command until they are answered, and
   * how many get written depends on the kernel's loopback buffers, which autotune; plus measuring
   * noise. Measured 16–17 MB in all on this machine, 26 MB once on a fresh clone (text protocol).
   */
  private static final int SLACK_MB = 14;

  @ParameterizedTest(name = "{0}: -Xmx{1}m, 16 threads x putAll of {2} x {3} bytes")
  @CsvSource({
    "BINARY, 256, 1000, 10240", // issue 12's workload
    "TEXT, 256, 1000, 10240",
    "BINARY, 128, 20, 102400", // large values, small heap
    "TEXT, 128, 20, 102400"
  })
  void whatWaitsForAFrozenServerStaysWithinItsBytes(Protocol p, int heapMb, int batch, int size) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      String uri = "memcached://" + server.address() + "/?binary=" + p.binary()
          + "&opTimeout=5000&stallTimeouts=0";
      try (ChildJvm child = new ChildJvm(
          List.of("-Xmx" + heapMb + "m", "-XX:+ExitOnOutOfMemoryError"), HeapChild.class,
          uri, "16", Integer.toString(batch), Integer.toString(size), "4000")) {
        child.await("READY", 30);
        server.pause();
        String result;
        try {
          child.send("go");
          result = child.await("RESULT", 60);
        } finally {
          server.resume();
        }
        child.send("done");
        assertEquals(0, child.exitCode(30), "the client ran out of memory or failed");
        Matcher m = RESULT.matcher(result);
        assertTrue(m.find(), result);
        long waiting = Long.parseLong(m.group(2)) - Long.parseLong(m.group(1));
        System.out.printf("%s, -Xmx%dm, putAll %d x %d B: %d MB waiting for the frozen server, heap peak %s MB%n",
            p, heapMb, batch, size, waiting, m.group(3));
        assertTrue(Long.parseLong(m.group(5)) > 0, "callers past the bound were refused: " + result);
        assertTrue(waiting <= BUDGET_MB + SLACK_MB, waiting + " MB waiting for the server: " + result);
      }
    }
  }

  private static final Pattern ASYNC_RESULT =
      Pattern.compile("RESULT base=(\\d+) live=(\\d+) peak=(\\d+) calls=(\\d+) refused=(\\d+) other=(\\d+)");

  @ParameterizedTest(name = "{0}: -Xmx256m, async puts of 10 KB with a listener, one hot key: {1}")
  @CsvSource({"TEXT, false", "TEXT, true", "BINARY, false", "BINARY, true"})
  void nonBlockingWritesWaitingForAFrozenServerStayWithinTheirBytes(Protocol p, boolean oneKey) throws Exception {
    asyncWritesStayWithinTheirBytes(p, 256, AsyncHeapChild.Through.LISTENER, oneKey, 10_240);
  }

  /**
   * Writes through a writer and {@code invoke}s run as blocking calls on the loader pool; until a
   * pool thread takes them (each of the 4 is held by a frozen server for {@code opTimeout}) they
   * wait in the pool's queue, holding their value. Before, they were charged 400 bytes and their
   * key whatever their value, and a 1 MB value each ran a 128 MB heap out of memory in about 120
   * calls; now their value is counted.
   */
  @ParameterizedTest(name = "{0}: -Xmx128m, async {1} of 1 MB values, distinct keys")
  @CsvSource({"TEXT, WRITER", "BINARY, WRITER", "TEXT, INVOKE", "BINARY, INVOKE"})
  void nonBlockingWritesOnTheLoaderPoolStayWithinTheirBytes(Protocol p, AsyncHeapChild.Through through) throws Exception {
    asyncWritesStayWithinTheirBytes(p, 128, through, false, 1_000_000); // within memcached's 1 MB item limit
  }

  /**
   * Runs {@link AsyncHeapChild} with a heap of {@code heapMb} against a server frozen for its 3 s of
   * writes of {@code size} bytes, {@code through} as it says: it must not run out of memory, must
   * refuse the calls past the bound, naming it, and fail none otherwise, and must keep no more than
   * one budget and the slack waiting.
   */
  private static void asyncWritesStayWithinTheirBytes(
      Protocol p, int heapMb, AsyncHeapChild.Through through, boolean oneKey, int size) throws Exception {
    try (LocalMemcached server = LocalMemcached.start()) {
      String uri = "memcached://" + server.address() + "/?binary=" + p.binary() + "&opTimeout=5000&stallTimeouts=0";
      try (ChildJvm child = new ChildJvm(
          List.of("-Xmx" + heapMb + "m", "-XX:+ExitOnOutOfMemoryError"), AsyncHeapChild.class,
          uri, Boolean.toString(oneKey), Integer.toString(size), "3000", through.name())) {
        child.await("READY", 30);
        server.pause();
        String result;
        String refusal;
        try {
          child.send("go");
          result = child.await("RESULT", 60);
          refusal = child.await("REFUSAL", 10);
        } finally {
          server.resume();
        }
        child.send("done");
        assertEquals(0, child.exitCode(30), "the client ran out of memory or failed");
        Matcher m = ASYNC_RESULT.matcher(result);
        assertTrue(m.find(), result);
        long waiting = Long.parseLong(m.group(2)) - Long.parseLong(m.group(1));
        System.out.printf("%s, async %s of %d B, one key %s: %d MB waiting for the frozen server, heap peak %s MB%n",
            p, through, size, oneKey, waiting, m.group(3));
        assertTrue(Long.parseLong(m.group(5)) > 0, "calls past the bound were refused: " + result);
        assertEquals(0, Long.parseLong(m.group(6)), "no call failed otherwise while the server was frozen: " + result);
        assertTrue(refusal.contains("refused") && refusal.contains(server.address()) && refusal.contains("opQueueWait"), refusal);
        // the writes' own bytes (one opQueueBytes) and their gets in the queues
        assertTrue(waiting <= BUDGET_MB + SLACK_MB, waiting + " MB waiting for the server: " + result);
      }
    }
  }
}
