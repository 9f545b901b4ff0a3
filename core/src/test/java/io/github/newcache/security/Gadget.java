package io.github.newcache.security;

import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.concurrent.atomic.AtomicInteger;

/** A class with a side effect in readObject, standing in for a deserialization gadget. */
public final class Gadget implements Serializable {

  private static final long serialVersionUID = 1L;

  /** How many times any Gadget was deserialized. */
  public static final AtomicInteger READS = new AtomicInteger();

  private void readObject(ObjectInputStream in) throws IOException, ClassNotFoundException {
    in.defaultReadObject();
    READS.incrementAndGet();
  }
}
