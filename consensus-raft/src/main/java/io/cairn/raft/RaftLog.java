package io.cairn.raft;

import io.cairn.common.Invariants;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.LogStorage;
import io.cairn.consensus.Snapshot;
import java.util.ArrayList;
import java.util.List;

/**
 * The log as the core sees it: the host's durable {@link LogStorage} followed by entries (and
 * possibly a snapshot) the core has accepted but the host has not yet persisted.
 *
 * <p>Entries at or after {@code unstableOffset} come only from {@code unstable}; storage entries
 * at those indexes are stale (about to be overwritten) and are never read.
 */
final class RaftLog {
    /** Term reported for an index the log cannot answer for: compacted or beyond the end. */
    static final long UNKNOWN_TERM = -1;

    private final LogStorage storage;
    private Snapshot unstableSnapshot;
    private final ArrayList<LogEntry> unstable = new ArrayList<>();
    private long unstableOffset;
    private long committed;
    private long applied;

    RaftLog(LogStorage storage, long committed, long applied) {
        this.storage = storage;
        this.unstableOffset = storage.lastIndex() + 1;
        long first = storage.firstIndex() - 1;
        Invariants.check(applied >= first && applied <= storage.lastIndex(),
                "applied %s outside the log [%s, %s]", applied, first, storage.lastIndex());
        this.applied = applied;
        // An applied entry was committed even if the commit index in the hard state lagged.
        this.committed = Math.max(committed, applied);
    }

    long firstIndex() {
        return unstableSnapshot != null ? unstableSnapshot.meta().index() + 1 : storage.firstIndex();
    }

    long lastIndex() {
        return unstableOffset + unstable.size() - 1;
    }

    /** The last index the host has persisted (0 while a received snapshot is not yet persisted). */
    long lastStableIndex() {
        return unstableSnapshot != null ? 0 : unstableOffset - 1;
    }

    long lastTerm() {
        return term(lastIndex());
    }

    long committed() {
        return committed;
    }

    long applied() {
        return applied;
    }

    /** Term of {@code index}, or {@link #UNKNOWN_TERM} when compacted away or past the end. */
    long term(long index) {
        long first = firstIndex();
        if (index < first - 1 || index > lastIndex()) {
            return UNKNOWN_TERM;
        }
        if (index >= unstableOffset) {
            return unstable.get((int) (index - unstableOffset)).term();
        }
        if (unstableSnapshot != null) {
            // index == snapshot index: nothing before the pending snapshot is readable.
            return unstableSnapshot.meta().term();
        }
        return storage.term(index);
    }

    boolean matchTerm(long index, long term) {
        return term(index) == term;
    }

    /** Raft's "at least as up-to-date" comparison of a candidate's last entry with ours (§5.4.1). */
    boolean isUpToDate(long lastIndex, long lastTerm) {
        long ourTerm = lastTerm();
        return lastTerm > ourTerm || (lastTerm == ourTerm && lastIndex >= lastIndex());
    }

    /**
     * Entries in [fromIndex, toIndexExclusive) up to {@code maxBytes} (at least one), or null
     * when fromIndex is compacted away and a snapshot is needed instead.
     */
    List<LogEntry> entries(long fromIndex, long toIndexExclusive, long maxBytes) {
        if (fromIndex < firstIndex()) {
            return null;
        }
        long to = Math.min(toIndexExclusive, lastIndex() + 1);
        if (fromIndex >= to) {
            return List.of();
        }
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        if (fromIndex < unstableOffset) {
            List<LogEntry> stored = storage.entries(fromIndex, Math.min(to, unstableOffset), maxBytes);
            for (LogEntry e : stored) {
                bytes += e.sizeBytes();
            }
            out.addAll(stored);
            if (fromIndex + stored.size() < Math.min(to, unstableOffset)) {
                return out; // byte limit reached inside storage
            }
        }
        for (long i = Math.max(fromIndex, unstableOffset); i < to; i++) {
            LogEntry e = unstable.get((int) (i - unstableOffset));
            if (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes) {
                break;
            }
            bytes += e.sizeBytes();
            out.add(e);
        }
        return out;
    }

    /** Appends entries at the end, or replaces a conflicting suffix; never below commit. */
    void append(List<LogEntry> entries) {
        if (entries.isEmpty()) {
            return;
        }
        long first = entries.get(0).index();
        Invariants.check(first > committed, "append at %s would overwrite committed %s", first, committed);
        Invariants.check(first <= lastIndex() + 1, "append at %s leaves a gap after %s", first, lastIndex());
        if (first <= unstableOffset) {
            // Replaces everything unstable and the stale tail of storage from `first`.
            unstable.clear();
            unstableOffset = first;
        } else {
            int keep = (int) (first - unstableOffset);
            while (unstable.size() > keep) {
                unstable.remove(unstable.size() - 1);
            }
        }
        unstable.addAll(entries);
        if (Invariants.EXPENSIVE) {
            checkContinuity();
        }
    }

