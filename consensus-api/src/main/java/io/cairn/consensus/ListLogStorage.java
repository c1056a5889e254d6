package io.cairn.consensus;

import io.cairn.common.Bytes;
import io.cairn.common.Invariants;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LogStorage} whose entries after the snapshot are held in a list: the read side shared
 * by the in-memory storage of tests and the simulator and by the WAL-backed logs of a node. The
 * entry at index {@code snapshotIndex + 1 + i} is {@code entries.get(i)}. Subclasses decide who
 * may write and when it is durable.
 */
public abstract class ListLogStorage implements LogStorage {
    private HardState hardState = HardState.EMPTY;
    private Snapshot snapshot;
    private final ArrayList<LogEntry> entries = new ArrayList<>();
    private long entryBytes;

    protected ListLogStorage(ConfState initialConf) {
        this.snapshot = new Snapshot(new SnapshotMeta(0, 0, initialConf), Bytes.EMPTY);
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

    /** Entries held after the snapshot, and their bytes, for compaction policies. */
    public int entryCount() {
        return entries.size();
    }

    public long entryBytes() {
        return entryBytes;
    }

    protected void storeHardState(HardState hs) {
        hardState = hs;
    }

    /** Appends one entry, first dropping any suffix from its index (a new leader's log wins). */
    protected void storeEntry(LogEntry e) {
        long index = e.index();
        Invariants.check(index > offset() && index <= lastIndex() + 1,
                "entry %s leaves a gap or lies under the snapshot (log [%s, %s])", index, firstIndex(), lastIndex());
        while (lastIndex() >= index) {
            entryBytes -= entries.remove(entries.size() - 1).sizeBytes();
        }
        entries.add(e);
        entryBytes += e.sizeBytes();
    }

    /** Makes {@code s} the snapshot and drops every entry: a snapshot from the leader replaces the log. */
    protected void replaceWithSnapshot(Snapshot s) {
        Invariants.check(s.meta().index() >= offset(), "snapshot %s is older than the log start %s",
                s.meta().index(), offset());
        entries.clear();
        entryBytes = 0;
        snapshot = s;
    }

    /**
     * Makes {@code s}, a snapshot of this node's own state at an index it holds, the snapshot and
     * drops the entries it covers; the entries after it stay.
     */
    protected void compactToSnapshot(Snapshot s) {
        long index = s.meta().index();
        Invariants.check(index >= offset() && index <= lastIndex() && term(index) == s.meta().term(),
                "compaction at %s does not match the log [%s, %s]", index, firstIndex(), lastIndex());
        int drop = (int) (index - offset());
        for (int i = 0; i < drop; i++) {
            entryBytes -= entries.get(i).sizeBytes();
        }
        entries.subList(0, drop).clear();
        snapshot = s;
    }
}
