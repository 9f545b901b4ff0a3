package io.github.newcache.internal.codec;

import java.util.Arrays;

/**
 * The cost model of {@link StreamShape}: for every object of a stream, as the stream is read, its
 * unfolded size, the fixed part of what hashing it takes, the open objects it reaches back to
 * ({@link Reached}), what it shows to a hash while it is open, and whether it holds a cycle of JDK
 * classes; and the stream's work, refused past the budget. Objects are numbered by their stream
 * handles. The grammar is {@link StreamShape}'s: it tells this what it reads, and this keeps the
 * result of the object read last ({@link #cost}, {@link #reached}, {@link #loops}).
 */
final class GraphCosts {

  private static final String CYCLE = "a collection that holds itself would be hashed, which recurses "
      + "until the stack overflows, repeating its work at every level";

  private final long budget;
  private long work;
  private int handles;
  private long[] sizes = new long[16];
  /** The fixed part of what hashing each object takes. */
  private long[] costs = new long[16];
  /**
   * The open objects each object reaches (null: none), the part of its cost that may still grow;
   * {@link #owns} says whether the object may change it in place.
   */
  private Reached[] reaches = new Reached[16];
  private boolean[] owns = new boolean[16];
  /** Objects whose reading has not finished. */
  private boolean[] open = new boolean[16];
  /** Objects whose hash is taken not to follow references back to open objects. */
  private boolean[] cuts = new boolean[16];
  /** Finished objects that reach themselves through JDK classes only: hashing them never ends. */
  private boolean[] cyclic = new boolean[16];
  /** Arrays: what they reach counts only where a hash walks them ({@link #byIdentity}). */
  private boolean[] array = new boolean[16];
  /**
   * What an object still being read already shows to a hash: its finished class slots, and what
   * its custom data linked so far. The fields of the slot being read are not assigned yet, nor a
   * map's key before its value is read, so meanwhile ({@link #hiding}) it shows what it held before.
   */
  private long[] visibleCosts = new long[16];
  private boolean[] hiding = new boolean[16];
  private Reached[] slotStart = new Reached[16];
  /** For each open object, one path to it: what a reference to it reaches. */
  private Reached[] single = new Reached[16];
  /** The fixed cost of the object read last. */
  private long cost;
  /** The open objects the object read last reaches; null when none. */
  private Reached reached;
  /** Whether the object read last is or holds a cycle of JDK classes. */
  private boolean loops;
  /** Whether the object read last is an array (new or referenced). */
  private boolean lastArray;
  /**
   * Values of open objects while one hash is valued: {@link #valued} marks which are current. Made
   * when a hash first reaches an open object.
   */
  private long[] values = new long[0];
  private int[] valued = new int[0];
  private int valuation;

  /** @param budget the work past which the stream is refused */
  GraphCosts(long budget) {
    this.budget = budget;
  }

  /** The work counted so far. */
  long work() {
    return work;
  }

  /** Handles given out so far. */
  int handles() {
    return handles;
  }

  /** A new handle, of size 1 (an object, a string, a class descriptor). */
  int newHandle() {
    if (handles == sizes.length) {
      int n = handles * 2;
      sizes = Arrays.copyOf(sizes, n);
      costs = Arrays.copyOf(costs, n);
      reaches = Arrays.copyOf(reaches, n);
      owns = Arrays.copyOf(owns, n);
      open = Arrays.copyOf(open, n);
      cuts = Arrays.copyOf(cuts, n);
      cyclic = Arrays.copyOf(cyclic, n);
      array = Arrays.copyOf(array, n);
      visibleCosts = Arrays.copyOf(visibleCosts, n);
      hiding = Arrays.copyOf(hiding, n);
      slotStart = Arrays.copyOf(slotStart, n);
      single = Arrays.copyOf(single, n);
    }
    sizes[handles] = 1;
    costs[handles] = 1;
    visibleCosts[handles] = 1;
    return handles++;
  }

  /**
   * Object {@code h} begins; {@code cuts}: its hash is taken not to follow references back to
   * open objects (an application's class; see {@link StreamShape}).
   */
  void open(int h, boolean cuts) {
    open[h] = true;
    this.cuts[h] = cuts;
  }

