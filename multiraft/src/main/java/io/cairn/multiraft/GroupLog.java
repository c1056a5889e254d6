package io.cairn.multiraft;

import io.cairn.common.Invariants;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.HardState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.LogStorage;
import io.cairn.consensus.Snapshot;
import io.cairn.consensus.SnapshotMeta;
import java.util.ArrayList;
import java.util.List;

/**
 * One group's durable log as the engine reads it. The entries after the snapshot are kept in
 * memory (the compaction policy bounds them); the WAL is where they are durable, and
 * {@link WalLogStore} rebuilds this view from it on start. Mutated only by the store, on the
 * host's thread.
 */
public final class GroupLog implements LogStorage {
    private HardState hardState = HardState.EMPTY;
    private Snapshot snapshot;
    private final ArrayList<LogEntry> entries = new ArrayList<>();
    private long entryBytes;

    GroupLog(ConfState initialConf) {
        this.snapshot = new Snapshot(new SnapshotMeta(0, 0, initialConf), io.cairn.common.Bytes.EMPTY);
    }

    private long offset() {
        return snapshot.meta().index();
    }

    @Override
    public HardState hardState() {
        return hardState;
    }

    @Override
    public long firstIndex() {
        return offset() + 1;
    }

    @Override
    public long lastIndex() {
        return offset() + entries.size();
    }

    @Override
    public long term(long index) {
        if (index == offset()) {
            return snapshot.meta().term();
        }
        if (index < offset() || index > lastIndex()) {
            throw new IllegalArgumentException("term(" + index + ") outside [" + offset() + ", " + lastIndex() + "]");
        }
        return entries.get((int) (index - offset() - 1)).term();
    }

    @Override
    public List<LogEntry> entries(long fromIndex, long toIndexExclusive, long maxBytes) {
        if (fromIndex < firstIndex() || toIndexExclusive > lastIndex() + 1 || fromIndex > toIndexExclusive) {
            throw new IllegalArgumentException("entries [" + fromIndex + ", " + toIndexExclusive
                    + ") outside [" + firstIndex() + ", " + (lastIndex() + 1) + "]");
        }
        List<LogEntry> out = new ArrayList<>();
        long bytes = 0;
        for (long i = fromIndex; i < toIndexExclusive; i++) {
            LogEntry e = entries.get((int) (i - offset() - 1));
            bytes += e.sizeBytes();
            if (!out.isEmpty() && bytes > maxBytes) {
                break;
            }
            out.add(e);
        }
        return out;
    }

    @Override
    public Snapshot snapshot() {
        return snapshot;
    }

    /** Entries held in memory and their bytes, for the compaction policy. */
    public int entryCount() {
        return entries.size();
    }

    public long entryBytes() {
        return entryBytes;
    }

    void setHardState(HardState hs) {
        hardState = hs;
    }

    /** Appends, replacing any suffix from the first entry's index (a new leader's log wins). */
    void append(LogEntry e) {
        long index = e.index();
        Invariants.check(index > offset() && index <= lastIndex() + 1,
                "entry %s leaves a gap or lies under the snapshot (log [%s, %s])", index, firstIndex(), lastIndex());
        while (lastIndex() >= index) {
            entryBytes -= entries.remove(entries.size() - 1).sizeBytes();
        }
        entries.add(e);
        entryBytes += e.sizeBytes();
    }

    /** A snapshot replaces every entry it covers; entries after it stay if they follow on. */
    void installSnapshot(Snapshot s) {
        long index = s.meta().index();
        Invariants.check(index >= offset(), "snapshot %s is older than the log start %s", index, offset());
        boolean keepTail = index <= lastIndex() && term(index) == s.meta().term();
        int drop = keepTail ? (int) (index - offset()) : entries.size();
        for (int i = 0; i < drop; i++) {
            entryBytes -= entries.get(i).sizeBytes();
        }
        entries.subList(0, drop).clear();
        snapshot = s;
    }
}
