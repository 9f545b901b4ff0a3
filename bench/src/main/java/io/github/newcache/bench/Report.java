package io.github.newcache.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Runs the whole comparison and writes {@code RESULTS.md}: our cache against raw spymemcached, raw
 * xmemcached and Redisson's JCache on Redis, every case in one JVM where the sides take turns
 * (see {@link Rotation}), then the CPU-only codec and overhead benchmarks. {@code ./run bench}
 * from the repository root builds and starts it.
 *
 * <p>System properties: {@code bench.results} (output directory; default {@code results}, or
 * {@code target/quick-results} in quick mode so a smoke test never overwrites real results),
 * {@code bench.stages} (regex over stage names), {@code bench.cases} (regex found in a case's
 * description, e.g. {@code getHit protocol=binary valueSize=100}), {@code bench.list=true} (print
 * the selected cases and the estimated time, run nothing), {@code bench.jvmArgs} (more options for
 * the benchmark JVMs, split on spaces, e.g. a flight recording), and those of {@link Settings}
 * ({@code bench.quick=true} for a smoke test).
 */
public final class Report {

  static final String COMMAND = "./run bench";

  private Report() {}

  public static void main(String[] args) throws IOException {
    Settings settings = Settings.fromSystemProperties();
    Path dir = Path.of(System.getProperty("bench.results", settings.quick() ? "target/quick-results" : "results"));
    Files.createDirectories(dir);
    Pattern stageFilter = Pattern.compile(System.getProperty("bench.stages", ".*"));
    Pattern caseFilter = Pattern.compile(System.getProperty("bench.cases", ""));

    List<Plan.Stage> stages = new ArrayList<>();
    List<Plan.Case> cases = new ArrayList<>();
    for (Plan.Stage stage : Plan.stages()) {
      if (!stageFilter.matcher(stage.name()).matches()) {
        continue;
      }
      List<Plan.Case> selected = new ArrayList<>();
      for (Plan.Case c : stage.cases()) {
        if (caseFilter.matcher(c.describe()).find()) {
          selected.add(c);
        }
      }
      if (stage.cases().isEmpty() ? caseFilter.pattern().isEmpty() : !selected.isEmpty()) {
        stages.add(new Plan.Stage(stage.name(), stage.title(), stage.include(), selected));
        cases.addAll(selected);
      }
    }

    Progress progress = new Progress(System.out, settings, stages, cases);
    if (Boolean.getBoolean("bench.list")) {
      for (Plan.Stage stage : stages) {
        System.out.println(stage.name() + ": " + (stage.cases().isEmpty() ? "plain JMH " + stage.include() : ""));
        for (Plan.Case c : stage.cases()) {
          System.out.println("  " + c.describe() + "  [" + String.join(", ", c.sideIds()) + "]");
        }
      }
      return;
    }
    Run run = new Run(settings, Machine.now(), Machine.loadAverage());
    for (Plan.Stage stage : stages) {
      List<RunResult> stageResults = new ArrayList<>();
      String load = Machine.loadAverage();
      run.stageLoads.put(stage.name(), load);
      if (stage.cases().isEmpty()) {
        progress.startPlain(stage, load);
        try (Leftovers leftovers = Leftovers.watch(progress::note)) {
          stageResults.addAll(new Runner(plainOptions(settings).include(stage.include()).build()).run());
        } catch (RunnerException | RuntimeException e) {
          progress.failed(stage.name(), e);
          run.failures.add(stage.name() + ": " + e.getMessage());
        }
      }
      for (Plan.Case c : stage.cases()) {
        progress.startCase(c, Machine.loadAverage());
        try (Leftovers leftovers = Leftovers.watch(progress::note)) {
          stageResults.addAll(new Runner(caseOptions(settings, c).build()).run());
        } catch (RunnerException | RuntimeException e) {
          progress.failed(c.describe(), e);
          run.failures.add(c.stage() + ": " + c.describe() + ": " + e.getMessage());
        }
      }
      run.results.put(stage, stageResults);
      writeJson(dir.resolve("jmh-" + stage.name() + ".json"), stageResults);
    }
    run.endLoad = Machine.loadAverage();
    run.seconds = TimeUnit.MILLISECONDS.toSeconds(progress.elapsedMillis());

    String md = new ResultsPage(run).render();
    Path out = dir.resolve("RESULTS.md");
    Files.writeString(out, md, StandardCharsets.UTF_8);
    System.out.println(md);
    System.out.println("==> wrote " + out.toAbsolutePath());
    if (!run.failures.isEmpty()) {
      System.out.println("==> " + run.failures.size() + " run(s) failed, see the end of RESULTS.md");
      System.exit(1);
    }
  }

