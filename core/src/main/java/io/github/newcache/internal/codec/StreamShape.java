package io.github.newcache.internal.codec;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Set;

/**
 * Reads the shape of a Java serialization stream without loading a class or creating an object,
 * and refuses a stream whose object graph would cost more than a budget to build.
 *
 * <p>Why: deserializing runs {@code hashCode} (and {@code equals}) on every element put into a
 * {@code HashSet}, {@code HashMap} or {@code Hashtable}, and a collection's hash visits everything
 * it contains. A stream can share objects by reference, so a 1.5 KB stream of 30 nested sets that
 * each hold the two sets of the next level makes one {@code hashCode} visit 2^30 elements: minutes
 * of CPU in one {@code get}, with every class on the allow-list and every JEP 290 limit (depth,
 * references, bytes) respected. No filter callback runs inside such a {@code hashCode}, so a time
 * limit checked there cannot stop it either. What bounds it is the graph: the work of hashing an
 * object is at most the number of paths below it.
 *
 * <p>So this walks the stream grammar (Java Object Serialization Specification, chapter 6) once,
 * and for every object computes its <em>unfolded size</em>: the size of its subgraph counted as a
 * tree, so an object reachable by two paths counts twice (a reference back to an object still being
 * read, a cycle, counts as one). Its <em>cost</em>, what hashing it takes, is the same, except that
 * a reference back to an object still being read costs what that object shows <em>when the hash
 * runs</em>: its finished class slots and the custom data it linked by then (a {@code LinkedList}
 * links its elements as it reads them, so a set read further on that holds the list, or holds
 * something that reaches it, hashes them all), not the fields of the slot being read, which are
 * assigned only once that slot's fields are all read. An object that is finished keeps reaching the
 * open objects it refers to while they grow, so its cost is kept in two parts: a fixed part, and the
 * open objects it reaches with the number of paths to each ({@link Reached}), valued when it is
 * hashed. The size, which is what parents add up, keeps counting such a reference as one, so an
 * object that refers to itself many times does not grow with every reference. Collections write
 * their elements as custom data after their fields, and those that hash or compare their elements
 * while being read do it to exactly those objects; so the cost of every object held in the custom
 * data of a class that may hash it adds to the stream's <em>work</em>, the number of steps its
 * hashing can take. Lists, queues, sorted and identity maps ({@link #NOT_HASHING}) store their
 * elements without looking at them, and references in plain fields are not hashed by the JDK while
 * reading; neither counts. Keeping and valuing what parts reach counts as work as well, so a stream
 * cannot make this reader slow either. The stream is refused once its work passes the budget,
 * before anything is created.
 *
 * <p>Cycles: a reference back to an object still being read closes a cycle once that object is
 * read, and a hash that followed it would never end. The JDK's collections and entries follow
 * every reference, so a hash of one that reaches itself through them alone is refused (it would
 * recurse until the stack overflows, redoing all else it holds at every level; through {@code
 * Hashtable}s, which stop only at themselves, once per order of the tables). An application's
 * class whose hash returns must stop short of such a reference (hashing an id, or nothing), and
 * an array's hash is its identity (unless it is the storage of a {@code Vector} or an {@code
 * Arrays.asList} list, whose hashes walk it): what they reach back to is
 * not counted. An allow-listed class whose hash does follow a reference back into the graph is
 * not bounded by this check, and no deadline stops a hash once it runs: the allow-list is what
 * keeps such classes out.
 *
 * <p>A stream this reader cannot follow is refused too: one whose class writes custom data
 * without first writing its fields ({@code defaultWriteObject} or {@code writeFields}, which the
 * specification requires), an {@code Externalizable} written in the pre-1.2 protocol, or a stream
 * holding a write-aborted marker. Cost: one pass over the bytes, no class loading, a few
 * allocations per class descriptor and per object that refers back to an open one.
 */
final class StreamShape {

