package io.github.newcache.bench;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.profile.InternalProfiler;
import org.openjdk.jmh.results.AggregationPolicy;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.ScalarResult;

/**
 * CPU time of the whole benchmark JVM per operation, per iteration ({@code cpu.us/op}): the
 * caller's thread, spymemcached's IO thread, GC and JIT. memcached runs in its own process and is
 * not counted. Unlike throughput it barely moves when other processes compete for the cores, so it
 * shows what each side costs the client even on a busy machine. With {@code Level.Invocation}
 * setup (removeAll's refill) the setup's CPU is counted too; an iteration setup can leave its own
 * out with {@link #excluding}.
 */
public final class CpuProfiler implements InternalProfiler {

  static final String LABEL = "cpu.us/op";

  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private long start;
  /** CPU time spent in this iteration on untimed work that must not count ({@link #excluding}). */
  private static final AtomicLong EXCLUDED = new AtomicLong();

  /**
   * Runs {@code untimed} (work a benchmark does in its iteration setup, which falls inside this
   * profiler's window) and leaves the process CPU time it took out of the iteration's figure.
   */
  static void excluding(Runnable untimed) {
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long before = os.getProcessCpuTime();
    untimed.run();
    EXCLUDED.addAndGet(os.getProcessCpuTime() - before);
  }

  @Override
  public String getDescription() {
    return "process CPU time per operation";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    EXCLUDED.set(0);
    start = os.getProcessCpuTime();
  }

  @Override
  public Collection<? extends Result> afterIteration(
      BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
    long cpu = os.getProcessCpuTime() - start - EXCLUDED.getAndSet(0);
    long ops = Math.max(1, result.getMetadata().getMeasuredOps());
    return List.of(new ScalarResult(LABEL, cpu / 1000.0 / ops, "us/op", AggregationPolicy.AVG));
  }
}
