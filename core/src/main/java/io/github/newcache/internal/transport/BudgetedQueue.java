package io.github.newcache.internal.transport;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Predicate;
import net.spy.memcached.ops.CASOperation;
import net.spy.memcached.ops.KeyedOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.StoreOperation;

/**
 * One of a server's spymemcached queues (input, write or read), counting what its operations hold
 * against the server's {@link QueueBudget}. The input queue, where callers' operations enter, also
 * enforces it: its timed {@code offer} (the one spymemcached uses for callers, with {@code
 * opQueueWait}) waits for room and then refuses; a {@link BestEffort} send is refused without
 * waiting. Moves between queues and operations the client inserts itself are counted, never refused.
 *
 * <p>What an operation holds: its key, a fixed {@value #OVERHEAD} bytes for the operation, its
 * callback and future, and for a write its value; until it is written to the socket, also the
 * encoded command, a second copy of the value ({@code copied}); our own writes hold their encoded
 * command only ({@link EncodedSet}), and our batches of gets their keys' encoded forms and their
 * request ({@link GetBatch#heldBytes}). spymemcached 2.12.3 moves
 * operations with {@code offer}, {@code add}, {@code addAll}, {@code remove}, {@code drainTo} and
 * {@code peek}; those and the other single removals are counted here, and the bulk removals it never
 * uses ({@code removeIf}, {@code removeAll}, {@code retainAll}, an iterator's {@code remove}) are
 * refused rather than left uncounted.
 */
final class BudgetedQueue extends LinkedBlockingQueue<Operation> {

  private static final long serialVersionUID = 1L;
  /** Bytes an operation object, its callback, future and latch take beside key and value. */
  static final int OVERHEAD = 400;

  private final transient QueueBudget budget;
  private final boolean entrance;
  private final boolean copied;

  /**
   * @param entrance true for the input queue: callers' timed offers wait for room and may be refused
   * @param copied true while operations also hold their encoded command (input and write queues)
   */
  BudgetedQueue(int capacity, QueueBudget budget, boolean entrance, boolean copied) {
    super(capacity);
    this.budget = budget;
    this.entrance = entrance;
    this.copied = copied;
  }

  /** The bytes {@code op} holds while in this queue. */
  long weight(Operation op) {
    return switch (SHAPES.get(op.getClass())) {
      case REQUEST -> OVERHEAD + keyChars((KeyedOperation) op) + ((EncodedSet) op).requestBytes();
      case BATCH -> OVERHEAD + ((GetBatch) op).heldBytes();
      case STORE -> {
        StoreOperation store = (StoreOperation) op;
        yield OVERHEAD + keyChars(store) + data(store.getData());
      }
      case CAS -> {
        CASOperation cas = (CASOperation) op;
        yield OVERHEAD + keyChars(cas) + data(cas.getData());
      }
      case KEYED -> OVERHEAD + keyChars((KeyedOperation) op);
      case PLAIN -> OVERHEAD;
    };
  }

  private static long keyChars(KeyedOperation op) {
    long n = 0;
    for (String k : op.getKeys()) {
      n += k.length();
    }
    return n;
  }

  private long data(byte[] data) {
    return data == null ? 0 : copied ? 2L * data.length : data.length;
  }

  /** What an operation class holds beside {@link #OVERHEAD}: which of its parts are weighed. */
  private enum Shape { REQUEST, BATCH, STORE, CAS, KEYED, PLAIN }

  /**
   * Each operation class's {@link Shape}, found once. Testing every operation against the three
   * interfaces instead costs the IO thread more than the rest of its bookkeeping: on JDK 17 an
   * {@code instanceof} against an interface the class does not implement scans its interfaces,
   * and alternating interfaces evict each other from the class's one-entry cache.
   */
  private static final ClassValue<Shape> SHAPES = new ClassValue<>() {
    @Override
    protected Shape computeValue(Class<?> type) {
      if (EncodedSet.class.isAssignableFrom(type)) {
        return Shape.REQUEST;
      }
      if (GetBatch.class.isAssignableFrom(type)) {
        return Shape.BATCH;
      }
      if (StoreOperation.class.isAssignableFrom(type)) {
        return Shape.STORE;
      }
      if (CASOperation.class.isAssignableFrom(type)) {
        return Shape.CAS;
      }
      return KeyedOperation.class.isAssignableFrom(type) ? Shape.KEYED : Shape.PLAIN;
    }
  };

