package io.cairn.kv.state;

/**
 * A shard's half of an aggregation's consistent cut (the whole rule: the aggregate module's
 * {@code CutRule}): whether keys of a range may have changed after the revision a read was at,
 * or a transaction's write intent lies on the range now. Run on a replica at a linearizable
 * point; the node's aggregation service and the simulator both ask it here.
 */
public final class CutCheck {
    private CutCheck() {}

    /**
     * True when {@code range} changed after {@code sinceRevision} (up to the applied index), when
     * that cannot be told from {@code hub}'s history (null hub, history too short), or when a
     * write intent lies on it; false only when it provably held still.
     */
    public static boolean unsettled(WatchHub hub, KvStateMachine sm, KeyRange range, long sinceRevision) {
        Boolean changed = hub == null ? null : hub.changedSince(range, sinceRevision, sm.appliedIndex());
        return changed == null || changed || sm.writeIntentsIn(range, 1) > 0;
    }
}
