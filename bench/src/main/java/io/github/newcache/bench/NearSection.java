package io.github.newcache.bench;

import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/** The near-cache part of {@code RESULTS.md}: ours with a near cache against ours without, and the goals. */
final class NearSection {

  static final String BENCH = "NearCacheBench.";
  static final String NEAR = OursNearSide.ID;
  static final String OURS = OursSide.ID;

  /** Goals of issue 15: near/plain ops/s by write share, and a near hit's p99 in µs. */
  static final double READ_ONLY_GOAL = 20;
  static final double WRITES_GOAL = 5;
  static final double P99_GOAL_MICROS = 10;

  private final List<Comparison> results;
  private final StringBuilder md = new StringBuilder();

  NearSection(List<Comparison> results) {
    this.results = results.stream()
        .sorted(Comparator.<Comparison>comparingInt(c -> c.latency ? 1 : 0)
            .thenComparing(c -> c.protocol, Comparator.reverseOrder())
            .thenComparing(c -> c.writePercent == null ? "" : c.writePercent))
        .toList();
  }

  String render() {
    if (results.isEmpty()) {
      return "";
    }
    md.append("## Near cache (ours with a near cache against ours without)\n\n");
    md.append("Keys drawn from a Zipf distribution (s = 0.99) over 10,000 keys, 100 B values, gets and (where said) "
        + "puts; `near` = `setNearCacheMaxEntries(20000)` with the default staleness bound of 1 s; both sides over the "
        + "same memcached, taking turns in one fork like every case here. Each turn of the throughput cases starts with "
        + "an untimed read of every key (in multi-gets of 100): otherwise the near side's entries, unread during the "
        + "other side's turn, would all be older than the bound and revalidate at the start of each turn, a cost of "
        + "taking turns that a service reading all the time does not pay; its CPU time is left out of the CPU column. "
        + "Latency: 1 thread getting the 100 hottest "
        + "keys (for the near side near hits, but for one revalidation per key per second).\n\n");
    md.append("| workload | protocol | threads | ours ops/s | near ops/s | near/ours | per-block | goal | met "
        + "| CPU µs ours | CPU µs near |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---|---:|---:|\n");
    for (Comparison c : results) {
      if (c.latency) {
        continue;
      }
      double goal = "0".equals(c.writePercent) ? READ_ONLY_GOAL : WRITES_GOAL;
      double r = c.ratio(NEAR, OURS);
      md.append("| ").append("0".equals(c.writePercent) ? "read-only" : c.writePercent + "% writes")
          .append(" | ").append(c.protocol)
          .append(" | ").append(c.threads)
          .append(" | ").append(number(c.mean(OURS), "%,.0f"))
          .append(" | ").append(number(c.mean(NEAR), "%,.0f"))
          .append(" | **").append(number(r, "%.1f")).append("×**")
          .append(" | ").append(range(c.blockRange(NEAR, OURS)))
          .append(" | ≥ ").append(number(goal, "%.0f")).append('×')
          .append(" | ").append(r >= goal ? "yes" : "**no**")
          .append(" | ").append(number(c.cpu(OURS), "%,.2f"))
          .append(" | ").append(number(c.cpu(NEAR), "%,.2f"))
          .append(" |\n");
    }
    md.append('\n');
    md.append("| latency (µs) | protocol | side | p50 | p99 | p99.9 | samples | goal (near p99) | met |\n");
    md.append("|---|---|---|---:|---:|---:|---:|---:|---|\n");
    for (Comparison c : results) {
      if (!c.latency) {
        continue;
      }
      for (String side : List.of(NEAR, OURS)) {
        double p99 = c.percentile(side, 99);
        md.append("| get, 100 hottest keys, ").append(c.threads).append(" thread")
            .append(" | ").append(c.protocol)
            .append(" | ").append(Sides.LABELS.get(side))
            .append(" | ").append(number(c.percentile(side, 50), "%,.1f"))
            .append(" | ").append(number(p99, "%,.1f"))
            .append(" | ").append(number(c.percentile(side, 99.9), "%,.1f"))
            .append(" | ").append(String.format(Locale.ROOT, "%,d", c.samples(side)))
            .append(" | ").append(side.equals(NEAR) ? "≤ " + number(P99_GOAL_MICROS, "%.0f") : "–")
            .append(" | ").append(side.equals(NEAR) ? (p99 <= P99_GOAL_MICROS ? "yes" : "**no**") : "–")
            .append(" |\n");
      }
    }
    md.append('\n');
    return md.toString();
  }

  private static String number(double x, String format) {
    return Double.isNaN(x) ? "–" : String.format(Locale.ROOT, format, x);
  }

  private static String range(double[] r) {
    if (r == null) {
      return "–";
    }
    String lo = String.format(Locale.ROOT, "%.1f", r[0]);
    String hi = String.format(Locale.ROOT, "%.1f", r[1]);
    return lo.equals(hi) ? lo : lo + "–" + hi;
  }
}
