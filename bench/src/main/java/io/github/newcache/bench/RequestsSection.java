package io.github.newcache.bench;

import java.util.List;

/**
 * The binary batches again against a memcached started with {@code -R} {@link #REQUESTS}: each side
 * against the same batches at memcached's default ({@code -R 20}, the main table) and with more
 * requests served of a connection at a time. A batch of 100 keys is 101 binary requests (100 quiet
 * ones and a no-op), so at the default memcached answers it in six turns and the client wakes for
 * each; the text protocol's multi-get is one request, which the setting does not touch.
 */
final class RequestsSection {

  static final String STAGE = "requests";
  /** The {@code -R} of this stage's memcached: more than a 100-key batch's 101 requests. */
  static final String REQUESTS = "200";

  private final List<Comparison> results;
  /** The main table's rows, for the same batches at the default. */
  private final List<Comparison> defaults;

  RequestsSection(List<Comparison> results, List<Comparison> defaults) {
    this.results = results;
    this.defaults = defaults;
  }

  String render() {
    if (results.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder();
    md.append("## Binary batches against memcached -R ").append(REQUESTS).append("\n\n");
    md.append("memcached serves at most `-R` requests (default 20) of one connection before it writes what it has and "
        + "turns to the others. A binary getAll/putAll of 100 keys is 101 requests (quiet gets or sets and a no-op), "
        + "so at the default it is answered in six turns, and the client is woken for each part; the text multi-get "
        + "is one request. These rows run the binary 100 B batches again, every side in one fork as above, against a "
        + "memcached started with `-R ").append(REQUESTS).append("`. Redis is the same in both.\n\n");
    md.append("| operation | protocol | value B | -R | ours ops/s | raw ops/s | xmemcached ops/s | Redisson ops/s "
        + "| ours/raw | ours/Redisson | per-block | CPU µs ours | CPU µs raw |\n");
    md.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for (Comparison c : results) {
      for (Comparison d : defaults) {
        if (d.op.equals(c.op) && d.protocol.equals(c.protocol) && d.valueSize != null && d.valueSize.equals(c.valueSize)
            && d.threads == c.threads && !d.latency) {
          row(md, d, MemcachedServer.DEFAULT_REQUESTS_PER_EVENT);
        }
      }
      row(md, c, c.requestsPerEvent);
    }
    md.append('\n');
    return md.toString();
  }

  private static void row(StringBuilder md, Comparison c, String requests) {
    md.append("| ").append(ResultsPage.LABELS.getOrDefault(c.op, c.op))
        .append(" | ").append(c.protocol)
        .append(" | ").append(c.valueSize)
        .append(" | ").append(requests)
        .append(" | ").append(ResultsPage.number(c.mean(OursSide.ID), "%,.0f"))
        .append(" | ").append(ResultsPage.number(c.mean(SpymemcachedSide.ID), "%,.0f"))
        .append(" | ").append(ResultsPage.number(c.mean(XmemcachedSide.ID), "%,.0f"))
        .append(" | ").append(ResultsPage.number(c.mean(RedissonSide.ID), "%,.0f"))
        .append(" | ").append(ResultsPage.number(c.ratio(OursSide.ID, SpymemcachedSide.ID), "%.2f"))
        .append(" | **").append(ResultsPage.number(c.ratio(OursSide.ID, RedissonSide.ID), "%.2f")).append("**")
        .append(" | ").append(ResultsPage.range(c.blockRange(OursSide.ID, RedissonSide.ID)))
        .append(" | ").append(ResultsPage.number(c.cpu(OursSide.ID), "%,.1f"))
        .append(" | ").append(ResultsPage.number(c.cpu(SpymemcachedSide.ID), "%,.1f"))
        .append(" |\n");
  }
}
