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
import java.util.Vector;
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

  /**
   * A list that holds itself, hashed by a set while it is read: the hash recurses into the list
   * until the stack overflows, hashing the rest of it again at every level (with 2^16 paths beside
   * it, thousands of levels times 2^17 steps: seconds, then a StackOverflowError).
   */
  @Test
  void aSetHashingAListThatHoldsItselfIsRefused() throws Exception {
    LinkedList<Object> l = new LinkedList<>();
    Set<Object> s = new HashSet<>();
    s.add(l);
    l.add(bomb(16));
    l.add(l);
    l.add(s);
    byte[] data = serialize(l);
    RejectedValueException e = assertThrows(RejectedValueException.class,
        () -> StreamShape.check(data, 0, data.length, 1_000_000));
    assertTrue(e.getMessage().contains("holds itself"), e.getMessage());
  }

  /**
   * A finished list that holds itself through the array a Vector or {@code Arrays.asList} keeps its
   * elements in, hashed by a set: their hashes walk the array (an array's own hash is its identity,
   * so an array alone stops a hash). 707 bytes took 3 s of CPU before the stack overflowed.
   */
  @Test
  void aSetHashingAListThatHoldsItselfThroughItsArrayIsRefused() throws Exception {
    // a set holding a Vector that holds itself: the set hashes it once it is read
    Vector<Object> v = new Vector<>();
    Set<Object> s = new HashSet<>();
    s.add(v); // hashed while empty here
    v.add(bomb(16));
    v.add(v);
    byte[] vector = serialize(s);
    assertThrows(RejectedValueException.class, () -> StreamShape.check(vector, 0, vector.length, 1_000_000));

    // a finished list that holds itself, hashed by a set read after it
    Object[] elements = new Object[2];
    List<Object> asList = java.util.Arrays.asList(elements);
    Set<Object> t = new HashSet<>();
    t.add(asList); // hashed with null elements here
    elements[0] = bomb(16);
    elements[1] = asList;
    byte[] fixed = serialize(new ArrayList<>(List.of(asList, t)));
    assertThrows(RejectedValueException.class, () -> StreamShape.check(fixed, 0, fixed.length, 1_000_000));
  }

  /**
   * A set that holds itself and then more: an element whose hash meets the one the set had when it
   * put itself is compared with it, and comparing sets hashes what the other holds, the set itself
   * again, at every level until the stack overflows (found by fuzzing). Holding little, that fails
   * fast, and the set passes; holding 2^12 paths, it would hash them ten thousand times over.
   */
  @Test
  void aSetThatHoldsItselfAndMuchIsRefusedBeforeItComparesItsNextElement() throws Exception {
    Set<Object> small = new HashSet<>();
    small.add(small); // hash 0, while empty
    Set<Object> x = new HashSet<>();
    small.add(x); // hash 0 too, but empty here, so not compared with the set
    x.add(new java.util.HashMap<>()); // read back, x has the set's size when it is put
    byte[] fails = serialize(small);
    StreamShape.check(fails, 0, fails.length, 1_000_000);

    Set<Object> s = new HashSet<>();
    s.add(s);
    s.add(new LinkedList<>(List.of(bomb(12), "a")));
    s.add(new LinkedList<>(List.of(bomb(12), "b"))); // whichever is put second is compared
    byte[] data = serialize(s);
    assertThrows(RejectedValueException.class, () -> StreamShape.check(data, 0, data.length, 1_000_000));
  }

  /**
   * An array is hashed by identity where it is first read, but an {@code Arrays.asList} list read
   * later, whose field refers back to it, walks it. Before, what the array reached was dropped
   * where it was first read: a set then hashed the list of {@code [b, itself]} until the stack
   * overflowed (14 levels, 551 bytes: 1.9 s), or a list reaching an open list that linked 2^20
   * paths was counted as 2 at any size (found by review).
   */
  @Test
  void anArrayReferredToAsAListsStorageIsWalked() throws Exception {
    Object[] arr = new Object[2];
    List<Object> list = java.util.Arrays.asList(arr);
    Set<Object> t = new HashSet<>();
    t.add(list); // hashed with null elements here
    arr[0] = bomb(14);
    arr[1] = list;
    byte[] cycle = serialize(new ArrayList<>(List.of(arr, t)));
    assertThrows(RejectedValueException.class, () -> StreamShape.check(cycle, 0, cycle.length, 1_000_000));

    LinkedList<Object> open = new LinkedList<>();
    Object[] holder = {open};
    Set<Object> u = new HashSet<>();
    u.add(java.util.Arrays.asList(holder)); // hashed while the list is empty
    open.add(holder);
    open.add(bomb(20));
    open.add(u);
    byte[] reach = serialize(open);
    assertThrows(RejectedValueException.class, () -> StreamShape.check(reach, 0, reach.length, 1_000_000));
  }

  /**
   * A throwable's cause is the throwable itself until one is set, and its hash is its identity: a
   * set holding exceptions is no cycle (it was refused as one).
   */
  @Test
  void aSetOfExceptionsPasses() throws Exception {
    Set<Object> failures = new HashSet<>();
    failures.add(new java.io.IOException("disk full"));
    failures.add(new IllegalStateException("closed", new RuntimeException("cause")));
    byte[] data = serialize(failures);
    long work = StreamShape.check(data, 0, data.length, 1_000_000);
    assertTrue(work < 100_000, "work " + work);
  }

  /**
   * Spring's SimpleKey, allowed by default, hashes its parameters with {@code Arrays.deepHashCode}
   * in its {@code readObject}: a key around 30 levels of shared arrays was read without being
   * counted (found by review).
   */
  @Test
  void aSpringSimpleKeyIsCountedAsHashingItsParameters() throws Exception {
    Object b = "leaf";
    for (int i = 0; i < 30; i++) {
      b = new Object[] {b, b};
    }
    byte[] data = serialize(new SimpleKeyLike(b));
    String standIn = SimpleKeyLike.class.getName();
    String spring = "org.springframework.cache.interceptor.SimpleKey";
    assertEquals(standIn.length(), spring.length());
    String text = new String(data, java.nio.charset.StandardCharsets.ISO_8859_1).replace(standIn, spring);
    byte[] renamed = text.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1);
    assertThrows(RejectedValueException.class, () -> StreamShape.check(renamed, 0, renamed.length, 1_000_000));
    StreamShape.check(data, 0, data.length, 1_000_000); // the stand-in's own readObject hashes nothing
  }

  /**
   * Hashtables stop a hash that comes back to the same table, so a list of 10 tables that each map
   * to the list is hashed once for every order of the tables (e times 10!: about a second in a
   * 513-byte stream, hours with a few more tables).
   */
  @Test
  void aListReachingItselfThroughHashtablesIsRefused() throws Exception {
    LinkedList<Object> l = new LinkedList<>();
    Set<Object> s = new HashSet<>();
    s.add(l);
    l.add("leaf");
    for (int i = 0; i < 10; i++) {
      java.util.Hashtable<Object, Object> h = new java.util.Hashtable<>();
      h.put("k", l);
      l.add(h);
    }
    l.add(s);
    byte[] data = serialize(l);
    assertThrows(RejectedValueException.class, () -> StreamShape.check(data, 0, data.length, 1_000_000));
  }

  /**
   * Entities whose back-references close cycles (an item knows its order, the order its
   * customer) cost what they hold, not the whole graph they are part of: a hash that followed a
   * back-reference would never end, so their classes' hashes stop short of it. A snapshot of a
   * customer with 500 orders of 10 items, and a set of 100 of those items, was refused.
   */
  @Test
  void itemsOfACustomerGraphInASetCostWhatTheyHold() throws Exception {
    Snapshot snapshot = new Snapshot();
    long id = 0;
    for (int o = 0; o < 500; o++) {
      Order order = new Order(o);
      order.customer = snapshot.customer;
      snapshot.customer.orders.add(order);
      for (int i = 0; i < 10; i++, id++) {
        Item item = new Item(order, "sku-" + id);
        order.items.add(item);
        if (id % 50 == 0) {
          snapshot.favourites.add(item);
        }
      }
    }
    byte[] data = serialize(snapshot);
    long work = StreamShape.check(data, 0, data.length, 1_000_000);
    assertTrue(work < 10_000, "work " + work);
  }

  static final class Customer implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final List<Order> orders = new ArrayList<>();
  }

  static final class Snapshot implements java.io.Serializable {
    private static final long serialVersionUID = 1L;
    final Customer customer = new Customer();
    final Set<Item> favourites = new HashSet<>();
  }

  /**
   * A class hierarchy deeper than any real one is refused before its instances are read: each
   * instance walks its classes, and 160,000 instances of a 1,000-deep hierarchy fit in 1 MB.
   */
  @Test
  void aHierarchyDeeperThan100ClassesIsRefused() throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    java.io.DataOutputStream out = new java.io.DataOutputStream(bytes);
    out.writeShort(0xACED);
    out.writeShort(5);
    out.writeByte(0x73); // an object of class C100, whose superclass is C99, ... C0
    for (int i = 100; i >= 0; i--) {
      out.writeByte(0x72);
      out.writeUTF("C" + i);
      out.writeLong(1);
      out.writeByte(0x02); // Serializable, no fields
      out.writeShort(0);
      out.writeByte(0x78); // no class annotation; the superclass follows
    }
    out.writeByte(0x70); // C0 has none
    byte[] data = bytes.toByteArray();
    RejectedValueException e = assertThrows(RejectedValueException.class,
        () -> StreamShape.check(data, 0, data.length, 1_000_000));
    assertTrue(e.getMessage().contains("hierarchy"), e.getMessage());
  }

  /** 24 shared lists: 2^24 paths in 24 objects. */
  private static Object bomb() {
    return bomb(24);
  }

  /** {@code levels} shared lists: 2^levels paths. */
  private static Object bomb(int levels) {
    Object b = "leaf";
    for (int i = 0; i < levels; i++) {
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
    Customer customer;

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
