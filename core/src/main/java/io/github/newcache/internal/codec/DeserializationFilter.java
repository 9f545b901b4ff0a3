package io.github.newcache.internal.codec;

import java.io.ObjectInputFilter;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The allow-list and limits applied to every Java-deserialized stream (JEP 290), per cache.
 *
 * <p>Allowed: the cache's configured key and value types with their superclasses and the declared
 * types of their serializable fields (transitively); the JDK value types in {@link #BUILT_IN}
 * ({@code java.lang}, {@code java.util}, {@code java.time}, {@code java.math}, the {@code java.sql}
 * date types); the cache entry types of Spring's cache abstraction and of Hibernate's second-level
 * cache; and the patterns of the {@code deserializationAllow} setting. Every other class is
 * rejected before it is instantiated, so its {@code readObject} never runs. Limits bound depth,
 * references, array lengths and stream bytes; they do not bound the work of building a graph
 * whose objects are shared many times over, which {@link DecodingLimits} does. The filter is merged
 * with a JVM-wide {@code jdk.serialFilter} when one is set (see {@link JavaSerialization}): either
 * can reject.
 */
public final class DeserializationFilter {

  /** Patterns allowed for every cache: JDK value types and well-known framework cache types. */
  public static final List<String> BUILT_IN =
      List.of(
          "java.lang.*",
          "java.util.*",
          "java.util.concurrent.*",
          "java.util.concurrent.atomic.*",
          "java.time.*",
          "java.time.chrono.*",
          "java.time.zone.*",
          "java.math.*",
          // Interface used as an array component type (Hibernate stores state as Serializable[]);
          // it allows nothing by itself: each element's class is checked on its own.
          "java.io.Serializable",
          "java.sql.Date",
          "java.sql.Time",
          "java.sql.Timestamp",
          "java.net.URI",
          "java.net.InetAddress",
          "java.net.Inet4Address",
          "java.net.Inet6Address",
          "java.net.InetAddress$InetAddressHolder",
          "java.net.Inet6Address$Inet6AddressHolder",
          // Spring's cache abstraction: cached nulls and composite keys
          "org.springframework.cache.support.NullValue",
          "org.springframework.cache.interceptor.SimpleKey",
          // Hibernate's second-level cache: keys, entries, query results, soft locks
          "org.hibernate.cache.**",
          "org.hibernate.engine.spi.EntityUniqueKey",
          "org.hibernate.engine.spi.CollectionKey",
          "org.hibernate.engine.spi.EntityKey");

  /** Limits when no cache is involved (a plain class loader). */
  public static final ObjectInputFilter DEFAULT = forTypes(List.of(), List.of(), 64 << 20);

  static final int MAX_DEPTH = 64;
  static final long MAX_REFERENCES = 1_000_000;

  private DeserializationFilter() {}

  /**
   * The filter for a cache whose keys and values have {@code types}, with the user's extra
   * {@code patterns}; streams and arrays are capped at {@code maxBytes} (nothing larger fits in a
   * memcached item).
   */
  public static ObjectInputFilter forTypes(
      Collection<Class<?>> types, Collection<String> patterns, long maxBytes) {
    Set<String> exact = new HashSet<>();
    List<String> packages = new ArrayList<>();
    List<String> trees = new ArrayList<>();
    List<String> prefixes = new ArrayList<>();
    Set<String> all = new LinkedHashSet<>(BUILT_IN);
    all.addAll(patterns);
    for (String p : all) {
      if (p.endsWith(".**")) {
        trees.add(p.substring(0, p.length() - 2));
      } else if (p.endsWith(".*")) {
        packages.add(p.substring(0, p.length() - 2));
      } else if (p.endsWith("*")) {
        prefixes.add(p.substring(0, p.length() - 1));
      } else {
        exact.add(p);
      }
    }
    Set<Class<?>> reachable = new HashSet<>();
    for (Class<?> t : types) {
      reach(t, reachable);
    }
    for (Class<?> c : reachable) {
      exact.add(c.getName());
    }
    ClassValue<Boolean> allowed =
        new ClassValue<>() {
          @Override
          protected Boolean computeValue(Class<?> c) {
            String name = c.getName();
            return exact.contains(name)
                || packages.contains(c.getPackageName())
                || trees.stream().anyMatch(name::startsWith)
                || prefixes.stream().anyMatch(name::startsWith);
          }
        };
    return new Filter(allowed, maxBytes);
  }

  /** The decoding limits that go with {@code filter}: sized for its item size when it is ours. */
  static DecodingLimits limitsOf(ObjectInputFilter filter) {
    return filter instanceof Filter f ? DecodingLimits.forItemSize(f.maxBytes) : DecodingLimits.DEFAULT;
  }

  /** One cache's filter: its allow-list and the limits for its item size. */
  private static final class Filter implements ObjectInputFilter {
    private final ClassValue<Boolean> allowed;
    private final long maxBytes;

    Filter(ClassValue<Boolean> allowed, long maxBytes) {
      this.allowed = allowed;
      this.maxBytes = maxBytes;
    }

    @Override
    public Status checkInput(FilterInfo info) {
      if (info.depth() > MAX_DEPTH
          || info.references() > MAX_REFERENCES
          || info.streamBytes() > maxBytes
          || info.arrayLength() > maxBytes) {
        return Status.REJECTED;
      }
      Class<?> c = info.serialClass();
      if (c == null) {
        return Status.UNDECIDED;
      }
      while (c.isArray()) {
        c = c.getComponentType();
      }
      if (c.isPrimitive()) {
        return Status.UNDECIDED;
      }
      return allowed.get(c) ? Status.ALLOWED : Status.REJECTED;
    }
  }

  /** Adds {@code type}, its superclasses and its serializable fields' declared types. */
  private static void reach(Class<?> type, Set<Class<?>> into) {
    while (type.isArray()) {
      type = type.getComponentType();
    }
    if (type.isPrimitive() || type == Object.class || type.getName().startsWith("java.")
        || !into.add(type)) {
      return;
    }
    for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
      into.add(c);
      Field[] fields;
      try {
        fields = c.getDeclaredFields();
      } catch (LinkageError | SecurityException e) {
        continue; // a field type is missing: the class itself stays allowed
      }
      for (Field f : fields) {
        int m = f.getModifiers();
        if (!Modifier.isStatic(m) && !Modifier.isTransient(m)) {
          reach(f.getType(), into);
        }
      }
    }
  }
}
