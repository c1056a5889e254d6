package io.cairn.consensus;

import io.cairn.common.Invariants;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link LogStorage} held in memory, for tests and the simulator, with the write operations a
 * host performs. entries.get(0) is a sentinel standing for the snapshot position.
 */
public final class MemoryLogStorage implements LogStorage {
    private HardState hardState = HardState.EMPTY;
    private Snapshot snapshot;
    /** entries.get(i) has index snapshotIndex + i; entries.get(0) is a sentinel (term only). */
    private final ArrayList<LogEntry> entries = new ArrayList<>();
    private final ArrayList<Long> terms = new ArrayList<>();

    public MemoryLogStorage(ConfState initialConf) {
        this.snapshot = new Snapshot(new SnapshotMeta(0, 0, initialConf), io.cairn.common.Bytes.EMPTY);
        entries.add(null);
        terms.add(0L);
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
        return offset() + entries.size() - 1;
    }

    @Override
    public long term(long index) {
        if (index < offset() || index > lastIndex()) {
            throw new IllegalArgumentException("term(" + index + ") outside [" + offset() + ", " + lastIndex() + "]");
        }
        return terms.get((int) (index - offset()));
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
            LogEntry e = entries.get((int) (i - offset()));
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

    public void setHardState(HardState hardState) {
        this.hardState = hardState;
    }

    /** Appends entries; the first may not leave a gap, and overwrites any suffix from its index. */
    public void append(List<LogEntry> newEntries) {
        if (newEntries.isEmpty()) {
            return;
        }
        long first = newEntries.get(0).index();
        Invariants.check(first > offset() && first <= lastIndex() + 1,
                "append at %s leaves a gap or overwrites the snapshot (log [%s, %s])", first, firstIndex(), lastIndex());
        int keep = (int) (first - offset());
        while (entries.size() > keep) {
            entries.remove(entries.size() - 1);
            terms.remove(terms.size() - 1);
        }
        for (LogEntry e : newEntries) {
            Invariants.check(e.index() == lastIndex() + 1, "entries must be contiguous");
            entries.add(e);
            terms.add(e.term());
        }
    }

    /** Replaces the whole log with a snapshot received from the leader. */
    public void applySnapshot(Snapshot newSnapshot) {
        Invariants.check(newSnapshot.meta().index() > offset(),
                "snapshot at %s is not newer than the log start %s", newSnapshot.meta().index(), offset());
        snapshot = newSnapshot;
        entries.clear();
        terms.clear();
        entries.add(null);
        terms.add(newSnapshot.meta().term());
    }

    /**
     * Records a snapshot the host took of its own state machine at {@code index} (which it has
     * applied) and discards the entries it covers.
     */
    public void compact(long index, ConfState conf, io.cairn.common.Bytes data) {
        Invariants.check(index > offset() && index <= lastIndex(),
                "compact(%s) outside (%s, %s]", index, offset(), lastIndex());
        long term = term(index);
        int drop = (int) (index - offset());
        entries.subList(0, drop).clear();
        terms.subList(0, drop).clear();
        entries.set(0, null);
        snapshot = new Snapshot(new SnapshotMeta(index, term, conf), data);
    }
}
