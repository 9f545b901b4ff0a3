package io.github.newcache.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.openjdk.jmh.annotations.Mode;

/**
 * What the report runs: stages of cases, each case one JMH fork in which its sides take turns
 * (see {@link Rotation}), plus two stages of CPU-only benchmarks run as plain JMH.
 */
final class Plan {

  private Plan() {}

  /**
   * One benchmark method with fixed parameters and thread count, run in one fork where {@code
   * sides} take turns.
   */
  record Case(String stage, String method, String sides, Map<String, String> params, int threads, Mode mode) {

    List<String> sideIds() {
      return Target.ids(sides);
    }

    /** {@code CacheOpsBench.getHit protocol=text valueSize=100 threads=1}, for progress and filters. */
    String describe() {
      StringBuilder b = new StringBuilder(method);
      for (Map.Entry<String, String> p : params.entrySet()) {
        b.append(' ').append(p.getKey()).append('=').append(p.getValue());
      }
      b.append(" threads=").append(threads);
      if (mode == Mode.SampleTime) {
        b.append(" latency");
      }
      return b.toString();
    }
  }

  /**
   * A group of cases, or (cases empty) every benchmark matching {@code include}, run as plain JMH
   * in {@code mode}.
   */
  record Stage(String name, String title, String include, List<Case> cases) {}

  static final List<String> PROTOCOLS = List.of("text", "binary");
  static final List<String> SIZES = List.of("100", "10240");

  static List<Stage> stages() {
    List<Stage> stages = new ArrayList<>();
    stages.add(new Stage("single", "network, 1 thread", null, concat(
        cases("single", "CacheOpsBench.getHit", Sides.ALL, SIZES, 1, Mode.Throughput),
        cases("single", "KeyOpsBench.getMiss", Sides.ALL, List.of(), 1, Mode.Throughput),
        cases("single", "CacheOpsBench.put", Sides.ALL, SIZES, 1, Mode.Throughput),
        cases("single", "CacheOpsBench.getAll", Sides.ALL, SIZES, 1, Mode.Throughput),
        cases("single", "CacheOpsBench.putAll", Sides.ALL, SIZES, 1, Mode.Throughput),
        cases("single", "KeyOpsBench.invoke", Sides.OURS_VS_RAW, List.of(), 1, Mode.Throughput),
        cases("single", "KeyOpsBench.removeAll", Sides.OURS_VS_RAW, List.of(), 1, Mode.Throughput),
        cases("single", "AsyncGetBench.getWindow", Sides.OURS_VS_RAW, List.of(), 1, Mode.Throughput,
            "AsyncGetBench.getAllWindow"))));
    stages.add(new Stage("threads16", "network, 16 threads", null, concat(
        cases("threads16", "CacheOpsBench.getHit", Sides.ALL, SIZES, 16, Mode.Throughput),
        cases("threads16", "KeyOpsBench.getMiss", Sides.ALL, List.of(), 16, Mode.Throughput),
        cases("threads16", "CacheOpsBench.put", Sides.ALL, SIZES, 16, Mode.Throughput))));
    stages.add(new Stage("large", "500 KB values, 1 thread", null,
        cases("large", "LargeValueBench.get", Sides.ALL, List.of(), 1, Mode.Throughput,
            "LargeValueBench.put")));
    stages.add(new Stage("latency", "latency, 1 thread, 100 B", null,
        cases("latency", "CacheOpsBench.getHit", Sides.LATENCY, List.of("100"), 1, Mode.SampleTime,
            "CacheOpsBench.put")));
    stages.add(new Stage("near", "near cache, Zipf 0.99 over 10,000 keys", null, nearCases()));
    stages.add(new Stage("tls", "TLS against plain TCP, 100 B", null, concat(
        cases("tls", "CacheOpsBench.getHit", Sides.TLS, List.of("100"), 1, Mode.Throughput, "CacheOpsBench.put"),
        cases("tls", "CacheOpsBench.getHit", Sides.TLS, List.of("100"), 16, Mode.Throughput, "CacheOpsBench.put"))));
    stages.add(new Stage(RequestsSection.STAGE, "binary batches against memcached -R " + RequestsSection.REQUESTS, null,
        requestsCases()));
    stages.add(new Stage("codec", "codec, no network", "\\.CodecBench\\.", List.of()));
    stages.add(new Stage("overhead", "our CPU per key and per value, no network",
        "\\.(KeyPathBench|ValuePathBench)\\.", List.of()));
    return stages;
  }

  /**
   * The near cache against our plain cache: 16 threads read-only and with 10% writes, in both
   * protocols; then the latency of 1 thread reading the 100 hottest keys (near hits), in binary.
   */
  static List<Case> nearCases() {
    List<Case> out = new ArrayList<>();
    for (String protocol : PROTOCOLS) {
      for (String writes : List.of("0", "10")) {
        Map<String, String> p = params(protocol, null);
        p.put("writePercent", writes);
        out.add(new Case("near", "NearCacheBench.zipf", Sides.NEAR, p, 16, Mode.Throughput));
      }
    }
    Map<String, String> p = params("binary", null);
    p.put("writePercent", "0");
    out.add(new Case("near", "NearCacheBench.hotGet", Sides.NEAR, p, 1, Mode.SampleTime));
    return out;
  }

  /**
   * The binary 100 B getAll and putAll again, against a memcached that serves up to {@link
   * RequestsSection#REQUESTS} requests of a connection at a time instead of its default 20: a batch of
   * 100 keys is 101 binary requests.
   */
  static List<Case> requestsCases() {
    List<Case> out = new ArrayList<>();
    for (String method : List.of("CacheOpsBench.getAll", "CacheOpsBench.putAll")) {
      Map<String, String> p = params("binary", "100");
      p.put("requestsPerEvent", RequestsSection.REQUESTS);
      out.add(new Case(RequestsSection.STAGE, method, Sides.ALL, p, 1, Mode.Throughput));
    }
    return out;
  }

  /** One case per method, protocol and (if any) value size, in that nesting order. */
  static List<Case> cases(String stage, String method, String sides, List<String> sizes, int threads, Mode mode, String... more) {
    List<String> methods = new ArrayList<>();
    methods.add(method);
    methods.addAll(List.of(more));
    List<Case> out = new ArrayList<>();
    for (String m : methods) {
      for (String protocol : PROTOCOLS) {
        if (sizes.isEmpty()) {
          out.add(new Case(stage, m, sides, params(protocol, null), threads, mode));
        }
        for (String size : sizes) {
          out.add(new Case(stage, m, sides, params(protocol, size), threads, mode));
        }
      }
    }
    return out;
  }

  private static Map<String, String> params(String protocol, String valueSize) {
    Map<String, String> p = new LinkedHashMap<>();
    p.put("protocol", protocol);
    if (valueSize != null) {
      p.put("valueSize", valueSize);
    }
    return p;
  }

  @SafeVarargs
  private static <T> List<T> concat(List<T>... lists) {
    List<T> out = new ArrayList<>();
    for (List<T> l : lists) {
      out.addAll(l);
    }
    return out;
  }
}