  /**
   * Array {@code h} begins. It keeps what it reaches, since the hash of a {@code Vector} or an
   * {@code Arrays.asList} list walks the array it stores, wherever that array was first read;
   * everywhere else an array hashes by its identity ({@link #byIdentity}).
   */
  void openArray(int h) {
    open[h] = true;
    array[h] = true;
  }

  /**
   * The object read last is held where its hash is its own: if it is an array, by its identity, so
   * to a hash it reaches nothing (its fixed cost stays counted, which only overestimates).
   */
  void byIdentity() {
    if (lastArray) {
      reached = null;
      loops = false;
    }
  }

  /**
   * Levels of a recursion through JDK collections' hashes that a default thread stack holds before
   * it overflows (about 11,000 measured).
   */
  private static final long STACK_LEVELS = 10_000;

  /**
   * What comparing a key with open object {@code h}, which holds itself, may take: what {@code h}
   * shows, hashed again at every level of the recursion until the stack overflows.
   */
  long selfComparison(int h) {
    newValuation();
    Reached r = hiding[h] ? slotStart[h] : reaches[h];
    long v = r == null ? visibleCosts[h] : plus(visibleCosts[h], valueOf(r, h));
    return times(STACK_LEVELS, v);
  }

  /** The fixed part of what hashing object {@code h} takes, so far: everything below it, deeply. */
  long fixedCost(int h) {
    return costs[h];
  }

  /** Whether the object read last is, or reaches, object {@code h} (still open). */
  boolean lastReaches(int h) {
    return reached != null && reached.pathsTo(h) > 0;
  }

  /** The object read last was null: nothing to hash. */
  void none() {
    cost = 0;
    reached = null;
    loops = false;
    lastArray = false;
  }

  /** The object read last has nothing below it (a string, a class, an enum constant). */
  void simple() {
    cost = 1;
    reached = null;
    loops = false;
    lastArray = false;
  }

  /** The object read last is a reference to handle {@code h}: its size. */
  long reference(int h) {
    lastArray = array[h];
    if (open[h]) {
      // An object still being read: as a part of what refers to it, 1 (so that an object that
      // refers to itself does not grow with each reference); to hash, what it shows when hashed.
      cost = 0;
      if (single[h] == null) {
        single[h] = Reached.of(h);
      }
      reached = single[h];
      loops = false;
      return 1;
    }
    cost = costs[h];
    loops = cyclic[h];
    reached = reachedNow(reaches[h]);
    return sizes[h];
  }

  /**
   * What {@code p}, taken when its objects were open, reaches now: each object that has finished
   * since is replaced by what it reached when it finished, its fixed cost added to {@link #cost};
   * one that reached itself at its close sets {@link #loops}.
   * A finished object reached only objects opened before it, so taking the newest first replaces
   * each object once; every step counts as work.
   */
  private Reached reachedNow(Reached p) {
    Reached now = p;
    for (int i = now == null ? -1 : now.size() - 1; i >= 0; i--) {
      int o = now.handle(i);
      if (open[o]) {
        continue;
      }
      held(1 + now.size());
      // o holds what reaches it: through JDK classes only when o reached itself at its close (a
      // hash of o never ends, nor one that reaches o); else an application's class cut the cycle.
      loops |= cyclic[o];
      if (now == p) {
        now = p.copy();
      }
      long n = now.remove(o);
      cost = plus(cost, times(costs[o], n));
      if (reaches[o] != null) {
        now.addAll(reaches[o], n); // handles below o only
        i = now.size(); // go on below o

        while (i > 0 && now.handle(i - 1) >= o) {
          i--;
        }
      }
    }
    return now == null || now.size() > 0 ? now : null;
  }

  /**
   * Object {@code h} is read: its size, with its cost in {@link #cost} and {@link #reached}. What
   * it reaches is shared from now on, never changed.
   *
   * <p>What an application's object or an array reaches is dropped here (see {@link StreamShape} on
   * cycles); a JDK object that reaches itself is {@link #cyclic}.
   */
  long close(int h) {
    open[h] = false;
    single[h] = null;
    Reached r = reaches[h];
    if (r != null && cuts[h]) {
      reaches[h] = null;
    } else if (r != null && r.pathsTo(h) > 0) {
      if (!owns[h]) {
        r = r.copy();
      }
      costs[h] = plus(costs[h], r.remove(h));
      reaches[h] = r.size() > 0 ? r : null;
      cyclic[h] = true;
    }
    owns[h] = false;
    cost = costs[h];
    reached = reaches[h];
    loops = cyclic[h];
    lastArray = array[h];
    return sizes[h];
  }

