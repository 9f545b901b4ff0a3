package io.github.newcache.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.MultisetStatistics;
import org.openjdk.jmh.util.Statistics;

/**
 * One case's measurements split back by side: JMH sees one benchmark whose iterations belong to
 * different sides, and {@link Rotation#sideAt} says which. Per side it keeps every measurement
 * iteration's throughput, CPU and allocation per call, or (latency cases) the merged latency
 * histogram; per block it keeps each side's mean, for the per-block ratios.
 */
final class Comparison {

  /** JMH's {@code -prof gc} label for bytes allocated per operation, all threads of the JVM. */
  static final String ALLOC = "gc.alloc.rate.norm";

  final String op;
  final String protocol;
  final String valueSize;
  /** The near-cache benchmark's share of writes, in percent; null for the others. */
  final String writePercent;
  /** memcached's {@code -R} when a case sets it apart from its default; null otherwise. */
  final String requestsPerEvent;
  final int threads;
  final boolean latency;
  final List<String> sides;

  final Map<String, List<Double>> ops = new HashMap<>();
  final Map<String, List<Double>> cpu = new HashMap<>();
  final Map<String, List<Double>> alloc = new HashMap<>();
  final Map<String, MultisetStatistics> latencies = new HashMap<>();
  /** Per block of the rotation: side → mean ops/s within that block. */
  final List<Map<String, Double>> blocks = new ArrayList<>();

  private Comparison(
      String op, String protocol, String valueSize, String writePercent, String requestsPerEvent, int threads,
      boolean latency, List<String> sides) {
    this.op = op;
    this.requestsPerEvent = requestsPerEvent;
    this.protocol = protocol;
    this.valueSize = valueSize;
    this.writePercent = writePercent;
    this.threads = threads;
    this.latency = latency;
    this.sides = sides;
  }

  static Comparison of(RunResult rr) {
    BenchmarkParams p = rr.getParams();
    String[] parts = p.getBenchmark().split("\\.");
    String op = parts[parts.length - 2] + "." + parts[parts.length - 1];
    List<String> sides = Target.ids(p.getParam("sides"));
    String requests = p.getParam("requestsPerEvent");
    Comparison c = new Comparison(op, p.getParam("protocol"), p.getParam("valueSize"), p.getParam("writePercent"),
        MemcachedServer.DEFAULT_REQUESTS_PER_EVENT.equals(requests) ? null : requests, p.getThreads(),
        p.getMode() == Mode.SampleTime, sides);
    for (BenchmarkResult br : rr.getBenchmarkResults()) {
      c.add(br);
    }
    return c;
  }

  private void add(BenchmarkResult br) {
    int n = sides.size();
    int blockLength = Rotation.blockLength(n);
    Map<String, List<Double>> block = new LinkedHashMap<>();
    int i = 0;
    for (IterationResult ir : br.getIterationResults()) {
      String side = sides.get(Rotation.sideAt(i, n));
      Result<?> primary = ir.getPrimaryResult();
      if (latency) {
        merge(latencies.computeIfAbsent(side, k -> new MultisetStatistics()), primary.getStatistics());
      } else {
        ops.computeIfAbsent(side, k -> new ArrayList<>()).add(primary.getScore());
        block.computeIfAbsent(side, k -> new ArrayList<>()).add(primary.getScore());
      }
      secondary(ir, CpuProfiler.LABEL, cpu, side);
      secondary(ir, ALLOC, alloc, side);
      i++;
      if (i % blockLength == 0 && !block.isEmpty()) {
        Map<String, Double> means = new HashMap<>();
        block.forEach((s, xs) -> means.put(s, mean(xs)));
        blocks.add(means);
        block.clear();
      }
    }
  }

  private static void secondary(IterationResult ir, String label, Map<String, List<Double>> into, String side) {
    Result<?> r = ir.getSecondaryResults().get(label);
    if (r != null && !Double.isNaN(r.getScore())) {
      into.computeIfAbsent(side, k -> new ArrayList<>()).add(r.getScore());
    }
  }

  private static void merge(MultisetStatistics into, Statistics from) {
    for (Iterator<Map.Entry<Double, Long>> it = from.getRawData(); it.hasNext(); ) {
      Map.Entry<Double, Long> e = it.next();
      into.addValue(e.getKey(), e.getValue());
    }
  }

  boolean has(String side) {
    return sides.contains(side);
  }

  /** Mean ops/s of a side, NaN when it did not take part. */
  double mean(String side) {
    List<Double> xs = ops.get(side);
    return xs == null || xs.isEmpty() ? Double.NaN : mean(xs);
  }

  /** Largest deviation of one iteration from the side's mean, as a fraction of it. */
  double deviation(String side) {
    List<Double> xs = ops.get(side);
    if (xs == null || xs.size() < 2) {
      return Double.NaN;
    }
    double m = mean(xs);
    double dev = 0;
    for (double x : xs) {
      dev = Math.max(dev, Math.abs(x - m));
    }
    return m == 0 ? Double.NaN : dev / m;
  }

  /** Ratio of the means, a/b. */
  double ratio(String a, String b) {
    return mean(a) / mean(b);
  }

  /** Min and max over the blocks of a/b within each block; null with fewer than one block. */
  double[] blockRange(String a, String b) {
    double lo = Double.MAX_VALUE;
    double hi = -Double.MAX_VALUE;
    int seen = 0;
    for (Map<String, Double> block : blocks) {
      Double x = block.get(a);
      Double y = block.get(b);
      if (x == null || y == null) {
        continue;
      }
      double r = x / y;
      lo = Math.min(lo, r);
      hi = Math.max(hi, r);
      seen++;
    }
    return seen == 0 ? null : new double[] {lo, hi};
  }

  /** Mean CPU µs per call of a side, NaN when not measured. */
  double cpu(String side) {
    List<Double> xs = cpu.get(side);
    return xs == null || xs.isEmpty() ? Double.NaN : mean(xs);
  }

  /** Mean bytes allocated per call of a side, NaN when not measured. */
  double alloc(String side) {
    List<Double> xs = alloc.get(side);
    return xs == null || xs.isEmpty() ? Double.NaN : mean(xs);
  }

  /** Latency percentile (0–100) of a side in µs, NaN when not measured. */
  double percentile(String side, double p) {
    MultisetStatistics s = latencies.get(side);
    return s == null || s.getN() == 0 ? Double.NaN : s.getPercentile(p);
  }

  long samples(String side) {
    MultisetStatistics s = latencies.get(side);
    return s == null ? 0 : s.getN();
  }

  static double mean(List<Double> xs) {
    double sum = 0;
    for (double x : xs) {
      sum += x;
    }
    return sum / xs.size();
  }
}
