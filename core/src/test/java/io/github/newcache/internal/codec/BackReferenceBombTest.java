package io.github.newcache.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * A reference back to an object still being read costs what that object holds by then. A
 * {@code LinkedList} links each element as it reads it: a list holding a graph of 2^24 paths and
 * then a set that holds the list made the set hash all of it, while the reader counted the
 * reference as 1 (about 1 KB, every class in java.util, hours of CPU in one read).
 */
class BackReferenceBombTest {

  private static byte[] serialize(Object o) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
      out.writeObject(o);
    }
    return bytes.toByteArray();
  }

  @Test
  void aSetHoldingTheListThatHoldsItIsCountedAtWhatTheListHoldsByThen() throws Exception {
    Object b = "leaf";
    for (int i = 0; i < 24; i++) {
      b = new ArrayList<>(List.of(b, b)); // 2^24 paths, 24 objects
    }
    LinkedList<Object> o = new LinkedList<>();
    Set<Object> s = new HashSet<>();
    s.add(o); // hashed while empty here; read back, it is hashed after b was linked
    o.add(b);
    o.add(s);
    byte[] data = serialize(o);
    RejectedValueException e = assertThrows(RejectedValueException.class,
        () -> StreamShape.check(data, 0, data.length, 1_000_000));
    assertTrue(e.getMessage().contains("steps"), e.getMessage());
  }

  /** The same through a wrapper the set hashes, whose hash is the list's. */
  @Test
  void aSetHoldingAnEntryThatHoldsTheListIsCountedTheSame() throws Exception {
    Object b = "leaf";
    for (int i = 0; i < 24; i++) {
      b = new ArrayList<>(List.of(b, b));
    }
    LinkedList<Object> o = new LinkedList<>();
    Set<Object> s = new HashSet<>();
    s.add(new java.util.AbstractMap.SimpleEntry<>(o, "x"));
    o.add(b);
    o.add(s);
    byte[] data = serialize(o);
    assertThrows(RejectedValueException.class, () -> StreamShape.check(data, 0, data.length, 1_000_000));
  }

  /**
   * A set that hashes a list still being read, whose entry refers back to an outer list still being
   * read, reaches what the outer list linked before: L1[b, L2], L2[entry(L1), set{L2}].
   */
  @Test
  void aSetHoldingAnInnerListThatReachesTheOuterOneCountsWhatTheOuterOneHolds() throws Exception {
    LinkedList<Object> outer = new LinkedList<>();
    LinkedList<Object> inner = new LinkedList<>();
    Set<Object> s = new HashSet<>();
    s.add(inner); // hashed while empty here; read back, after the entry reaching b was linked
    inner.add(new java.util.AbstractMap.SimpleEntry<>(outer, "x"));
    inner.add(s);
    outer.add(bomb());
    outer.add(inner);
    byte[] data = serialize(outer);
    assertThrows(RejectedValueException.class, () -> StreamShape.check(data, 0, data.length, 1_000_000));
  }

  /**
   * An entry finished while the list it refers to held nothing yet, hashed after the list linked
   * more: L[array{entry(L)}, b, set{entry}]. What the entry reaches is counted when it is hashed,
   * not when it was read.
   */
  @Test
  void anEntryFinishedEarlyIsCountedAtWhatItReachesWhenHashed() throws Exception {
    LinkedList<Object> o = new LinkedList<>();
    Object entry = new java.util.AbstractMap.SimpleEntry<>(o, "x");
    Set<Object> s = new HashSet<>();
    s.add(entry); // hashed while the list is empty
    o.add(new Object[] {entry});
    o.add(bomb());
    o.add(s);
    byte[] data = serialize(o);
    assertThrows(RejectedValueException.class, () -> StreamShape.check(data, 0, data.length, 1_000_000));
  }

  /** 24 shared lists: 2^24 paths in 24 objects. */
  private static Object bomb() {
    Object b = "leaf";
    for (int i = 0; i < 24; i++) {
      b = new ArrayList<>(List.of(b, b));
    }
    return b;
  }

  /**
   * Values that refer back to the map holding them (a registry of handlers that know it), and a set
   * whose elements refer back to it, cost what they hold, not twice as much per entry.
   */
  @Test
  void collectionsWhoseElementsReferBackToThemStillPass() throws Exception {
    Map<String, Object> registry = new HashMap<>();
    Set<Object> members = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      registry.put("handler-" + i, new ArrayList<>(List.of(registry, "handler-" + i)));
      members.add(new BackRef(members, i));
    }
    byte[] data = serialize(new ArrayList<>(List.of(registry, members)));
    long work = StreamShape.check(data, 0, data.length, 1_000_000);
    assertTrue(work < 1_000_000, "work " + work);
  }

  /**
   * An entity whose tags, in a set and in a map, refer back to it after a long list of books: the
   * entity's fields are not assigned while they are read, so hashing a tag that reached it would
   * see none of them, and a map hashes only its keys.
   */
  @Test
  void backReferencesToAnEntityWhoseFieldsAreStillBeingReadCostLittle() throws Exception {
    Author author = new Author();
    for (int i = 0; i < 2000; i++) {
      author.books.add(new ArrayList<>(List.of("title " + i, "isbn " + i, i)));
    }
    for (long i = 0; i < 300; i++) {
      BackRef tag = new BackRef(author, i);
      author.tags.add(tag);
      author.tagsById.put(i, tag);
    }
    byte[] data = serialize(author);
    long work = StreamShape.check(data, 0, data.length, 1_000_000);
    assertTrue(work < 100_000, "work " + work);
  }

  static final class Author implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final List<Object> books = new ArrayList<>();
    final Set<BackRef> tags = new HashSet<>();
    final Map<Long, BackRef> tagsById = new HashMap<>();
  }

  /** An object that refers back to what holds it, hashed and compared by its id alone. */
  static final class BackRef implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Object holder;
    final long id;

    BackRef(Object holder, long id) {
      this.holder = holder;
      this.id = id;
    }

    @Override
    public int hashCode() {
      return Long.hashCode(id);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof BackRef r && r.id == id;
    }
  }

  @Test
  void entityGraphsWithBackReferencesStillPass() throws Exception {
    // an order whose items point back at it, in a map (hashed): the usual shape of a cached entity
    Map<Long, Order> orders = new HashMap<>();
    for (long id = 0; id < 100; id++) {
      Order order = new Order(id);
      for (int i = 0; i < 20; i++) {
        order.items.add(new Item(order, "sku-" + i));
      }
      orders.put(id, order);
    }
    byte[] data = serialize(orders);
    long work = StreamShape.check(data, 0, data.length, 1_000_000);
    assertTrue(work < 1_000_000, "work " + work);
    ClassLoader loader = new FilteringClassLoader(BackReferenceBombTest.class.getClassLoader(),
        DeserializationFilter.forTypes(List.of(), List.of(BackReferenceBombTest.class.getName() + "*"), 1 << 20));
    assertEquals(100, ((Map<?, ?>) JavaSerialization.deserialize(data, 0, data.length, loader)).size());
  }

  static final class Order implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final long id;
    final List<Item> items = new ArrayList<>();

    Order(long id) {
      this.id = id;
    }
  }

  static final class Item implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Order order;
    final String sku;

    Item(Order order, String sku) {
      this.order = order;
      this.sku = sku;
    }
  }
}
