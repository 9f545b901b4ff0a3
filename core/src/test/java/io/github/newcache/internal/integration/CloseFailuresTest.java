package io.github.newcache.internal.integration;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** What a close that goes on past its failures throws once every step has run. */
class CloseFailuresTest {

  @Test
  void everyStepRunsAndTheFirstErrorIsThrownWithTheOthersSuppressed() {
    IllegalStateException before = new IllegalStateException("before");
    NoClassDefFoundError first = new NoClassDefFoundError("first");
    NoClassDefFoundError second = new NoClassDefFoundError("second");
    IllegalArgumentException after = new IllegalArgumentException("after");
    List<String> ran = new ArrayList<>();
    CloseFailures closing = new CloseFailures();
    closing.run(() -> {
      ran.add("1");
      throw before;
    });
    closing.run(() -> {
      ran.add("2");
      throw first;
    });
    closing.run(() -> {
      ran.add("3");
      throw second;
    });
    closing.run(() -> {
      ran.add("4");
      throw after;
    });
    closing.run(() -> ran.add("5"));
    assertEquals(List.of("1", "2", "3", "4", "5"), ran);
    assertSame(first, assertThrows(NoClassDefFoundError.class, closing::throwIfAny));
    assertEquals(List.of(before, second, after), List.of(first.getSuppressed()));
  }

  @Test
  void withoutAnErrorTheFirstExceptionIsThrown() {
    IllegalStateException one = new IllegalStateException("one");
    IllegalStateException two = new IllegalStateException("two");
    CloseFailures closing = new CloseFailures();
    closing.run(() -> {
      throw one;
    });
    closing.run(() -> {
      throw two;
    });
    assertSame(one, assertThrows(IllegalStateException.class, closing::throwIfAny));
    assertEquals(List.of(two), List.of(one.getSuppressed()));
  }

  @Test
  void oneObjectThrownTwiceIsKeptOnce() {
    NoClassDefFoundError shared = new NoClassDefFoundError("shared");
    IllegalStateException logged = new IllegalStateException("logged");
    CloseFailures closing = new CloseFailures();
    for (int i = 0; i < 2; i++) {
      closing.add(shared);
      closing.run(() -> {
        throw logged;
      });
    }
    assertSame(shared, assertThrows(NoClassDefFoundError.class, closing::throwIfAny));
    assertEquals(List.of(logged), List.of(shared.getSuppressed()));
  }

  @Test
  void nothingFailedNothingThrown() {
    CloseFailures closing = new CloseFailures();
    closing.run(() -> {});
    assertDoesNotThrow(closing::throwIfAny);
  }
}