  /** Everything one report run produced, for {@link ResultsPage}. */
  static final class Run {
    final Settings settings;
    final String started;
    final String startLoad;
    final Map<String, String> stageLoads = new LinkedHashMap<>();
    final Map<Plan.Stage, Collection<RunResult>> results = new LinkedHashMap<>();
    final List<String> failures = new ArrayList<>();
    String endLoad;
    long seconds;

    Run(Settings settings, String started, String startLoad) {
      this.settings = settings;
      this.started = started;
      this.startLoad = startLoad;
    }
  }

  /**
   * One fork holding every side of the case: warmup round robin, measurement in rotation blocks,
   * CPU and allocation per call recorded per iteration (so per side).
   */
  static ChainedOptionsBuilder caseOptions(Settings s, Plan.Case c) {
    int sides = c.sideIds().size();
    ChainedOptionsBuilder o =
        common(s)
            .include("\\." + Pattern.quote(c.method()) + "$")
            .param("sides", c.sides())
            .threads(c.threads())
            .mode(c.mode())
            .warmupIterations(s.warmupIterations(sides))
            .measurementIterations(s.measurementIterations(sides))
            .addProfiler(CpuProfiler.class)
            .addProfiler(GCProfiler.class);
    if (c.mode() == Mode.SampleTime) {
      o.timeUnit(TimeUnit.MICROSECONDS);
    }
    for (Map.Entry<String, String> p : c.params().entrySet()) {
      o.param(p.getKey(), p.getValue());
    }
    return o;
  }

  /** The CPU-only benchmarks: plain JMH, each benchmark in its own fork. */
  static ChainedOptionsBuilder plainOptions(Settings s) {
    return common(s)
        .threads(1)
        .warmupIterations(s.plainWarmupIterations())
        .measurementIterations(s.plainMeasurementIterations());
  }

  private static ChainedOptionsBuilder common(Settings s) {
    TimeValue iteration = TimeValue.milliseconds(s.iterationMillis());
    List<String> jvmArgs = new ArrayList<>(List.of("-Xms1g", "-Xmx1g", "-Dnet.spy.log.LoggerImpl=" + SpymemcachedSide.SPY_LOGGER));
    // For profiling a case, e.g. -Dbench.jvmArgs='-XX:StartFlightRecording=filename=/tmp/x.jfr,settings=profile'
    String extra = System.getProperty("bench.jvmArgs", "").strip();
    if (!extra.isEmpty()) {
      jvmArgs.addAll(List.of(extra.split("\\s+")));
    }
    return new OptionsBuilder()
        .forks(1)
        .warmupTime(iteration)
        .measurementTime(iteration)
        .jvmArgsAppend(jvmArgs.toArray(String[]::new))
        .shouldFailOnError(true);
  }

  private static void writeJson(Path file, Collection<RunResult> results) throws IOException {
    try (PrintStream json = new PrintStream(Files.newOutputStream(file), true, StandardCharsets.UTF_8)) {
      ResultFormatFactory.getInstance(ResultFormatType.JSON, json).writeOut(results);
    }
  }
}
