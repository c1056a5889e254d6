package io.cairn.consensus;

/** Position and configuration a snapshot covers: everything up to and including {@code index}. */
public record SnapshotMeta(long index, long term, ConfState conf) {
    public static final SnapshotMeta EMPTY = new SnapshotMeta(0, 0, ConfState.EMPTY);

    public SnapshotMeta {
        if (index < 0 || term < 0) {
            throw new IllegalArgumentException("snapshot index and term must not be negative");
        }
    }

    @Override
    public String toString() {
        return term + "/" + index + " " + conf;
    }
}
