package io.github.newcache.internal.codec;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ReachedTest {

  private static String show(Reached r) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < r.size(); i++) {
      s.append(r.handle(i)).append('x').append(r.paths(i)).append(' ');
    }
    return s.toString().trim();
  }

  @Test
  void keepsHandlesInOrderAndAddsPathsOfTheSameHandle() {
    Reached r = Reached.of(5);
    r.add(2, 3);
    r.add(9, 1);
    r.add(5, 4);
    assertEquals("2x3 5x5 9x1", show(r));
  }

  @Test
  void addsAnotherTimesItsPathsInOnePass() {
    Reached r = Reached.of(2);
    r.add(7, 2);
    Reached other = Reached.of(1);
    other.add(7, 1);
    other.add(8, 5);
    r.addAll(other, 3);
    assertEquals("1x3 2x1 7x5 8x15", show(r));
    assertEquals("1x1 7x1 8x5", show(other));
  }

  @Test
  void pathsSaturateInsteadOfWrappingAround() {
    Reached r = Reached.of(1);
    r.add(1, Long.MAX_VALUE);
    assertEquals(Long.MAX_VALUE, r.pathsTo(1));
    Reached other = Reached.of(1);
    other.add(1, Long.MAX_VALUE / 2);
    Reached doubled = Reached.of(3);
    doubled.addAll(other, 4);
    assertEquals(Long.MAX_VALUE, doubled.pathsTo(1));
  }

  @Test
  void removingReturnsThePathsAndACopyIsIndependent() {
    Reached r = Reached.of(4);
    r.add(6, 2);
    Reached copy = r.copy();
    assertEquals(2, r.remove(6));
    assertEquals(0, r.remove(6));
    assertEquals("4x1", show(r));
    assertEquals("4x1 6x2", show(copy));
  }
}
