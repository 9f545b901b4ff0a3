package io.github.newcache.internal.transport;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import net.spy.memcached.OperationFactory;
import net.spy.memcached.ops.GetOperation;
import net.spy.memcached.ops.KeyedOperation;
import net.spy.memcached.ops.Operation;
import net.spy.memcached.ops.OperationStatus;
import net.spy.memcached.protocol.BaseOperationImpl;
import net.spy.memcached.protocol.ascii.AsciiOperationFactory;
import net.spy.memcached.protocol.binary.BinaryOperationFactory;

/**
 * spymemcached's operation factories, but for how they clone a batch of gets of ours ({@link
 * GetBatch}). spymemcached clones an operation it moves to another server (failure mode {@code
 * redistribute}, a connection lost with operations queued for it, an operation queued while its
 * connection authenticates) into one get per key. Its own clones of a multi-get share one callback
 * that passes on only the last clone's status, so a clone cancelled on the way would read as a miss
 * of its key. These clones pass every status on to the batch's callback, which notes a
 * cancellation or timeout ({@link Awaited#abandoned}), and complete it once, with the last, noting
 * a clone memcached answered with an error as cancelled too.
 */
final class BatchClones implements GetOperation.Callback {

  private final BatchCallback batch;
  private final AtomicInteger left;
  /** The clones, set before any is sent. */
  private List<Operation> clones;

  private BatchClones(BatchCallback batch, int keys) {
    this.batch = batch;
    this.left = new AtomicInteger(keys);
  }

  /** spymemcached's factory for the protocol, cloning batches of ours as the class comment says. */
  static OperationFactory factory(boolean binary) {
    return binary ? new Binary() : new Ascii();
  }

  /** One get per key of {@code op}, made by {@code factory}, all reporting to the batch's callback. */
  static Collection<Operation> of(OperationFactory factory, GetBatch op) {
    String[] keys = op.keys().names();
    BatchClones callback = new BatchClones((BatchCallback) op.getCallback(), keys.length);
    List<Operation> out = new ArrayList<>(keys.length);
    for (String key : keys) {
      out.add(factory.get(key, callback));
    }
    callback.clones = out;
    return out;
  }

  @Override
  public void gotData(String key, int flags, byte[] data) {
    batch.gotData(key, flags, data);
  }

  @Override
  public void receivedStatus(OperationStatus status) {
    batch.receivedStatus(status);
  }

  /** With the last clone: a clone memcached answered with an error counts as one cancelled. */
  @Override
  public void complete() {
    if (left.decrementAndGet() != 0) {
      return;
    }
    for (Operation c : clones) {
      if (c.hasErrored()) {
        batch.receivedStatus(BaseOperationImpl.CANCELLED);
        break;
      }
    }
    batch.complete();
  }

  private static final class Ascii extends AsciiOperationFactory {
    @Override
    protected Collection<? extends Operation> cloneGet(KeyedOperation op) {
      return op instanceof GetBatch batch ? of(this, batch) : super.cloneGet(op);
    }
  }

  private static final class Binary extends BinaryOperationFactory {
    @Override
    protected Collection<? extends Operation> cloneGet(KeyedOperation op) {
      return op instanceof GetBatch batch ? of(this, batch) : super.cloneGet(op);
    }
  }
}
