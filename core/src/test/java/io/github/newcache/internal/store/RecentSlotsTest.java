package io.github.newcache.internal.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.github.newcache.internal.key.KeyForms;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link RecentSlots}: what it keeps, for whom, and that a replaced place is a miss, never another key's slot. */
class RecentSlotsTest {

  private final RecentSlots recent = new RecentSlots();
  private final Object cacheA = new Object();
  private final Object cacheB = new Object();

  private static <K> Slot<K> slot(K key, String memcachedKey) {
    return new Slot<>(key, KeyForms.encode(key), memcachedKey);
  }

  @Test
  void aKeptKeyIsFoundByAnEqualKey() {
    Slot<String> s = slot("games", "m-games");
    recent.keep(cacheA, 1, s);
    assertSame(s, recent.find(cacheA, 1, new String("games"))); // equal, not the same instance
    Slot<Integer> i = slot(1000, "m-1000");
    recent.keep(cacheA, 1, i);
    assertSame(i, recent.find(cacheA, 1, Integer.valueOf(1000)));
  }

  @Test
  void anotherCachesEqualKeyIsNeverFound() {
    recent.keep(cacheA, 1, slot("games", "a-games"));
    assertNull(recent.find(cacheB, 1, "games"));
    assertNull(recent.find(cacheB, 2, "games"));
  }

  @Test
  void aClosedCachesSlotsAreForgottenAndNoOtherCachesAre() {
    for (int i = 0; i < 100; i++) {
      recent.keep(cacheA, 1, slot("a" + i, "a-" + i));
      recent.keep(cacheB, 2, slot("b" + i, "b-" + i));
    }
    int keptOfB = 0;
    for (int i = 0; i < 100; i++) {
      keptOfB += recent.find(cacheB, 2, "b" + i) == null ? 0 : 1;
    }
    recent.forget(cacheA);
    for (int i = 0; i < 100; i++) {
      assertNull(recent.find(cacheA, 1, "a" + i));
      keptOfB -= recent.find(cacheB, 2, "b" + i) == null ? 0 : 1;
    }
    assertEquals(0, keptOfB, "every slot of the other cache is still found");
  }

  @Test
  void keysOfDifferentTypesThatPrintAlikeDoNotMix() {
    recent.keep(cacheA, 1, slot(1, "m-int-1"));
    assertNull(recent.find(cacheA, 1, 1L));
    assertNull(recent.find(cacheA, 1, "1"));
  }

  @Test
  void onlyKeysWhoseEqualityMatchesTheirFormAreKept() {
    assertTrue(RecentSlots.keeps("k"));
    assertTrue(RecentSlots.keeps(1));
    assertTrue(RecentSlots.keeps(1L));
    assertFalse(RecentSlots.keeps(List.of("k")));
    assertFalse(RecentSlots.keeps(1.0));
    assertNull(recent.find(cacheA, 1, List.of("k")));
  }

  @Test
  void aLongKeyIsNotKept() {
    String longKey = "k".repeat(RecentSlots.MAX_FORM_BYTES + 1);
    recent.keep(cacheA, 1, slot(longKey, "m-long"));
    assertNull(recent.find(cacheA, 1, longKey));
    String atLimit = "k".repeat(RecentSlots.MAX_FORM_BYTES);
    recent.keep(cacheA, 1, slot(atLimit, "m-limit"));
    assertEquals("m-limit", recent.find(cacheA, 1, atLimit).memcachedKey());
  }

  @Test
  void manyKeysReplaceEachOtherButEveryHitIsTheKeysOwnSlot() {
    int keys = RecentSlots.SIZE * 4;
    for (int i = 0; i < keys; i++) {
      recent.keep(cacheA, 7, slot("key:" + i, "m-" + i));
    }
    int found = 0;
    for (int i = 0; i < keys; i++) {
      Slot<String> s = recent.find(cacheA, 7, "key:" + i);
      if (s != null) {
        found++;
        assertEquals("key:" + i, s.key());
        assertEquals("m-" + i, s.memcachedKey());
      }
    }
    assertTrue(found > 0 && found <= RecentSlots.SIZE, found + " found");
  }

  @Test
  void aKeyUsedOnceRarelyDisplacesAKeptOneButAKeyUsedOftenGetsIn() {
    String hot = "hot";
    String cold = null;
    for (int i = 0; cold == null; i++) {
      if (RecentSlots.place("cold" + i, 3) == RecentSlots.place(hot, 3)) {
        cold = "cold" + i;
      }
    }
    int survived = 0;
    for (int trial = 0; trial < 200; trial++) {
      RecentSlots fresh = new RecentSlots();
      fresh.keep(cacheA, 3, slot(hot, "m-hot"));
      fresh.keep(cacheA, 3, slot(cold, "m-cold")); // one miss of a key that shares the place
      if (fresh.find(cacheA, 3, hot) != null) {
        survived++;
      }
    }
    assertTrue(survived > 150, "the kept key survived one miss of another in " + survived + " of 200 tables");
    for (int miss = 0; miss < 1000 && recent.find(cacheA, 3, cold) == null; miss++) {
      recent.keep(cacheA, 3, slot(hot, "m-hot"));
      recent.keep(cacheA, 3, slot(cold, "m-cold"));
    }
    assertEquals("m-cold", recent.find(cacheA, 3, cold).memcachedKey(), "a key missed again and again gets in");
  }
}