  private static final short MAGIC = (short) 0xACED;
  private static final short VERSION = 5;
  private static final int BASE_HANDLE = 0x7E0000;
  private static final byte TC_NULL = 0x70;
  private static final byte TC_REFERENCE = 0x71;
  private static final byte TC_CLASSDESC = 0x72;
  private static final byte TC_OBJECT = 0x73;
  private static final byte TC_STRING = 0x74;
  private static final byte TC_ARRAY = 0x75;
  private static final byte TC_CLASS = 0x76;
  private static final byte TC_BLOCKDATA = 0x77;
  private static final byte TC_ENDBLOCKDATA = 0x78;
  private static final byte TC_RESET = 0x79;
  private static final byte TC_BLOCKDATALONG = 0x7A;
  private static final byte TC_LONGSTRING = 0x7C;
  private static final byte TC_PROXYCLASSDESC = 0x7D;
  private static final byte TC_ENUM = 0x7E;
  private static final int SC_WRITE_METHOD = 0x01;
  private static final int SC_SERIALIZABLE = 0x02;
  private static final int SC_EXTERNALIZABLE = 0x04;
  private static final int SC_BLOCK_DATA = 0x08;
  /**
   * Nesting this reader follows before it refuses, so a deep stream cannot overflow its stack;
   * well above the filter's depth limit, which the deserializer enforces exactly.
   */
  private static final int MAX_NESTING = 256;
  /** Classes (with their superclasses) this reader follows before it refuses; no real one is near. */
  private static final int MAX_HIERARCHY = 100;

  /**
   * Classes that store what their custom data holds without hashing or comparing it while being
   * read: lists, queues, and maps that place entries by order, identity or ordinal. References in
   * their custom data cost nothing extra; everyone else's might be hashed and are counted.
   */
  private static final Set<String> NOT_HASHING =
      Set.of(
          "java.util.ArrayList",
          "java.util.LinkedList",
          "java.util.ArrayDeque",
          "java.util.Vector",
          "java.util.TreeMap",
          "java.util.TreeSet",
          "java.util.IdentityHashMap",
          "java.util.EnumMap",
          "java.util.concurrent.CopyOnWriteArrayList",
          "java.util.concurrent.ConcurrentLinkedQueue",
          "java.util.concurrent.ConcurrentLinkedDeque",
          "java.util.concurrent.LinkedBlockingQueue",
          "java.util.concurrent.LinkedBlockingDeque");

  /**
   * Lists that keep their elements in an array field, which their hash walks: an array anywhere
   * else hashes by identity, stopping a hash.
   */
  private static final Set<String> ARRAY_STORAGE = Set.of("java.util.Vector", "java.util.Arrays$ArrayList");

  /**
   * JDK classes whose hash is their identity, as is their subclasses': a {@code Throwable}'s
   * {@code cause} is the throwable itself until one is set, which is no cycle to its hash.
   */
  private static final Set<String> IDENTITY_HASHED = Set.of("java.lang.Throwable");

  /**
   * Classes whose {@code readObject} hashes their own fields once they are read: Spring's {@code
   * SimpleKey} (allowed by default) computes {@code Arrays.deepHashCode} of its parameters.
   */
  private static final Set<String> HASHES_OWN_FIELDS = Set.of("org.springframework.cache.interceptor.SimpleKey");

  /**
   * Maps whose custom data holds each key then its value, and that hash only the keys while being
   * read: their values' cost is not work.
   */
  private static final Set<String> KEYS_THEN_VALUES =
      Set.of(
          "java.util.HashMap",
          "java.util.LinkedHashMap",
          "java.util.Hashtable",
          "java.util.Properties",
          "java.util.concurrent.ConcurrentHashMap");

  /**
   * A class descriptor: what an instance's data looks like, and whether the class may hash what
   * its custom data holds.
   */
  private static final class Desc {
    final int flags;
    final byte[] fieldTypes;
    final Desc parent;
    final char arrayElement;
    final boolean hashes;
    /** Its custom data holds keys and values in turn, and only the keys are hashed. */
    final boolean keysOnly;
    /**
     * Not a JDK class (an application's, a proxy): its hash is taken not to follow a
     * reference back to an object still being read (see the class comment on cycles).
     */
    final boolean cuts;
    /** Its fields hold an array its hash walks: its elements ({@link #ARRAY_STORAGE}). */
    final boolean arrayStorage;
    /** It is, or extends, a class of {@link #IDENTITY_HASHED}. */
    final boolean identityHashed;
    /** Its {@code readObject} hashes its fields ({@link #HASHES_OWN_FIELDS}). */
    final boolean hashesOwnFields;
    /** This class and its superclasses, this first; made when first needed. */
    Desc[] chain;