  /** Adds the object read last, of {@code size}, to object {@code h}, still being read. */
  void add(int h, long size) {
    sizes[h] = plus(sizes[h], size);
    costs[h] = plus(costs[h], cost);
    cyclic[h] |= loops && !cuts[h]; // an array's hash, or an application's, stops short of it
    if (reached == null) {
      return;
    }
    if (reaches[h] == null) {
      reaches[h] = reached; // shared until it changes
      owns[h] = false;
    } else {
      held(reached.size());
      if (!owns[h]) {
        reaches[h] = reaches[h].copy();
        owns[h] = true;
      }
      reaches[h].addAll(reached, 1);
    }
  }

  /**
   * What object {@code h} gets from now on is not assigned until {@link #showAll}: the fields of a
   * class slot, or a map's key until its value is read. Meanwhile it shows what it holds now.
   */
  void hideFromNow(int h) {
    hiding[h] = true;
    slotStart[h] = reaches[h];
    owns[h] = false; // slotStart shares it
  }

  /** What object {@code h} holds so far is assigned: a hash that reaches it from now on sees it. */
  void showAll(int h) {
    visibleCosts[h] = costs[h];
    hiding[h] = false;
    slotStart[h] = null;
  }

  /**
   * What hashing the object read last takes now: its fixed cost, plus, for each open object it
   * reaches, the paths to it times what that object shows now. Valuing counts as work too, so a
   * stream cannot make this reader itself slow.
   */
  long hashCostNow() {
    if (loops) {
      throw StreamShape.refusal(CYCLE);
    }
    if (reached == null) {
      return cost;
    }
    newValuation();
    return plus(cost, valueOf(reached, -1));
  }

  /** Starts valuing one hash: what open objects show is valued anew ({@link #shown}). */
  private void newValuation() {
    valuation++;
    if (values.length < handles) {
      values = Arrays.copyOf(values, sizes.length);
      valued = Arrays.copyOf(valued, sizes.length);
    }
  }

  /** What the objects of {@code r} show now, each times its paths, leaving out {@code self}. */
  private long valueOf(Reached r, int self) {
    held(r.size());
    long total = 0;
    for (int i = 0; i < r.size(); i++) {
      int o = r.handle(i);
      if (o != self) {
        total = plus(total, times(r.paths(i), shown(o)));
      }
    }
    return total;
  }

  /**
   * What open object {@code o} shows to a hash now: an application's object its finished part
   * alone (see {@link #close}). What a JDK object shows reaches only objects open before it, so this
   * ends; each is valued once per hash. A JDK object that shows a path back to itself is refused.
   */
  private long shown(int o) {
    if (valued[o] == valuation) {
      return values[o];
    }
    long v = visibleCosts[o];
    if (!cuts[o]) {
      Reached r = hiding[o] ? slotStart[o] : reaches[o];
      if (cyclic[o] || (r != null && r.pathsTo(o) > 0)) {
        throw StreamShape.refusal(CYCLE);
      }
      if (r != null) {
        v = plus(v, valueOf(r, o));
      }
    }
    valued[o] = valuation;
    values[o] = v;
    return v;
  }

  /** Counts one reference held by an object to something of {@code size}; returns {@code size}. */
  long held(long size) {
    work = plus(work, size);
    if (work > budget) {
      throw StreamShape.refusal("building its object graph would take more than " + budget
          + " steps (objects shared by reference many times over, as in a nested-set bomb)");
    }
    return size;
  }

  /** Saturating multiplication of two counts. */
  static long times(long a, long b) {
    long hi = Math.multiplyHigh(a, b);
    long lo = a * b;
    return hi != 0 || lo < 0 ? Long.MAX_VALUE : lo;
  }

  /** Saturating addition, so a huge graph cannot wrap around to a small number. */
  static long plus(long a, long b) {
    long s = a + b;
    return s < 0 ? Long.MAX_VALUE : s;
  }
}