    /** Unstable entries are contiguous and their terms never decrease, from the entry before them. */
    private void checkContinuity() {
        long prevTerm = term(unstableOffset - 1);
        for (int i = 0; i < unstable.size(); i++) {
            LogEntry e = unstable.get(i);
            Invariants.check(e.index() == unstableOffset + i, "unstable entry %s out of place at %s", e, unstableOffset + i);
            Invariants.check(prevTerm == UNKNOWN_TERM || e.term() >= prevTerm, "term goes back at %s", e);
            prevTerm = e.term();
        }
    }

    /**
     * Appends what the leader sent after (prevTerm, prevIndex) if our log matches there,
     * skipping entries we already hold. Returns the index of the last new entry, or -1 when
     * the log does not match.
     */
    long maybeAppend(long prevIndex, long prevTerm, long leaderCommit, List<LogEntry> entries) {
        if (!matchTerm(prevIndex, prevTerm)) {
            return -1;
        }
        long lastNew = prevIndex + entries.size();
        int conflict = findConflict(entries);
        if (conflict >= 0) {
            append(entries.subList(conflict, entries.size()));
        }
        commitTo(Math.min(leaderCommit, lastNew));
        return lastNew;
    }

    /** Position in entries of the first one we do not hold with the same term, or -1. */
    private int findConflict(List<LogEntry> entries) {
        for (int i = 0; i < entries.size(); i++) {
            LogEntry e = entries.get(i);
            if (!matchTerm(e.index(), e.term())) {
                return i;
            }
        }
        return -1;
    }

    /**
     * The last index at or below {@code index} whose term is at most {@code term}: the leader
     * and follower logs may agree there, and nothing between it and {@code index} can match.
     * Compacted indexes are returned as they are (the caller then needs a snapshot).
     */
    long findConflictByTerm(long index, long term) {
        long i = Math.min(index, lastIndex());
        while (i > 0) {
            long t = term(i);
            if (t == UNKNOWN_TERM || t <= term) {
                return i;
            }
            i--;
        }
        return 0;
    }

    void commitTo(long index) {
        if (index > committed) {
            Invariants.check(index <= lastIndex(), "commit %s beyond last index %s", index, lastIndex());
            committed = index;
        }
    }

    void appliedTo(long index) {
        Invariants.check(index >= applied && index <= committed,
                "applied %s must be in [%s, commit %s]", index, applied, committed);
        applied = index;
    }

    /** Committed entries after applied, up to maxBytes (at least one if any). */
    List<LogEntry> nextCommitted(long maxBytes) {
        long from = Math.max(applied + 1, firstIndex());
        if (from > committed) {
            return List.of();
        }
        List<LogEntry> out = entries(from, committed + 1, maxBytes);
        Invariants.check(out != null, "committed entries from %s were compacted before being applied", from);
        return out;
    }

    boolean hasNextCommitted() {
        return committed > applied && committed >= firstIndex();
    }

    /** Replaces the whole log with a snapshot from the leader. */
    void restore(Snapshot snapshot) {
        long index = snapshot.meta().index();
        Invariants.check(index > committed, "snapshot %s is not newer than commit %s", index, committed);
        unstableSnapshot = snapshot;
        unstable.clear();
        unstableOffset = index + 1;
        committed = index;
    }

    Snapshot unstableSnapshot() {
        return unstableSnapshot;
    }

    /** The unstable entries, in order (a copy). */
    List<LogEntry> unstableEntries() {
        return List.copyOf(unstable);
    }

    boolean hasUnstable() {
        return !unstable.isEmpty() || unstableSnapshot != null;
    }

    /** The host persisted entries through {@code index} with {@code term}. */
    void stableTo(long index, long term) {
        if (index < unstableOffset || index > lastIndex()) {
            return; // already stable, or truncated since the Ready was taken
        }
        if (term(index) != term) {
            return; // replaced by a new leader's entries since the Ready was taken
        }
        int drop = (int) (index - unstableOffset + 1);
        unstable.subList(0, drop).clear();
        unstableOffset = index + 1;
    }

    void stableSnapshotTo(long index) {
        if (unstableSnapshot != null && unstableSnapshot.meta().index() == index) {
            unstableSnapshot = null;
            if (applied < index) {
                applied = index;
            }
        }
    }

    /** The snapshot to send a follower: the pending one if any, else the host's latest. */
    Snapshot snapshot() {
        return unstableSnapshot != null ? unstableSnapshot : storage.snapshot();
    }
}
