package io.github.newcache.security;

import java.io.Serializable;
import java.math.BigDecimal;
import java.util.List;

/** A value type a cache is configured with; its field types must be deserializable too. */
public record Order(String id, Customer customer, List<BigDecimal> amounts) implements Serializable {

  /** Reachable only as a field of {@link Order}. */
  public record Customer(String name) implements Serializable {}
}
