package io.github.newcache.bench;

import io.github.newcache.testkit.LocalMemcached;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.results.BenchmarkResult;
import org.openjdk.jmh.results.IterationResult;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the whole suite with short settings and writes {@code results/RESULTS.md}: ops/s of raw
 * spymemcached and of our cache for every case, the ratio, the goal it is held to, plus the codec
 * table and the machine it ran on.
 *
 * <p>System properties: {@code bench.results} (output directory, default {@code results}),
 * {@code bench.stages} (regex over stage names, to run a subset), {@code bench.quick=true}
 * (1 warmup and 1 measurement iteration, for smoke tests only).
 */
public final class Report {

  static final String COMMAND = "cd bench && mvn -B -q package && java -jar target/benchmarks.jar";
  static final String SPYMEMCACHED = "2.12.3";
  static final String JMH = "1.37";

  /** One benchmark method with fixed parameters, compared raw against ours. */
  record Case(String method, Map<String, String> params) {}

  /**
   * A group of benchmarks run with one thread count: either comparison cases, each run side by
   * side, or (cases empty) everything matching {@code include} in one go.
   */
  record Stage(String name, String title, String include, int threads, List<Case> cases) {}

  static final List<String> PROTOCOLS = List.of("text", "binary");
  static final List<String> SIZES = List.of("100", "10240");

  static final List<Stage> STAGES =
      List.of(
          new Stage("single", "network, 1 thread", null, 1,
              concat(
                  cases(List.of("CacheOpsBench.getHit", "CacheOpsBench.put", "CacheOpsBench.getAll", "CacheOpsBench.putAll"), SIZES),
                  cases(List.of("KeyOpsBench.getMiss", "KeyOpsBench.invoke", "KeyOpsBench.removeAll"), List.of()))),
          new Stage("threads16", "network, 16 threads (get and put only)", null, 16,
              cases(List.of("CacheOpsBench.getHit", "CacheOpsBench.put"), SIZES)),
          new Stage("large", "500 KB values, 1 thread", null, 1,
              cases(List.of("LargeValueBench.get", "LargeValueBench.put"), List.of())),
          new Stage("codec", "codec, no network", "\\.CodecBench\\.", 1, List.of()),
          new Stage("overhead", "our CPU per key and per value, no network", "\\.(KeyPathBench|ValuePathBench)\\.", 1, List.of()));

  static List<Case> cases(List<String> methods, List<String> sizes) {
    List<Case> out = new ArrayList<>();
    for (String m : methods) {
      for (String protocol : PROTOCOLS) {
        if (sizes.isEmpty()) {
          out.add(new Case(m, Map.of("protocol", protocol)));
        }
        for (String size : sizes) {
          out.add(new Case(m, Map.of("protocol", protocol, "valueSize", size)));
        }
      }
    }
    return out;
  }

  @SafeVarargs
  static <T> List<T> concat(List<T>... lists) {
    List<T> out = new ArrayList<>();
    for (List<T> l : lists) {
      out.addAll(l);
    }
    return out;
  }

  /** What each operation is held to: ours/raw at least this much. */
  static final Map<String, Double> GOALS =
      Map.of(
          "CacheOpsBench.getHit", 0.95,
          "KeyOpsBench.getMiss", 0.95,
          "CacheOpsBench.put", 0.95,
          "CacheOpsBench.getAll", 0.90,
          "CacheOpsBench.putAll", 0.90,
          "LargeValueBench.get", 1.00,
          "LargeValueBench.put", 1.00);

  static final Map<String, String> LABELS =
      Map.of(
          "CacheOpsBench.getHit", "get (hit)",
          "KeyOpsBench.getMiss", "get (miss)",
          "CacheOpsBench.put", "put",
          "CacheOpsBench.getAll", "getAll(100) vs getBulk",
          "CacheOpsBench.putAll", "putAll(100) vs pipelined sets",
          "KeyOpsBench.invoke", "invoke counter+1 vs gets/cas",
          "KeyOpsBench.removeAll", "removeAll(100) vs pipelined deletes",
          "LargeValueBench.get", "get 500 KB",
          "LargeValueBench.put", "put 500 KB");

