package io.github.newcache.bench;

import java.lang.management.ManagementFactory;
import java.util.Collection;
import java.util.List;
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
 * setup (removeAll's refill) the setup's CPU is counted too.
 */
public final class CpuProfiler implements InternalProfiler {

  static final String LABEL = "cpu.us/op";

  private final com.sun.management.OperatingSystemMXBean os =
      (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
  private long start;

  @Override
  public String getDescription() {
    return "process CPU time per operation";
  }

  @Override
  public void beforeIteration(BenchmarkParams benchmarkParams, IterationParams iterationParams) {
    start = os.getProcessCpuTime();
  }

  @Override
  public Collection<? extends Result> afterIteration(
      BenchmarkParams benchmarkParams, IterationParams iterationParams, IterationResult result) {
    long cpu = os.getProcessCpuTime() - start;
    long ops = Math.max(1, result.getMetadata().getMeasuredOps());
    return List.of(new ScalarResult(LABEL, cpu / 1000.0 / ops, "us/op", AggregationPolicy.AVG));
  }
}
