package io.github.newcache.internal.transport;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import net.spy.memcached.MemcachedNode;
import net.spy.memcached.NodeLocator;
import net.spy.memcached.ops.Operation;

/**
 * Splits a multi-get into the operations that send it: the keys of each server in batches of up to
 * {@link #MAX_KEYS}, one {@link TextMultiGetOperation} or {@link BinaryMultiGetOperation} each, and a
 * single-key get for each key whose server is not connected, so that spymemcached places it by the
 * failure mode (fail it, wait for the server, or move it to another one), as it places its own.
 * Every answer goes to its key's slot in one {@link Awaited.Gets}.
 */
final class GetBatches {

  /** The most keys one operation asks for; a longer multi-get is sent as several. */
  static final int MAX_KEYS = 512;

  /** An operation to hand to spymemcached as for {@code key}: the batch's first key, or the key. */
  record Send(String key, Operation op) {}

  /** How the transport makes the single-key get of a key, whose answer goes to {@code callback}. */
  interface SingleGets {
    Operation get(String key, MetaGetOperation.PartsCallback callback, int headLength);
  }

  /** How the transport makes a batch's operation. */
  interface MultiGets {
    Operation get(BatchKeys keys, BatchCallback callback);
  }

  private GetBatches() {}

  /**
   * The operations of a multi-get of {@code keys}, each value read in two parts after {@code
   * headLengths[i]} bytes (null: in one), all made (their callbacks on {@code answers}) before any
   * is sent. Throws {@link IllegalArgumentException} for a key memcached would refuse, before any.
   */
  static List<Send> of(String[] keys, int[] headLengths, boolean binary, NodeLocator locator, Awaited.Gets answers,
      MultiGets multi, SingleGets single) {
    byte[][] encoded = new byte[keys.length][];
    for (int i = 0; i < keys.length; i++) {
      encoded[i] = GetBatch.encode(keys[i], binary);
    }
    List<MemcachedNode> nodes = new ArrayList<>(2);
    List<int[]> members = new ArrayList<>(2);
    int[] counts = new int[2];
    List<Send> out = new ArrayList<>();
    MemcachedNode last = null;
    int lastGroup = -1;
    for (int i = 0; i < keys.length; i++) {
      MemcachedNode node = locator == null ? null : locator.getPrimary(keys[i]);
      if (node == null || !node.isActive()) {
        out.add(new Send(keys[i], single.get(keys[i], answers.batch(new String[] {keys[i]}, new int[] {i}),
            headLengths == null ? 0 : headLengths[i])));
        continue;
      }
      int group = node == last ? lastGroup : nodes.indexOf(node);
      if (group < 0) {
        group = nodes.size();
        nodes.add(node);
        members.add(new int[Math.min(keys.length - i, MAX_KEYS)]);
        if (counts.length == group) {
          counts = Arrays.copyOf(counts, group * 2);
        }
      }
      last = node;
      lastGroup = group;
      int[] slots = members.get(group);
      slots[counts[group]++] = i;
      if (counts[group] == slots.length) {
        out.add(batch(keys, encoded, headLengths, slots, slots.length, answers, multi));
        members.set(group, new int[Math.min(keys.length - i - 1, MAX_KEYS)]);
        counts[group] = 0;
      }
    }
    for (int g = 0; g < nodes.size(); g++) {
      if (counts[g] > 0) {
        out.add(batch(keys, encoded, headLengths, members.get(g), counts[g], answers, multi));
      }
    }
    return out;
  }

  /** The operation of the keys in the first {@code n} of {@code slots}. */
  private static Send batch(String[] keys, byte[][] encoded, int[] headLengths, int[] slots, int n, Awaited.Gets answers,
      MultiGets multi) {
    int[] at = n == slots.length ? slots : Arrays.copyOf(slots, n);
    String[] names = new String[n];
    byte[][] bytes = new byte[n][];
    int[] heads = headLengths == null ? null : new int[n];
    for (int j = 0; j < n; j++) {
      names[j] = keys[at[j]];
      bytes[j] = encoded[at[j]];
      if (heads != null) {
        heads[j] = headLengths[at[j]];
      }
    }
    return new Send(names[0], multi.get(new BatchKeys(names, bytes, heads), answers.batch(names, at)));
  }
}
