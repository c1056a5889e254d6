package io.cairn.consensus;

import java.util.List;

/**
 * The durable log as the engine reads it. The host writes to it (following {@link Ready}); the
 * engine only reads, and never keeps what it read across calls, so the host may compact between
 * calls. Indexes are 1-based; the log holds entries [firstIndex(), lastIndex()] and everything
 * before firstIndex() is covered by {@link #snapshot()}.
 */
public interface LogStorage {
    /** Hard state and configuration as of the last persisted state, read once at start. */
    HardState hardState();

    /** The configuration as of {@link #snapshot()}; the engine replays the log after it. */
    default ConfState snapshotConf() {
        return snapshot().meta().conf();
    }

    /** Index of the first available entry: the snapshot's index + 1 (1 for a fresh log). */
    long firstIndex();

    /** Index of the last entry, or the snapshot's index when no entry follows it. */
    long lastIndex();

    /**
     * Term of entry {@code index}, which must be in [firstIndex() - 1, lastIndex()]; for
     * firstIndex() - 1 it is the snapshot's term (0 for a fresh log).
     */
    long term(long index);

    /**
     * Entries in [fromIndex, toIndexExclusive), which must lie within
     * [firstIndex(), lastIndex() + 1]. Stops before the total {@link LogEntry#sizeBytes()} would
     * pass {@code maxBytes}, but always returns at least one entry for a non-empty range.
     */
    List<LogEntry> entries(long fromIndex, long toIndexExclusive, long maxBytes);

    /** The most recent snapshot, {@link Snapshot#EMPTY} if none. */
    Snapshot snapshot();
}
