package io.github.newcache.internal.store;

/**
 * What {@link EntryStore#compute} did: the entry as read by the attempt that took effect, the
 * decision applied to it, and the absolute expiry it wrote (for a write). The cache turns this into
 * events and statistics.
 *
 * @param before the entry as read by the attempt whose decision was applied
 * @param decision the applied decision
 * @param expiresAt for a write, the resolved expiry; otherwise meaningless
 */
public record Applied<V>(Current<V> before, Decision<V> decision, long expiresAt) {

  /** True when a value was stored (a write whose expiry lies after the read). */
  public boolean stored() {
    return decision.kind() == Decision.Kind.WRITE && expiresAt > before.now();
  }

  /** True when a live entry was removed (a removal, or a write that expired at once over a live entry). */
  public boolean removedLive() {
    Decision.Kind k = decision.kind();
    return before.present() && (k == Decision.Kind.REMOVE || (k == Decision.Kind.WRITE && !stored()));
  }
}
