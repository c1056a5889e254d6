package io.cairn.consensus;

import io.cairn.common.Bytes;

/** A state machine image, opaque to the consensus engine, with the position it covers. */
public record Snapshot(SnapshotMeta meta, Bytes data) {
    public static final Snapshot EMPTY = new Snapshot(SnapshotMeta.EMPTY, Bytes.EMPTY);

    public boolean isEmpty() {
        return meta.index() == 0;
    }
}
