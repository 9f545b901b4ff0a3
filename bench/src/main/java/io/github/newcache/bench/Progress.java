package io.github.newcache.bench;

import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Tells the person waiting where the run is: which stage and case, n of N, time spent and a rough
 * time left. JMH prints its own iteration lines in between; these stand out with {@code ==>}.
 */
final class Progress {

  /** A guess for the CPU-only stages, whose benchmark count the plan does not list. */
  static final int PLAIN_STAGE_BENCHMARKS = 13;

  private final PrintStream out;
  private final Settings settings;
  private final int total;
  private final long startNanos = System.nanoTime();
  private long remainingMillis;
  private int done;

  Progress(PrintStream out, Settings settings, List<Plan.Stage> stages, List<Plan.Case> cases) {
    this.out = out;
    this.settings = settings;
    int plain = 0;
    for (Plan.Stage s : stages) {
      if (s.cases().isEmpty()) {
        plain++;
        remainingMillis += settings.estimatePlainMillis(PLAIN_STAGE_BENCHMARKS);
      }
    }
    for (Plan.Case c : cases) {
      remainingMillis += settings.estimateMillis(c.sideIds().size());
    }
    this.total = cases.size() + plain;
    out.printf(Locale.ROOT, "==> %d runs planned, about %s%s%n", total, duration(remainingMillis),
        settings.quick() ? " (quick mode: smoke test, numbers mean nothing)" : "");
  }

  /** Announces a comparison case about to run. */
  void startCase(Plan.Case c, String load) {
    int sides = c.sideIds().size();
    out.printf(Locale.ROOT, "%n==> [%d/%d] %s: %s%n==>     sides taking turns: %s; %d warmup + %d measured iterations; "
            + "elapsed %s, about %s left; load %s%n",
        ++done, total, c.stage(), c.describe(), String.join(", ", c.sideIds()),
        settings.warmupIterations(sides), settings.measurementIterations(sides),
        duration(elapsedMillis()), duration(remainingMillis), load);
    remainingMillis = Math.max(0, remainingMillis - settings.estimateMillis(sides));
  }

  /** Announces a plain JMH stage about to run. */
  void startPlain(Plan.Stage s, String load) {
    out.printf(Locale.ROOT, "%n==> [%d/%d] %s: %s (plain JMH); elapsed %s, about %s left; load %s%n",
        ++done, total, s.name(), s.title(), duration(elapsedMillis()), duration(remainingMillis), load);
    remainingMillis = Math.max(0, remainingMillis - settings.estimatePlainMillis(PLAIN_STAGE_BENCHMARKS));
  }

  void note(String message) {
    out.println("==> " + message);
  }

  void failed(String what, Exception e) {
    out.printf(Locale.ROOT, "==> FAILED %s: %s (going on with the rest)%n", what, e);
  }

  long elapsedMillis() {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
  }

  static String duration(long millis) {
    long s = Math.round(millis / 1000.0);
    return s < 60 ? s + " s" : String.format(Locale.ROOT, "%d min %02d s", s / 60, s % 60);
  }
}
