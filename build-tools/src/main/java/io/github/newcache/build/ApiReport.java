package io.github.newcache.build;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The public API check: compares the API of a module's compiled classes ({@link ApiListing}) with
 * the report checked in beside the module, and fails on any difference with the lines added and
 * removed. With {@code accept} it rewrites the report instead.
 *
 * <p>Run by the build (the parent POM's {@code api-report} profile) right after compiling, as
 * {@code ApiReport <classes folder> <report file> <accept: true|false>}, with the module's compile
 * class path as the thread's context class loader.
 */
public final class ApiReport {

  static final String HEADER =
      """
      # Public API of %s: every public and protected type and member, internal packages
      # included. The build lists them from the compiled classes and fails when they differ from this
      # file. To accept an intended change, build with -Dapi.accept=true (for example
      # mvn -DskipTests -Dapi.accept=true install), which rewrites this file; commit it with the change.
      """;

  private ApiReport() {}

  /**
   * Checks or rewrites the report.
   *
   * @param args the classes folder, the report file, and {@code true} to accept the classes' API
   * @throws IOException if the report cannot be read or written
   * @throws IllegalStateException if the API differs from the report and {@code accept} is false
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 3) {
      throw new IllegalArgumentException(
          "usage: ApiReport <classes folder> <report file> <accept: true|false>");
    }
    Path classes = Path.of(args[0]);
    Path report = Path.of(args[1]);
    boolean accept = Boolean.parseBoolean(args[2]);
    List<String> api = ApiListing.of(classes, Thread.currentThread().getContextClassLoader());
    System.out.println(check(report, api, accept));
  }

  /**
   * Compares {@code api} with the report (or writes it, when {@code accept}).
   *
   * @return what was done, for the build log
   * @throws IllegalStateException if they differ and {@code accept} is false; its message lists
   *     the added and removed lines and how to accept them
   */
  static String check(Path report, List<String> api, boolean accept) throws IOException {
    boolean exists = Files.exists(report);
    List<String> recorded = exists ? read(report) : List.of();
    List<String> added = minus(api, recorded);
    List<String> removed = minus(recorded, api);
    if (exists && added.isEmpty() && removed.isEmpty()) {
      return "Public API unchanged: " + report + " (" + api.size() + " lines)";
    }
    if (accept) {
      write(report, api);
      return "Public API report written: " + report + " (" + added.size() + " lines added, "
          + removed.size() + " removed)";
    }
    if (!exists) {
      throw new IllegalStateException("No public API report at " + report
          + ". Create it by building with -Dapi.accept=true, review it and commit it.");
    }
    throw new IllegalStateException(difference(report, added, removed));
  }

  static String difference(Path report, List<String> added, List<String> removed) {
    StringBuilder message = new StringBuilder("The public API differs from ").append(report)
        .append(" (").append(added.size()).append(" added, ").append(removed.size())
        .append(" removed):\n");
    for (String line : added) {
      message.append("  + ").append(line.strip()).append('\n');
    }
    for (String line : removed) {
      message.append("  - ").append(line.strip()).append('\n');
    }
    message.append("If the change is intended, build with -Dapi.accept=true (for example"
        + " mvn -DskipTests -Dapi.accept=true install) to rewrite the report, and commit it with"
        + " the change. If not, make the added types and members package-private or private.");
    return message.toString();
  }

  /** The lines of {@code a} that are not in {@code b}, in {@code a}'s order. */
  private static List<String> minus(List<String> a, List<String> b) {
    Set<String> remove = new LinkedHashSet<>(b);
    List<String> rest = new ArrayList<>();
    for (String line : a) {
      if (!remove.contains(line)) {
        rest.add(line);
      }
    }
    return rest;
  }

  /** The report's API lines: without its comment header and blank lines. */
  static List<String> read(Path report) throws IOException {
    List<String> lines = new ArrayList<>();
    for (String line : Files.readAllLines(report, StandardCharsets.UTF_8)) {
      if (!line.isBlank() && !line.startsWith("#")) {
        lines.add(line);
      }
    }
    return lines;
  }

  static void write(Path report, List<String> api) throws IOException {
    String name = report.getFileName().toString().replaceFirst("\\.api$", "");
    StringBuilder text = new StringBuilder(String.format(HEADER, name));
    for (String line : api) {
      text.append(line).append('\n');
    }
    Path folder = report.toAbsolutePath().getParent();
    if (folder != null) {
      Files.createDirectories(folder);
    }
    Files.writeString(report, text, StandardCharsets.UTF_8);
  }
}