    Desc(int flags, byte[] fieldTypes, Desc parent, char arrayElement, boolean hashes, boolean keysOnly,
        boolean cuts, boolean arrayStorage, boolean identityHashed, boolean hashesOwnFields) {
      this.flags = flags;
      this.fieldTypes = fieldTypes;
      this.parent = parent;
      this.arrayElement = arrayElement;
      this.hashes = hashes;
      this.keysOnly = keysOnly;
      this.cuts = cuts;
      this.arrayStorage = arrayStorage;
      this.identityHashed = identityHashed || (parent != null && parent.identityHashed);
      this.hashesOwnFields = hashesOwnFields;
    }
  }

  private final byte[] b;
  private final int end;
  private int pos;
  private final GraphCosts g;
  private Desc[] descs = new Desc[16];
  private int nesting;

  private StreamShape(byte[] data, int offset, int length, long budget) {
    this.b = data;
    this.pos = offset;
    this.end = offset + length;
    this.g = new GraphCosts(budget);
  }

  /**
   * Throws {@link RejectedValueException} when the stream's graph would take more than {@code
   * budget} units of work (see the class comment) or cannot be followed; returns its work
   * otherwise.
   */
  static long check(byte[] data, int offset, int length, long budget) {
    StreamShape s = new StreamShape(data, offset, length, budget);
    try {
      if (s.u2() != (MAGIC & 0xffff) || s.u2() != VERSION) {
        throw s.refuse("not a Java serialization stream");
      }
      while (s.peek() == TC_RESET) {
        s.pos++;
      }
      s.object();
      return s.g.work();
    } catch (ArrayIndexOutOfBoundsException | NegativeArraySizeException e) {
      throw s.refuse("a truncated or malformed serialization stream");
    }
  }

  /** Reads one object (any {@code object} of the grammar); returns its unfolded size. */
  private long object() {
    return object(false);
  }

  /**
   * {@link #object()}; {@code storage}: it is read as a field of a class of {@link #ARRAY_STORAGE},
   * so an array read or referred to there holds elements the object's hash walks. Anywhere else
   * an array hashes by its identity.
   */
  private long object(boolean storage) {
    if (++nesting > MAX_NESTING) {
      throw refuse("objects nested more than " + MAX_NESTING + " deep");
    }
    try {
      long size = element(u1());
      if (!storage) {
        g.byIdentity();
      }
      return size;
    } finally {
      nesting--;
    }
  }

  private long element(byte tc) {
    return switch (tc) {
      case TC_NULL -> {
        g.none();
        yield 0;
      }
      case TC_REFERENCE -> reference();
      case TC_STRING -> {
        skip(u2());
        yield leaf();
      }
      case TC_LONGSTRING -> {
        skip(length(s8()));
        yield leaf();
      }
      case TC_CLASS -> {
        desc();
        yield leaf();
      }
      case TC_CLASSDESC, TC_PROXYCLASSDESC -> {
        descriptor(tc);
        g.simple();
        yield 1;
      }
      case TC_ENUM -> enumConstant();
      case TC_ARRAY -> array();
      case TC_OBJECT -> instance();
      default -> throw refuse("stream element 0x" + Integer.toHexString(tc & 0xff) + " where an object belongs");
    };
  }

  private long enumConstant() {
    desc();
    newHandle(null);
    object(); // the constant's name
    g.simple();
    return 1;
  }

  private long reference() {
    int h = s4() - BASE_HANDLE;
    if (h < 0 || h >= g.handles()) {
      throw refuse("a reference to a handle that does not exist");
    }
    return g.reference(h);
  }

  private long leaf() {
    newHandle(null);
    g.simple();
    return 1;
  }

