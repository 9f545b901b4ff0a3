package io.github.newcache.internal.config;

import java.util.Set;

/**
 * Where settings came from, as errors name it. A URI's query is never repeated in an error (URIs
 * end up in logs; a mistyped name could hold a secret's value), so errors about URI settings name
 * the setting but not its value; a properties file's values (never the secret ones) are shown.
 *
 * @param description how errors name the source, e.g. {@code URI memcached://h:11211/}
 * @param hidden the settings whose values errors must not repeat (those given in a URI's query)
 */
record Source(String description, Set<String> hidden) {

  Source {
    hidden = Set.copyOf(hidden);
  }

  /** Whether an error may repeat the value given for {@code name}. */
  boolean shows(String name) {
    return !hidden.contains(name);
  }

  /** {@code <description>: } for a manager setting. */
  String manager() {
    return description + ": ";
  }

  /** {@code <description>, cache.<name>.} for a cache attribute. */
  String cache(String name) {
    return description + ", cache." + name + ".";
  }

  @Override
  public String toString() {
    return description;
  }
}
