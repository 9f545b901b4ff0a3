package io.github.newcache.bench;

import java.util.Comparator;
import java.util.List;

/** The TLS part of {@code RESULTS.md}: ours over TLS against ours over plain TCP. */
final class TlsSection {

  static final String TLS = OursTlsSide.ID;
  static final String OURS = OursSide.ID;

  private final List<Comparison> results;

  TlsSection(List<Comparison> results) {
    this.results = results.stream()
        .sorted(Comparator.<Comparison>comparingInt(c -> c.threads)
            .thenComparingInt(c -> ResultsPage.OPS.indexOf(c.op))
            .thenComparing(c -> c.protocol, Comparator.reverseOrder()))
        .toList();
  }

  String render() {
    if (results.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder();
    md.append("## TLS (ours over TLS against ours over plain TCP)\n\n");
    md.append("Both sides are our cache with the same settings, one against a plain memcached, one against a memcached "
        + "started with `-Z` (certificates made for the trial, EC P-256, host name verified), taking turns in one fork "
        + "like every case here. 100 B values.\n\n");
    md.append("| operation | protocol | threads | plain ops/s | TLS ops/s | TLS/plain | per-block "
        + "| CPU µs plain | CPU µs TLS |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Comparison c : results) {
      md.append("| ").append(ResultsPage.LABELS.getOrDefault(c.op, c.op))
          .append(" | ").append(c.protocol)
          .append(" | ").append(c.threads)
          .append(" | ").append(ResultsPage.number(c.mean(OURS), "%,.0f"))
          .append(" | ").append(ResultsPage.number(c.mean(TLS), "%,.0f"))
          .append(" | **").append(ResultsPage.number(c.ratio(TLS, OURS), "%.2f")).append("**")
          .append(" | ").append(ResultsPage.range(c.blockRange(TLS, OURS)))
          .append(" | ").append(ResultsPage.number(c.cpu(OURS), "%,.1f"))
          .append(" | ").append(ResultsPage.number(c.cpu(TLS), "%,.1f"))
          .append(" |\n");
    }
    md.append('\n');
    return md.toString();
  }
}