  /** /proc/loadavg at the start and the end of the run: other work on the machine skews ops/s. */
  static final List<String> LOAD = new ArrayList<>();

  private Report() {}

  static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  public static void main(String[] args) throws RunnerException, IOException {
    Path dir = Path.of(System.getProperty("bench.results", "results"));
    Files.createDirectories(dir);
    Pattern stages = Pattern.compile(System.getProperty("bench.stages", ".*"));
    Pattern only = Pattern.compile(System.getProperty("bench.cases", ".*"));
    boolean quick = Boolean.getBoolean("bench.quick");
    // Default: both sides in one fork, alternating A/B/B/A per iteration. -Dbench.mode=forks runs
    // each side in its own fork instead (raw, then ours), as a plain JMH @Param comparison would.
    boolean abba = !"forks".equals(System.getProperty("bench.mode", "abba"));
    List<String> sides = abba ? List.of(Alternation.SIDE) : List.of("raw", "newcache");
    ZonedDateTime started = ZonedDateTime.now();
    long t0 = System.nanoTime();
    LOAD.add(loadAverage());

    Map<Stage, Collection<RunResult>> results = new LinkedHashMap<>();
    for (Stage stage : STAGES) {
      if (!stages.matcher(stage.name()).matches()) {
        continue;
      }
      List<RunResult> stageResults = new ArrayList<>();
      if (stage.cases().isEmpty()) {
        stageResults.addAll(new Runner(options(stage, quick, false).include(stage.include()).build()).run());
      }
      for (Case c : stage.cases()) {
        if (!only.matcher(c.method()).find()) {
          continue;
        }
        for (String side : sides) {
          ChainedOptionsBuilder o =
              options(stage, quick, abba).include("\\." + Pattern.quote(c.method()) + "$").param("side", side);
          for (Map.Entry<String, String> p : c.params().entrySet()) {
            o.param(p.getKey(), p.getValue());
          }
          stageResults.addAll(new Runner(o.build()).run());
        }
      }
      results.put(stage, stageResults);
      try (PrintStream json = new PrintStream(Files.newOutputStream(dir.resolve("jmh-" + stage.name() + ".json")), true, StandardCharsets.UTF_8)) {
        ResultFormatFactory.getInstance(ResultFormatType.JSON, json).writeOut(stageResults);
      }
    }
    LOAD.add(loadAverage());
    long seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - t0);
    String md = render(results, started, seconds, quick, abba);
    Files.writeString(dir.resolve("RESULTS.md"), md, StandardCharsets.UTF_8);
    System.out.println(md);
    System.out.println("Wrote " + dir.resolve("RESULTS.md").toAbsolutePath());
  }

  /** Iterations: 2 warmup + 3 measurement per side; A/B/B/A doubles them (4 + 8 in one fork). */
  private static ChainedOptionsBuilder options(Stage stage, boolean quick, boolean abba) {
    int factor = abba ? 2 : 1;
    return new OptionsBuilder()
        .threads(stage.threads())
        .forks(1)
        .warmupIterations(quick ? 2 : 2 * factor)
        .warmupTime(TimeValue.seconds(1))
        .measurementIterations(quick ? 4 : (abba ? 8 : 3))
        .measurementTime(TimeValue.seconds(1))
        .addProfiler(CpuProfiler.class)
        .jvmArgsAppend("-Xms1g", "-Xmx1g", "-Dnet.spy.log.LoggerImpl=" + Target.SPY_LOGGER)
        .shouldFailOnError(true);
  }

  // ------------------------------------------------------------------ rendering

  /** One comparison: the same case measured raw and ours, as per-iteration (or per-fork) scores. */
  static final class Row {
    final String op;
    final String protocol;
    final String valueSize;
    final int threads;
    final List<Double> raw = new ArrayList<>();
    final List<Double> ours = new ArrayList<>();
    final List<Double> rawCpu = new ArrayList<>();
    final List<Double> oursCpu = new ArrayList<>();
    /** ours/raw per A/B/B/A block of four iterations; empty when the sides ran in separate forks. */
    final List<Double> blocks = new ArrayList<>();

    Row(String op, String protocol, String valueSize, int threads) {
      this.op = op;
      this.protocol = protocol;
      this.valueSize = valueSize;
      this.threads = threads;
    }

    double ratio() {
      return mean(ours) / mean(raw);
    }

    /** raw CPU per op / ours CPU per op: the throughput ratio a CPU-bound client would see. */
    double cpuRatio() {
      return rawCpu.isEmpty() || oursCpu.isEmpty() ? Double.NaN : mean(rawCpu) / mean(oursCpu);
    }

    String spread() {
      if (blocks.size() < 2) {
        return "";
      }
      double lo = Double.MAX_VALUE;
      double hi = 0;
      for (double b : blocks) {
        lo = Math.min(lo, b);
        hi = Math.max(hi, b);
      }
      return String.format(Locale.ROOT, "%.2f–%.2f", lo, hi);
    }
  }

  static String render(
      Map<Stage, Collection<RunResult>> results, ZonedDateTime started, long seconds, boolean quick, boolean abba) {
    StringBuilder md = new StringBuilder();
    md.append("# Newcache vs raw spymemcached: benchmark results\n\n");
    md.append("Reproduce (from the repository root, after `mvn -B -q install -DskipTests` of the core):\n\n");
    md.append("```\n").append(COMMAND).append("\n```\n\n");
    md.append("Generated by `io.github.newcache.bench.Report` on ")
        .append(started.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME))
        .append(", run time ").append(seconds / 60).append(" min ").append(seconds % 60).append(" s.");
    if (quick) {
      md.append(" **Quick mode (1 warmup, 1 measurement iteration): smoke test only, numbers are not meaningful.**");
    }
    md.append("\n\n");

    md.append("## Machine\n\n");
    for (Map.Entry<String, String> e : machine().entrySet()) {
      md.append("- ").append(e.getKey()).append(": ").append(e.getValue()).append('\n');
    }
    md.append('\n');

    md.append("## Method\n\n");
    md.append("- JMH ").append(JMH).append(", 1 fork per case, 1 s iterations, heap 1 GB; throughput in calls per second.\n");
    if (abba) {
      md.append("- **Both sides in one JVM, alternating** (`side=abba`): each case is one fork holding the raw client and our cache "
          + "over the same memcached; the side switches between iterations. Warmup 4 × 1 s (raw, ours, raw, ours), then "
          + "measurement 8 × 1 s in A/B/B/A order (raw, ours, ours, raw, raw, ours, ours, raw): 4 s per side. "
          + "Both sides therefore share JIT state, memcached and background load, as `/work/shared/MEMCACHED.md` advises. "
          + "ops/s is the mean of a side's 4 iterations ± the largest single-iteration deviation; ours/raw is the ratio of the means; "
          + "per-block is ours/raw within each A/B/B/A block of 4 s (min–max of the 2 blocks): a wide range means the machine was noisy.\n");
    } else {
      md.append("- Each side in its own fork (`-Dbench.mode=forks`), raw then ours back to back: warmup 2 × 1 s, measurement 3 × 1 s; "
          + "ops/s ± the largest deviation of one iteration. Cross-JVM variance can reach 2× for 16 threads (see `/work/shared/MEMCACHED.md`).\n");
    }
    md.append("- Every case starts its own memcached on 127.0.0.1 (`LocalMemcached.start()`: `-t 2 -m 128`, default 1 MB item limit) "
        + "and stops it afterwards.\n");
    md.append("- raw = spymemcached ").append(SPYMEMCACHED).append(" `MemcachedClient`, configured like our transport "
        + "(protocol, 1 s op timeout, ketama, FailureMode.Cancel), with a pass-through `byte[]` transcoder "
        + "(flags 0, no compression). ours = `Caching.getCachingProvider().getCacheManager(URI memcached://127.0.0.1:port/?binary=…)`, "
        + "`MutableConfiguration<String, byte[]>` (eternal, no listeners, no statistics, no loader/writer). "
        + "Both sides store the same value bytes under the same user keys (`key:0`…`key:999`; ours mangles them to "
        + "`1-bench-<md5>`) and use the same spymemcached logger (`-Dnet.spy.log.LoggerImpl=").append(Target.SPY_LOGGER).append("`).\n");
    md.append("- CPU µs/op: CPU time of the whole benchmark JVM (caller threads, spymemcached IO thread, GC, JIT; not memcached) "
        + "per call, measured per iteration by `CpuProfiler`. raw/ours CPU is the throughput ratio a CPU-bound client would see; "
        + "it is far less disturbed by other processes than ops/s. For removeAll it includes the untimed refill (ours refills with putAll).\n");
    md.append("- getAll/putAll/removeAll count calls per second (each call covers 100 keys). removeAll stores its 100 entries "
        + "before each call, outside the timed region (JMH `Level.Invocation`). invoke: ours `cache.invoke(key, +1 processor)`, "
        + "raw `gets` then `cas` (or `add` when absent), retried on conflict.\n");
    md.append("- Codec and per-key/per-value tables: `Mode.AverageTime`, one fork each, warmup 2 × 1 s, measurement 3 × 1 s.\n");
    md.append("- Goal thresholds are ours/raw ratios; treat results within ~0.05 of a goal as a tie unless the per-block range is narrow.\n\n");

    List<Row> rows = rows(results);
    if (!rows.isEmpty()) {
      md.append("## Ours vs raw\n\n");
      md.append("| operation | protocol | value bytes | threads | raw ops/s | ours ops/s | ours/raw | per-block ours/raw "
          + "| raw CPU µs/op | ours CPU µs/op | raw/ours CPU | goal | met (ops/s) | met (CPU) |\n");
      md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|\n");
      for (Row r : rows) {
        if (r.raw.isEmpty() || r.ours.isEmpty()) {
          continue;
        }
        Double goal = GOALS.get(r.op);
        md.append("| ").append(LABELS.getOrDefault(r.op, r.op))
            .append(" | ").append(r.protocol)
            .append(" | ").append(r.valueSize == null ? "100" : r.valueSize)
            .append(" | ").append(r.threads)
            .append(" | ").append(score(r.raw))
            .append(" | ").append(score(r.ours))
            .append(" | **").append(String.format(Locale.ROOT, "%.2f", r.ratio())).append("**")
            .append(" | ").append(r.spread())
            .append(" | ").append(r.rawCpu.isEmpty() ? "–" : String.format(Locale.ROOT, "%,.1f", mean(r.rawCpu)))
            .append(" | ").append(r.oursCpu.isEmpty() ? "–" : String.format(Locale.ROOT, "%,.1f", mean(r.oursCpu)))
            .append(" | ").append(Double.isNaN(r.cpuRatio()) ? "–" : String.format(Locale.ROOT, "**%.2f**", r.cpuRatio()))
            .append(" | ").append(goal == null ? "–" : String.format(Locale.ROOT, "≥ %.2f", goal))
            .append(" | ").append(goal == null ? "–" : r.ratio() >= goal ? "yes" : "**no**")
            .append(" | ").append(goal == null || Double.isNaN(r.cpuRatio()) ? "–" : r.cpuRatio() >= goal ? "yes" : "**no**")
            .append(" |\n");
      }
      md.append('\n');
    }

    Collection<RunResult> codec = null;
    for (Map.Entry<Stage, Collection<RunResult>> e : results.entrySet()) {
      if (e.getKey().name().equals("codec")) {
        codec = e.getValue();
      }
    }
    if (codec != null) {
      md.append("## Codec: `DefaultValueCodec` vs Java serialization (ns per value, lower is better)\n\n");
      md.append("| value | ours encode | Java encode | ours decode | Java decode | encoded bytes ours / Java |\n");
      md.append("|---|---:|---:|---:|---:|---:|\n");
      for (String type : List.of("String", "Integer", "byte[100]")) {
        md.append("| ").append(type)
            .append(" | ").append(ns(codec, "encode", "newcache", type))
            .append(" | ").append(ns(codec, "encode", "java", type))
            .append(" | ").append(ns(codec, "decode", "newcache", type))
            .append(" | ").append(ns(codec, "decode", "java", type))
            .append(" | ").append(CodecSizes.describe(type))
            .append(" |\n");
      }
      md.append('\n');
    }

    for (Map.Entry<Stage, Collection<RunResult>> e : results.entrySet()) {
      if (!e.getKey().name().equals("overhead")) {
        continue;
      }
      md.append("## Our CPU per key and per value, without network (ns per call)\n\n");
      md.append("| step | value bytes | ns |\n|---|---:|---:|\n");
      for (RunResult rr : e.getValue()) {
        var p = rr.getParams();
        String[] parts = p.getBenchmark().split("\\.");
        String size = p.getParam("valueSize");
        md.append("| ").append(parts[parts.length - 2]).append('.').append(parts[parts.length - 1])
            .append(" | ").append(size == null ? "–" : size)
            .append(" | ").append(String.format(Locale.ROOT, "%,.1f", rr.getPrimaryResult().getScore()))
            .append(" |\n");
      }
      md.append('\n');
    }
    return md.toString();
  }

  static List<Row> rows(Map<Stage, Collection<RunResult>> results) {
    Map<String, Row> rows = new LinkedHashMap<>();
    for (Map.Entry<Stage, Collection<RunResult>> e : results.entrySet()) {
      if (e.getKey().name().equals("codec") || e.getKey().name().equals("overhead")) {
        continue;
      }
      for (RunResult rr : e.getValue()) {
        var p = rr.getParams();
        String full = p.getBenchmark();
        String[] parts = full.split("\\.");
        String op = parts[parts.length - 2] + "." + parts[parts.length - 1];
        String protocol = p.getParam("protocol");
        String size = p.getParam("valueSize");
        int threads = p.getThreads();
        String id = op + "|" + protocol + "|" + size + "|" + threads;
        Row row = rows.computeIfAbsent(id, k -> new Row(op, protocol, size, threads));
        String side = p.getParam("side");
        if (Alternation.SIDE.equals(side)) {
          for (BenchmarkResult br : rr.getBenchmarkResults()) {
            List<Double> r = new ArrayList<>();
            List<Double> o = new ArrayList<>();
            int i = 0;
            for (IterationResult ir : br.getIterationResults()) {
              double score = ir.getPrimaryResult().getScore();
              (Alternation.rawAt(i) ? r : o).add(score);
              Result<?> cpu = ir.getSecondaryResults().get(CpuProfiler.LABEL);
              if (cpu != null) {
                (Alternation.rawAt(i) ? row.rawCpu : row.oursCpu).add(cpu.getScore());
              }
              i++;
              if (i % 4 == 0) {
                int n = r.size();
                row.blocks.add((o.get(n - 1) + o.get(n - 2)) / (r.get(n - 1) + r.get(n - 2)));
              }
            }
            row.raw.addAll(r);
            row.ours.addAll(o);
          }
        } else {
          boolean isRaw = "raw".equals(side);
          (isRaw ? row.raw : row.ours).add(rr.getPrimaryResult().getScore());
          Result<?> cpu = rr.getSecondaryResults().get(CpuProfiler.LABEL);
          if (cpu != null) {
            (isRaw ? row.rawCpu : row.oursCpu).add(cpu.getScore());
          }
        }
      }
    }
    List<Row> sorted = new ArrayList<>(rows.values());
    List<String> order = List.copyOf(LABELS.keySet());
    List<String> wanted =
        List.of(
            "CacheOpsBench.getHit", "KeyOpsBench.getMiss", "CacheOpsBench.put", "CacheOpsBench.getAll",
            "CacheOpsBench.putAll", "KeyOpsBench.invoke", "KeyOpsBench.removeAll", "LargeValueBench.get",
            "LargeValueBench.put");
    sorted.sort(
        (a, b) -> {
          int c = Integer.compare(a.threads, b.threads);
          if (c == 0) {
            c = Integer.compare(index(wanted, order, a.op), index(wanted, order, b.op));
          }
          if (c == 0) {
            c = b.protocol.compareTo(a.protocol); // text before binary
          }
          if (c == 0) {
            c = Integer.compare(size(a), size(b));
          }
          return c;
        });
    return sorted;
  }

  private static int index(List<String> wanted, List<String> all, String op) {
    int i = wanted.indexOf(op);
    return i >= 0 ? i : wanted.size() + all.indexOf(op);
  }

  private static int size(Row r) {
    return r.valueSize == null ? 0 : Integer.parseInt(r.valueSize);
  }

  static double mean(List<Double> xs) {
    double sum = 0;
    for (double x : xs) {
      sum += x;
    }
    return sum / xs.size();
  }

  /** Mean, ± the largest deviation of one iteration (or fork) from it. */
  private static String score(List<Double> xs) {
    double m = mean(xs);
    double dev = 0;
    for (double x : xs) {
      dev = Math.max(dev, Math.abs(x - m));
    }
    String pct = xs.size() < 2 || m == 0 ? "" : String.format(Locale.ROOT, " ±%.0f%%", 100 * dev / m);
    return String.format(Locale.ROOT, "%,.0f", m) + pct;
  }

  private static String ns(Collection<RunResult> codec, String method, String impl, String type) {
    for (RunResult rr : codec) {
      var p = rr.getParams();
      if (p.getBenchmark().endsWith("." + method) && impl.equals(p.getParam("codec")) && type.equals(p.getParam("type"))) {
        return String.format(Locale.ROOT, "%,.1f", rr.getPrimaryResult().getScore());
      }
    }
    return "–";
  }

  static Map<String, String> machine() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("nproc", Integer.toString(Runtime.getRuntime().availableProcessors()));
    m.put("CPU", firstValue(Path.of("/proc/cpuinfo"), "model name"));
    String mem = firstValue(Path.of("/proc/meminfo"), "MemTotal");
    if (mem.endsWith(" kB")) {
      try {
        long kb = Long.parseLong(mem.substring(0, mem.length() - 3).trim());
        mem = String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
      } catch (NumberFormatException ignored) {
        // keep the raw text
      }
    }
    m.put("memory", mem);
    m.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
        + " (" + System.getProperty("java.vendor") + ")");
    m.put("memcached", memcachedVersion());
    m.put("spymemcached", SPYMEMCACHED);
    m.put("JMH", JMH);
    m.put("load average (1/5/15 min) at start, end", String.join(" ; ", LOAD)
        + " — with " + Runtime.getRuntime().availableProcessors() + " cores, anything well above 1 means other processes competed with the benchmark");
    m.put("date", ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME));
    return m;
  }

  private static String firstValue(Path file, String field) {
    try {
      for (String line : Files.readAllLines(file)) {
        if (line.startsWith(field)) {
          int colon = line.indexOf(':');
          return colon < 0 ? line : line.substring(colon + 1).trim();
        }
      }
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e + ")";
    }
    return "unknown";
  }

  private static String memcachedVersion() {
    try {
      String exe = LocalMemcached.executable();
      Process p = new ProcessBuilder(exe, "-V").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      p.waitFor(5, TimeUnit.SECONDS);
      return out + " (" + exe + ")";
    } catch (IOException | RuntimeException e) {
      return "unknown (" + e + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown (interrupted)";
    }
  }
}