  private long array() {
    Desc d = desc();
    if (d == null || d.arrayElement == 0) {
      throw refuse("an array whose class is not an array class");
    }
    int h = newHandle(null);
    g.openArray(h);
    int n = s4();
    if (n < 0) {
      throw refuse("an array of negative length " + n);
    }
    int width = primitiveWidth(d.arrayElement);
    if (width > 0) {
      skip((long) n * width);
    } else {
      for (int i = 0; i < n; i++) {
        g.add(h, object());
        g.showAll(h);
      }
    }
    return g.close(h);
  }

  private long instance() {
    Desc d = desc();
    if (d == null) {
      throw refuse("an object without a class descriptor");
    }
    int h = newHandle(null);
    g.open(h, d.cuts || d.identityHashed);
    Desc[] chain = chain(d);
    for (int i = chain.length - 1; i >= 0; i--) { // superclass first, as written
      Desc c = chain[i];
      if ((c.flags & SC_SERIALIZABLE) != 0) {
        g.hideFromNow(h);
        fields(c, h);
        g.showAll(h); // assigned once the slot's fields are read (defaultReadObject)
        if (c.hashesOwnFields) {
          g.held(g.fixedCost(h)); // all it holds so far, arrays included (deepHashCode)
        }
        if ((c.flags & SC_WRITE_METHOD) != 0) {
          annotation(c, h);
        }
      } else if ((c.flags & SC_EXTERNALIZABLE) != 0) {
        if ((c.flags & SC_BLOCK_DATA) == 0) {
          throw refuse("an Externalizable object in the pre-1.2 stream protocol");
        }
        annotation(c, h);
      }
    }
    return g.close(h);
  }

  private void fields(Desc c, int h) {
    for (byte type : c.fieldTypes) {
      int width = primitiveWidth((char) type);
      if (width > 0) {
        skip(width);
      } else {
        g.add(h, object(c.arrayStorage));
      }
    }
  }

  /**
   * Block data and objects up to the end marker: custom data of object {@code h} written by the
   * class {@code holder}, or a class annotation ({@code holder} null, {@code h} -1). When the holder
   * may hash what its custom data holds, the cost of every object read here is work (of every other
   * one, the keys, for the maps of {@link #KEYS_THEN_VALUES}).
   */
  private void annotation(Desc holder, int h) {
    int objects = 0;
    boolean holdsItself = false;
    while (true) {
      byte tc = peek();
      if (tc == TC_ENDBLOCKDATA) {
        pos++;
        return;
      } else if (tc == TC_BLOCKDATA) {
        pos++;
        skip(u1() & 0xff);
      } else if (tc == TC_BLOCKDATALONG) {
        pos++;
        skip(length(s4()));
      } else {
        long held = object();
        if (holder != null && holder.hashes && !(holder.keysOnly && objects % 2 == 1)) {
          if (holdsItself) {
            // A key whose hash meets an earlier key's is compared with it, and comparing sets
            // hashes what the other holds: this set again, at every level until the stack
            // overflows. Small, that fails fast; holding much, it is refused.
            g.held(g.selfComparison(h));
          }
          g.held(g.hashCostNow());
          holdsItself |= h >= 0 && g.lastReaches(h);
        }
        objects++;
        if (h >= 0) {
          boolean key = holder.keysOnly && objects % 2 == 1;
          if (key) {
            g.hideFromNow(h); // a map puts a key with its value, once both are read
          }
          g.add(h, held);
          if (!key) {
            g.showAll(h); // custom data is linked as it is read
          }
        }
      }
    }
  }


  /** A class descriptor, new or referenced; null for {@code TC_NULL}. */
  private Desc desc() {
    if (++nesting > MAX_NESTING) {
      throw refuse("class descriptors nested more than " + MAX_NESTING + " deep");
    }
    try {
      return descriptor(u1());
    } finally {
      nesting--;
    }
  }

  private Desc descriptor(byte tc) {
    return switch (tc) {
      case TC_NULL -> null;
      case TC_REFERENCE -> referencedDesc();
      case TC_CLASSDESC -> classDesc();
      case TC_PROXYCLASSDESC -> proxyDesc();
      default -> throw refuse(
          "stream element 0x" + Integer.toHexString(tc & 0xff) + " where a class descriptor belongs");
    };
  }

