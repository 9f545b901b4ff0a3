package io.github.newcache.internal.transport;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import net.spy.memcached.ops.DeleteOperation;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.OperationCallback;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.ops.StoreOperation;
import net.spy.memcached.protocol.BaseOperationImpl;

/**
 * The callback of a blocking operation: holds what memcached answered and wakes the thread that
 * sent it, which waits with {@link OperationWait#await(java.util.function.BooleanSupplier)}. It
 * takes the place of the future spymemcached's client methods make, its latch, and the completion
 * listener a wait would add to it.
 *
 * <p>It also notes whether spymemcached cancelled or timed the operation out, which it reports with
 * its own statuses before completing it. So a waiter that sees neither knows the operation was
 * answered without asking the operation itself, whose getters lock it: spymemcached calls {@link
 * #complete()} while it holds that lock, and a waiter woken by the call and asking at once would
 * contend for it with the IO thread (measured: the woken caller spinning on the lock, about 6% of
 * its CPU in a single-thread get).
 */
abstract class Awaited implements OperationCallback {

  /** The thread to wake when it completes, or null when none waits (a non-blocking multi-get's). */
  private final Thread waiter;
  /** Written by the IO thread before {@link #done}, read by the waiter after it. */
  private OperationStatus status;
  /** Written by an IO thread before {@link #done}, read by the waiter after it. */
  private boolean abandoned;
  private volatile boolean done;

  /** Awaited by the thread making it. */
  Awaited() {
    this(Thread.currentThread());
  }

  Awaited(Thread waiter) {
    this.waiter = waiter;
  }

  @Override
  public final void receivedStatus(OperationStatus status) {
    this.status = status;
    noteAbandoned(status);
  }

  /** Remembers a cancellation or timeout reported by spymemcached. */
  final void noteAbandoned(OperationStatus status) {
    if (status == BaseOperationImpl.CANCELLED || status == BaseOperationImpl.TIMED_OUT) {
      abandoned = true;
    }
  }

  /**
   * Whether spymemcached cancelled or timed out the operation (one of them, for a batch) before it
   * completed; read after {@link #done}.
   */
  final boolean abandoned() {
    return abandoned;
  }

  @Override
  public final void complete() {
    done = true;
    if (waiter != null) {
      LockSupport.unpark(waiter);
    }
  }

  final boolean done() {
    return done;
  }

  /** memcached's answer (or spymemcached's, when it cancelled or timed the operation out). */
  final OperationStatus status() {
    return status;
  }

  /** A get's: also the value, when memcached found the key. */
  static final class Get extends Awaited implements MetaGetOperation.PartsCallback {
    private byte[] value;
    private byte[] tail;

    @Override
    public void gotData(String key, int flags, byte[] data) {
      value = data;
    }

    @Override
    public void gotParts(String key, byte[] head, byte[] tail) {
      this.value = head;
      this.tail = tail;
    }

    /** The value memcached answered, or null (not found, or the operation failed); read in one array. */
    byte[] value() {
      return tail == null ? value : new Parts(value, tail).whole();
    }

    /** The value memcached answered, as it was read, or null. */
    Parts parts() {
      return value == null ? null : new Parts(value, tail);
    }
  }

  /**
   * The answers of a multi-get sent as several operations, batches of keys ({@link #batch}) or
   * single-key gets (batches of one): each answer goes to its key's slot, and the waiter is woken
   * once, when the last operation completes; or, when no thread waits, {@code then} is run then, in
   * the IO thread that completed it.
   */
  static final class Gets extends Awaited {
    private final byte[][] values;
    /** The values' second parts, made by the IO thread at the first value read in two; else null. */
    private byte[][] tails;
    /** Operations made and not yet completed. */
    private final AtomicInteger left = new AtomicInteger();
    private final Runnable then;

    /** Awaited by the thread making it. */
    Gets(int n) {
      this.values = new byte[n][];
      this.then = null;
    }

    /** Awaited by no thread: {@code then} runs when the last operation completes. */
    Gets(int n, Runnable then) {
      super(null);
      this.values = new byte[n][];
      this.then = then;
    }

    /**
     * The callback of one more operation, the gets of {@code keys}, whose answers go to the slots
     * {@code slots}, one per key. Every operation's callback is made before the first is sent.
     */
    BatchCallback batch(String[] keys, int[] slots) {
      left.incrementAndGet();
      return new BatchCallback() {
        @Override
        public void gotValue(int index, byte[] head, byte[] tail) {
          int slot = slots[index];
          values[slot] = head;
          if (tail != null) {
            if (tails == null) {
              tails = new byte[values.length][];
            }
            tails[slot] = tail;
          }
        }

        @Override
        public void gotData(String key, int flags, byte[] data) {
          gotValue(indexOf(key), data, null);
        }

        @Override
        public void gotParts(String key, byte[] head, byte[] tail) {
          gotValue(indexOf(key), head, tail);
        }

        /** A single-key get, or a redistribution's clone of a batch, names the key. */
        private int indexOf(String key) {
          for (int i = 0; i < keys.length; i++) {
            if (keys[i].equals(key)) {
              return i;
            }
          }
          throw new IllegalStateException("an answer for " + key + ", which is not in the batch");
        }

        @Override
        public void receivedStatus(OperationStatus status) {
          // found, not found or failed: the caller reads failures from the operation, when
          // spymemcached gave up on one of them
          noteAbandoned(status);
        }

        /** spymemcached completes a cloned operation's callback again when it cancels it and its clones. */
        private final AtomicBoolean completed = new AtomicBoolean();

        @Override
        public void complete() {
          if (!completed.compareAndSet(false, true)) {
            return;
          }
          if (left.decrementAndGet() == 0) {
            Gets.this.complete();
            if (then != null) {
              then.run();
            }
          }
        }
      };
    }

    /** The value the {@code i}th key's get found, or null; in one array. */
    byte[] value(int i) {
      byte[] tail = tails == null ? null : tails[i];
      return tail == null ? values[i] : new Parts(values[i], tail).whole();
    }

    /** The value the {@code i}th key's get found, as it was read, or null. */
    Parts parts(int i) {
      return values[i] == null ? null : new Parts(values[i], tails == null ? null : tails[i]);
    }
  }

  /** A delete's: only the status. */
  static final class Delete extends Awaited implements DeleteOperation.Callback {
    @Override
    public void gotData(long cas) {
      // the deleted item's cas: not used
    }
  }

  /** A store's (set, add, replace): only the status. */
  static final class Store extends Awaited implements StoreOperation.Callback {
    @Override
    public void gotData(String key, long cas) {
      // the item's new cas: not used
    }
  }
}
