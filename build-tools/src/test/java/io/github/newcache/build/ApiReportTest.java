package io.github.newcache.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Compiles small sources into a temporary folder and checks what the API report makes of them. */
class ApiReportTest {

  @TempDir Path dir;

  private static final Map<String, String> SOURCES =
      Map.of(
          "p/Api.java",
          """
          package p;
          import java.util.function.Supplier;
          public class Api<T> implements Comparable<Api<T>> {
            public static final int LIMIT = 3;
            protected T value;
            int hidden;
            public Api() {}
            Api(int x) {}
            public T get() { return value; }
            protected void set(T value) { this.value = value; }
            void helper() {}
            private Supplier<String> lambda() { return () -> "x"; }
            public int compareTo(Api<T> other) { return 0; }
            public static class Nested {}
            static class HiddenNested { public void visibleButNotApi() {} }
            Object anonymous() { return new Object() { public String toString() { return ""; } }; }
          }
          """,
          "p/internal/Helper.java",
          """
          package p.internal;
          class Helper {
            public void work() {}
          }
          """,
          "p/internal/Shared.java",
          """
          package p.internal;
          public final class Shared {
            public Shared() {}
            public void work() {}
          }
          """);

  @Test
  void listsPublicAndProtectedTypesAndMembersOnly() throws IOException {
    Path classes = compile(SOURCES);

    assertEquals(
        List.of(
            "public class p.Api<T> implements java.lang.Comparable<p.Api<T>>",
            "  protected T p.Api.value",
            "  protected void p.Api.set(T)",
            "  public T p.Api.get()",
            "  public int p.Api.compareTo(p.Api<T>)",
            "  public p.Api()",
            "  public static final int p.Api.LIMIT",
            "public static class p.Api$Nested",
            "  public p.Api$Nested()",
            "public final class p.internal.Shared",
            "  public p.internal.Shared()",
            "  public void p.internal.Shared.work()"),
        list(classes));
  }

  @Test
  void acceptWritesTheReportAndTheNextCheckPasses() throws IOException {
    Path classes = compile(SOURCES);
    Path report = dir.resolve("api/module.api");

    String written = ApiReport.check(report, list(classes), true);
    String checked = ApiReport.check(report, list(classes), false);

    assertTrue(written.startsWith("Public API report written: "), written);
    assertTrue(Files.readString(report).startsWith("# Public API of module: "));
    assertEquals(list(classes), ApiReport.read(report));
    assertEquals("Public API unchanged: " + report + " (12 lines)", checked);
  }

  @Test
  void aClassMadePublicFailsNamingIt() throws IOException {
    Path report = dir.resolve("module.api");
    ApiReport.check(report, list(compile(SOURCES)), true);
    Map<String, String> changed = new java.util.HashMap<>(SOURCES);
    changed.put("p/internal/Helper.java",
        SOURCES.get("p/internal/Helper.java").replace("class Helper", "public class Helper"));

    List<String> api = list(compile(changed));
    IllegalStateException failure =
        assertThrows(IllegalStateException.class, () -> ApiReport.check(report, api, false));

    assertEquals(
        "The public API differs from " + report + " (3 added, 0 removed):\n"
            + "  + public class p.internal.Helper\n"
            + "  + public p.internal.Helper()\n"
            + "  + public void p.internal.Helper.work()\n"
            + "If the change is intended, build with -Dapi.accept=true (for example"
            + " mvn -DskipTests -Dapi.accept=true install) to rewrite the report, and commit it"
            + " with the change. If not, make the added types and members package-private or"
            + " private.",
        failure.getMessage());
  }

  @Test
  void aMethodAddedOrChangedFailsNamingBothLines() throws IOException {
    Path report = dir.resolve("module.api");
    ApiReport.check(report, list(compile(SOURCES)), true);
    Map<String, String> changed = new java.util.HashMap<>(SOURCES);
    changed.put("p/internal/Shared.java",
        SOURCES.get("p/internal/Shared.java")
            .replace("public void work() {}", "public void work(int n) {}\n  public void more() {}"));

    List<String> api = list(compile(changed));
    IllegalStateException failure =
        assertThrows(IllegalStateException.class, () -> ApiReport.check(report, api, false));

    assertTrue(failure.getMessage().startsWith(
        "The public API differs from " + report + " (2 added, 1 removed):\n"
            + "  + public void p.internal.Shared.more()\n"
            + "  + public void p.internal.Shared.work(int)\n"
            + "  - public void p.internal.Shared.work()\n"), failure.getMessage());
  }

  @Test
  void aMissingReportFailsSayingHowToCreateIt() throws IOException {
    Path report = dir.resolve("missing.api");
    List<String> api = list(compile(SOURCES));

    IllegalStateException failure =
        assertThrows(IllegalStateException.class, () -> ApiReport.check(report, api, false));

    assertEquals("No public API report at " + report + ". Create it by building with"
        + " -Dapi.accept=true, review it and commit it.", failure.getMessage());
  }

  @Test
  void mainChecksAFolderOfClasses() throws IOException {
    Path classes = compile(SOURCES);
    Path report = dir.resolve("module.api");
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    try (URLClassLoader loader = loader(classes)) {
      Thread.currentThread().setContextClassLoader(loader);
      ApiReport.main(new String[] {classes.toString(), report.toString(), "true"});
      ApiReport.main(new String[] {classes.toString(), report.toString(), "false"});
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
    assertEquals(12, ApiReport.read(report).size());
  }

  private List<String> list(Path classes) throws IOException {
    try (URLClassLoader loader = loader(classes)) {
      return ApiListing.of(classes, loader);
    }
  }

  private static URLClassLoader loader(Path classes) throws IOException {
    return new URLClassLoader(new URL[] {classes.toUri().toURL()}, null);
  }

  /** Compiles the sources (path to text) into a fresh folder and returns it. */
  private Path compile(Map<String, String> sources) throws IOException {
    Path root = Files.createTempDirectory(dir, "build");
    Path src = root.resolve("src");
    Path out = root.resolve("classes");
    Files.createDirectories(out);
    List<String> args = new ArrayList<>(List.of("-d", out.toString(), "--release", "17"));
    for (Map.Entry<String, String> source : sources.entrySet()) {
      Path file = src.resolve(source.getKey());
      Files.createDirectories(file.getParent());
      Files.writeString(file, source.getValue());
      args.add(file.toString());
    }
    JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
    assertEquals(0, javac.run(null, null, null, args.toArray(String[]::new)), "fixture compiles");
    return out;
  }
}