  @Override
  public boolean offer(Operation op, long timeout, TimeUnit unit) throws InterruptedException {
    if (!entrance) {
      return counted(op, super.offer(op, timeout, unit));
    }
    long w = weight(op);
    if (budget.tryTake(w)) {
      if (super.offer(op)) {
        return true; // room at once, the common case: no clock read, no timed lock
      }
      budget.release(w); // the queue is full: wait for room in both below
    }
    long deadline = System.nanoTime() + (BestEffort.sending() ? 0 : unit.toNanos(timeout));
    while (!budget.tryTake(w)) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return false;
      }
      LockSupport.parkNanos(this, Math.min(left, 1_000_000L)); // room appears as the IO thread drains
      if (Thread.interrupted()) {
        throw new InterruptedException();
      }
    }
    boolean added = super.offer(op, Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    if (!added) {
      budget.release(w);
    }
    return added;
  }

  @Override
  public boolean offer(Operation op) {
    return counted(op, super.offer(op));
  }

  @Override
  public void put(Operation op) throws InterruptedException {
    super.put(op);
    budget.take(weight(op));
  }

  @Override
  public Operation poll() {
    return released(super.poll());
  }

  @Override
  public Operation poll(long timeout, TimeUnit unit) throws InterruptedException {
    return released(super.poll(timeout, unit));
  }

  @Override
  public Operation take() throws InterruptedException {
    return released(super.take());
  }

  @Override
  public boolean remove(Object o) {
    boolean removed = super.remove(o);
    if (removed) {
      budget.release(weight((Operation) o));
    }
    return removed;
  }

  /**
   * Drains every operation out of this budget's queues: spymemcached's {@code destroyInputQueue},
   * after a lost connection, hands them back to the connection to send elsewhere or cancel.
   */
  @Override
  public int drainTo(Collection<? super Operation> c) {
    List<Operation> drained = drain(c, Integer.MAX_VALUE);
    c.addAll(drained);
    for (Operation op : drained) {
      budget.release(weight(op));
    }
    return drained.size();
  }

  /**
   * Drains up to {@code max} operations on their way to another queue of this budget, still
   * counted until they arrive there ({@link #addAll}): spymemcached's {@code copyInputQueue} drains
   * the input queue into a list and adds the list to the write queue.
   */
  @Override
  public int drainTo(Collection<? super Operation> c, int max) {
    List<Operation> drained = drain(c, max);
    long w = 0;
    for (Operation op : drained) {
      w += weight(op);
    }
    c.addAll(drained);
    budget.sent(c, w);
    return drained.size();
  }

  private List<Operation> drain(Collection<? super Operation> c, int max) {
    if (c == this) { // as BlockingQueue requires; draining into a list first would hide it
      throw new IllegalArgumentException("a queue cannot drain to itself");
    }
    List<Operation> drained = new ArrayList<>();
    super.drainTo(drained, max);
    return drained;
  }

  /**
   * Adds {@code c}; a batch drained from another queue of this budget ({@link QueueBudget#sent}) is
   * counted already, any other is counted as it enters.
   */
  @Override
  public boolean addAll(Collection<? extends Operation> c) {
    long counted = budget.arrived(c);
    if (counted < 0) {
      return super.addAll(c);
    }
    long w = 0;
    for (Operation op : c) {
      if (!super.offer(op)) {
        budget.release(counted - w);
        throw new IllegalStateException("Queue full");
      }
      w += weight(op);
    }
    budget.take(w - counted); // 0 unless this queue weighs its operations otherwise
    return !c.isEmpty();
  }

  @Override
  public void clear() {
    drainTo(new ArrayList<>());
  }

  @Override
  public boolean removeIf(Predicate<? super Operation> filter) {
    throw new UnsupportedOperationException("not counted against the queue's bytes");
  }

  @Override
  public boolean removeAll(Collection<?> c) {
    throw new UnsupportedOperationException("not counted against the queue's bytes");
  }

  @Override
  public boolean retainAll(Collection<?> c) {
    throw new UnsupportedOperationException("not counted against the queue's bytes");
  }

  @Override
  public Iterator<Operation> iterator() {
    Iterator<Operation> it = super.iterator();
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return it.hasNext();
      }

      @Override
      public Operation next() {
        return it.next();
      }
    };
  }

  private boolean counted(Operation op, boolean added) {
    if (added) {
      budget.take(weight(op));
    }
    return added;
  }

  private Operation released(Operation op) {
    if (op != null) {
      budget.release(weight(op));
    }
    return op;
  }
}
