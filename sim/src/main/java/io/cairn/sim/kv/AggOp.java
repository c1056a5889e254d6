package io.cairn.sim.kv;

import io.cairn.common.Bytes;
import io.cairn.kv.state.Command;
import io.cairn.kv.state.KeyRange;
import io.cairn.kv.state.Result;

/**
 * One shard's step of an aggregation, as the node's aggregation service serves it: a PART sums
 * the shard's keys under {@code prefix} (through the aggregate module's "sum" over 8-byte values)
 * at a linearizable read and says the revision it was at and the write intents it met; a CHECK
 * says, at a later linearizable read, whether the range may have changed since {@code sinceRevision}
 * ({@code CutCheck}). Routed to the shard of {@code key}.
 */
public record AggOp(Kind kind, String key, String prefix, long sinceRevision) implements ClientOp {
    public enum Kind { PART, CHECK }

    public AggOp {
        if (kind == null || key == null || prefix == null || sinceRevision < 0) {
            throw new IllegalArgumentException("kind, key and prefix are required, and a revision >= 0");
        }
    }

    public static AggOp part(String key, String prefix) {
        return new AggOp(Kind.PART, key, prefix, 0);
    }

    public static AggOp check(String key, String prefix, long sinceRevision) {
        return new AggOp(Kind.CHECK, key, prefix, sinceRevision);
    }

    public KeyRange range() {
        return KeyRange.prefix(Bytes.utf8(prefix));
    }

    @Override
    public boolean isRead() {
        return true;
    }

    @Override
    public Command toCommand() {
        throw new IllegalStateException("an aggregation step is a read: " + this);
    }

    @Override
    public OpResult answer(Result result) {
        throw new IllegalStateException("an aggregation step is a read: " + this);
    }

    @Override
    public String toString() {
        return kind == Kind.PART ? "aggregate-part(" + key + ", " + prefix + "*)"
                : "aggregate-check(" + key + ", " + prefix + "*, since " + sinceRevision + ")";
    }
}
