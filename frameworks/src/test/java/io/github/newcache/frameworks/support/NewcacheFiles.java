package io.github.newcache.frameworks.support;

import io.github.newcache.testkit.LocalMemcached;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes Newcache properties files for a test's own memcached: frameworks read their configuration
 * from a file, and the server's port is only known once the test has started it.
 */
public final class NewcacheFiles {

  private NewcacheFiles() {}

  /** Writes {@code dir/name} with {@code servers=} pointing at {@code server} plus {@code lines}. */
  public static Path write(Path dir, String name, LocalMemcached server, String... lines) {
    List<String> content = new ArrayList<>();
    content.add("# written by the test for the memcached it started");
    content.add("servers=" + server.address());
    content.addAll(List.of(lines));
    Path file = dir.resolve(name);
    try {
      Files.write(file, content, StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + file, e);
    }
    return file;
  }
}
