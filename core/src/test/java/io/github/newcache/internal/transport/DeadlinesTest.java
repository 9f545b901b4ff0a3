package io.github.newcache.internal.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The sweep that times out operations in flight: order, answered ones, moved deadlines, close. */
class DeadlinesTest {

  private static final long TIMEOUT_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

  /** A deadline that records when it expired, asking once for {@code extraNanos} more when given. */
  private static final class Recorded extends Deadlines.Deadline {
    final String name;
    final List<String> expired;
    final CountDownLatch done;
    final AtomicInteger asked = new AtomicInteger();
    final long extraNanos;
    volatile long expiredAt;

    Recorded(String name, List<String> expired, CountDownLatch done, long extraNanos) {
      this.name = name;
      this.expired = expired;
      this.done = done;
      this.extraNanos = extraNanos;
    }

    @Override
    void closed() {
      if (settle()) {
        expired.add(name + " closed");
        done.countDown();
      }
    }

    @Override
    long expire(long now) {
      if (extraNanos > 0 && asked.getAndIncrement() == 0) {
        return now + extraNanos;
      }
      if (settle()) {
        expiredAt = now;
        expired.add(name);
        done.countDown();
      }
      return 0;
    }
  }

  @Test
  void unansweredOperationsExpireInOrderAfterTheTimeoutAndAnsweredOnesNever() throws Exception {
    List<String> expired = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(2);
    try (Deadlines deadlines = new Deadlines(TIMEOUT_NANOS)) {
      Recorded a = new Recorded("a", expired, done, 0);
      Recorded answered = new Recorded("answered", expired, done, 0);
      Recorded b = new Recorded("b", expired, done, 0);
      deadlines.add(a);
      deadlines.add(answered);
      deadlines.add(b);
      assertTrue(answered.settle(), "the answer settles it first");
      assertTrue(done.await(5, TimeUnit.SECONDS), "expired: " + expired);
      assertEquals(List.of("a", "b"), expired);
      assertTrue(a.expiredAt - a.start >= TIMEOUT_NANOS, "a expired " + (a.expiredAt - a.start) + " ns after it was sent");
      assertFalse(answered.settle(), "settled once");
    }
  }

  @Test
  void aDeadlineMovedOutExpiresAtItsNewDeadline() throws Exception {
    List<String> expired = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(2);
    long extra = TimeUnit.MILLISECONDS.toNanos(200);
    try (Deadlines deadlines = new Deadlines(TIMEOUT_NANOS)) {
      Recorded paused = new Recorded("paused", expired, done, extra);
      Recorded next = new Recorded("next", expired, done, 0);
      deadlines.add(paused);
      deadlines.add(next);
      assertTrue(done.await(5, TimeUnit.SECONDS), "expired: " + expired);
      assertEquals(List.of("next", "paused"), expired, "the one sent later is not held up by the moved deadline");
      assertTrue(paused.expiredAt - paused.start >= TIMEOUT_NANOS + extra, "expired " + (paused.expiredAt - paused.start) + " ns after sent");
    }
  }

  @Test
  void closingFailsWhatIsInFlightOnceAndNothingAnswered() {
    List<String> expired = new CopyOnWriteArrayList<>();
    CountDownLatch done = new CountDownLatch(3);
    Deadlines deadlines = new Deadlines(TimeUnit.SECONDS.toNanos(60));
    Recorded a = new Recorded("a", expired, done, 0);
    Recorded answered = new Recorded("answered", expired, done, 0);
    Recorded b = new Recorded("b", expired, done, 0);
    deadlines.add(a);
    deadlines.add(answered);
    deadlines.add(b);
    assertTrue(answered.settle());
    deadlines.close();
    assertEquals(List.of("a closed", "b closed"), expired, "failed by the close itself, long before their deadline");
    a.closed();
    assertEquals(2, expired.size(), "once");
  }

  /** A close that comes from the sweep's own thread (a deadline's continuation) interrupts nothing. */
  @Test
  void closingFromTheSweepInterruptsNothing() throws Exception {
    Deadlines deadlines = new Deadlines(TIMEOUT_NANOS);
    CountDownLatch done = new CountDownLatch(1);
    AtomicInteger interrupted = new AtomicInteger(-1);
    deadlines.add(new Deadlines.Deadline() {
      @Override
      long expire(long now) {
        if (settle()) {
          deadlines.close();
          interrupted.set(Thread.currentThread().isInterrupted() ? 1 : 0);
          done.countDown();
        }
        return 0;
      }

      @Override
      void closed() {
        settle();
      }
    });
    assertTrue(done.await(5, TimeUnit.SECONDS));
    assertEquals(0, interrupted.get(), "the sweep's thread was interrupted by the close it ran");
    assertTrue(deadlines.awaitClosed(5000), "the sweep's thread ended");
  }

  @Test
  void closedItRefusesNewOperationsAndItsThreadEnds() throws Exception {
    Deadlines deadlines = new Deadlines(TIMEOUT_NANOS);
    deadlines.add(new Recorded("x", new CopyOnWriteArrayList<>(), new CountDownLatch(1), 0));
    deadlines.close();
    assertThrows(RejectedExecutionException.class,
        () -> deadlines.add(new Recorded("y", new CopyOnWriteArrayList<>(), new CountDownLatch(1), 0)));
    assertTrue(deadlines.awaitClosed(5000), "the sweep's thread ended");
  }
}
