package io.github.newcache.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.github.newcache.internal.key.Hashing;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListedKeysTest {

  @Test
  void keysOfTheDefaultShapeComeBackAsTheyWereAndOthersAsGiven() {
    String prefix = "prod-7-users-";
    ListedKeys listed = new ListedKeys(prefix);
    List<String> digestKeys = new ArrayList<>();
    for (int i = 0; i < 1000; i++) { // past the first capacity of 64
      String k = Hashing.md5Key(prefix, ("key " + i).getBytes());
      digestKeys.add(k);
      listed.add(k);
    }
    List<String> others = List.of(
        digestKeys.get(3) + ".lease",
        prefix + "ABCDEF0123456789abcdef0123456789", // upper-case digits would not format back
        prefix + "short",
        "other-1-users-0123456789abcdef0123456789abcdef");
    others.forEach(listed::add);

    List<String> expected = new ArrayList<>(digestKeys);
    expected.addAll(others);
    assertEquals(expected, listed);
    assertEquals(1004, listed.size());
    assertEquals(expected.subList(990, 1002), listed.subList(990, 1002));
    assertThrows(IndexOutOfBoundsException.class, () -> listed.get(1004));
  }

  @Test
  void anEmptyPrefixWorksToo() {
    ListedKeys listed = new ListedKeys("");
    String k = Hashing.md5Hex("x");
    listed.add(k);
    listed.add("x");
    assertEquals(List.of(k, "x"), listed);
  }
}