  private Desc referencedDesc() {
    int h = s4() - BASE_HANDLE;
    Desc d = h < 0 || h >= g.handles() ? null : descs[h];
    if (d == null) {
      throw refuse("a reference to a class descriptor that does not exist");
    }
    return d;
  }

  private Desc classDesc() {
    int nameLength = u2();
    int nameAt = pos;
    char arrayElement = nameLength > 1 && peek() == '[' ? (char) b[pos + 1] : 0;
    skip(nameLength + 8L); // name and serialVersionUID
    String name = new String(b, nameAt, nameLength, StandardCharsets.UTF_8);
    boolean hashes = !NOT_HASHING.contains(name);
    int h = newHandle(null);
    int flags = u1();
    int count = u2();
    byte[] types = new byte[count];
    for (int i = 0; i < count; i++) {
      types[i] = u1();
      skip(u2()); // field name
      if (types[i] == '[' || types[i] == 'L') {
        object(); // the field's type name, a string
      } else if (primitiveWidth((char) types[i]) == 0) {
        throw refuse("a field of unknown type code " + (types[i] & 0xff));
      }
    }
    annotation(null, -1);
    Desc d = new Desc(flags, types, desc(), arrayElement, hashes, KEYS_THEN_VALUES.contains(name),
        !name.startsWith("java."), ARRAY_STORAGE.contains(name), IDENTITY_HASHED.contains(name),
        HASHES_OWN_FIELDS.contains(name));
    descs[h] = d;
    return d;
  }

  private Desc proxyDesc() {
    int h = newHandle(null);
    int interfaces = s4();
    for (int i = 0; i < interfaces; i++) {
      skip(u2());
    }
    annotation(null, -1);
    Desc d = new Desc(SC_SERIALIZABLE, new byte[0], desc(), (char) 0, true, false, true, false, false, false);
    descs[h] = d;
    return d;
  }

  private Desc[] chain(Desc d) {
    if (d.chain != null) {
      return d.chain;
    }
    int n = 0;
    for (Desc c = d; c != null; c = c.parent) {
      if (++n > MAX_HIERARCHY) {
        throw refuse("a class hierarchy deeper than " + MAX_HIERARCHY);
      }
    }
    Desc[] out = new Desc[n];
    int i = 0;
    for (Desc c = d; c != null; c = c.parent) {
      out[i++] = c;
    }
    d.chain = out;
    return out;
  }

  /** A new handle, for a class descriptor {@code desc} or (null) anything else. */
  private int newHandle(Desc desc) {
    int h = g.newHandle();
    if (h >= descs.length) {
      descs = Arrays.copyOf(descs, 2 * descs.length);
    }
    descs[h] = desc;
    return h;
  }

  private static int primitiveWidth(char type) {
    return switch (type) {
      case 'B', 'Z' -> 1;
      case 'C', 'S' -> 2;
      case 'I', 'F' -> 4;
      case 'J', 'D' -> 8;
      default -> 0;
    };
  }

  private void skip(long n) {
    if (n < 0 || n > end - pos) {
      throw new ArrayIndexOutOfBoundsException();
    }
    pos += (int) n;
  }

  private static long length(long n) {
    if (n < 0) {
      throw new NegativeArraySizeException();
    }
    return n;
  }

  private byte peek() {
    if (pos >= end) {
      throw new ArrayIndexOutOfBoundsException();
    }
    return b[pos];
  }

  private byte u1() {
    byte v = peek();
    pos++;
    return v;
  }

  private int u2() {
    return ((u1() & 0xff) << 8) | (u1() & 0xff);
  }

  private int s4() {
    return (u2() << 16) | u2();
  }

  private long s8() {
    return ((long) s4() << 32) | (s4() & 0xffffffffL);
  }

  private RejectedValueException refuse(String why) {
    return refusal(why);
  }

  /** The exception that refuses a stream, saying {@code why}. */
  static RejectedValueException refusal(String why) {
    return new RejectedValueException("refused to deserialize a stored value: " + why);
  }
}
