package io.github.newcache.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/**
 * One trial's sides over their own private servers, and the side the benchmark methods use right
 * now: {@link Rotation} switches it between iterations, so every side of a case runs in the same
 * JVM, against the same private servers, interleaved in time.
 */
final class Target implements AutoCloseable {

  /** The side in use; read by every benchmark call, written between iterations. */
  volatile Side side;

  private final Servers servers;
  private final List<Side> sides;

  private Target(Servers servers, List<Side> sides) {
    this.servers = servers;
    this.sides = sides;
    this.side = sides.get(0);
  }

  /**
   * @param sides side ids in rotation order, joined by {@link Sides#SEPARATOR} (see {@link Side#open})
   * @param protocol {@code text} or {@code binary}: the memcached protocol of the memcached sides
   * @param memcachedArgs extra memcached arguments
   */
  static Target open(String sides, String protocol, String... memcachedArgs) {
    boolean binary = switch (protocol) {
      case "text" -> false;
      case "binary" -> true;
      default -> throw new IllegalArgumentException("protocol must be text or binary, not " + protocol);
    };
    Servers servers = new Servers(memcachedArgs);
    List<Side> opened = new ArrayList<>();
    try {
      for (String id : ids(sides)) {
        opened.add(Side.open(id, servers, binary));
      }
      return new Target(servers, List.copyOf(opened));
    } catch (RuntimeException e) {
      closeAll(opened, servers);
      throw e;
    }
  }

  /**
   * Runs the trial's preparation (e.g. the preload) and returns this target; if it fails, closes
   * every side and server first: JMH runs no teardown after a failed setup.
   */
  Target prepared(Consumer<Target> preparation) {
    try {
      preparation.accept(this);
      return this;
    } catch (RuntimeException | Error e) {
      close();
      throw e;
    }
  }

  /** The ids of a {@code sides} parameter. */
  static List<String> ids(String sides) {
    List<String> ids = new ArrayList<>();
    for (String s : sides.split(Pattern.quote(Sides.SEPARATOR))) {
      if (!s.isBlank()) {
        ids.add(s.trim());
      }
    }
    if (ids.isEmpty()) {
      throw new IllegalArgumentException("no side in '" + sides + "'");
    }
    return ids;
  }

  int size() {
    return sides.size();
  }

  List<Side> sides() {
    return sides;
  }

  void use(int index) {
    side = sides.get(index);
  }

  @Override
  public void close() {
    closeAll(sides, servers);
  }

  private static void closeAll(List<Side> sides, Servers servers) {
    try {
      for (Side s : sides) {
        try {
          s.close();
        } catch (RuntimeException e) {
          System.err.println("closing " + s.id() + ": " + e);
        }
      }
    } finally {
      servers.close();
    }
  }
}
