package io.cairn.consensus;

import io.cairn.common.Bytes;
import io.cairn.common.Invariants;
import java.util.List;

/**
 * A {@link LogStorage} held in memory, for tests and the simulator, with the write operations a
 * host performs after each Ready.
 */
public final class MemoryLogStorage extends ListLogStorage {
    public MemoryLogStorage(ConfState initialConf) {
        super(initialConf);
    }

    public void setHardState(HardState hardState) {
        storeHardState(hardState);
    }

    /** Appends entries; the first may not leave a gap, and overwrites any suffix from its index. */
    public void append(List<LogEntry> newEntries) {
        for (LogEntry e : newEntries) {
            storeEntry(e);
        }
    }

    /** Installs a snapshot received from the leader, which replaces the whole log. */
    public void applySnapshot(Snapshot newSnapshot) {
        Invariants.check(newSnapshot.meta().index() > firstIndex() - 1,
                "snapshot at %s is not newer than the log start %s", newSnapshot.meta().index(), firstIndex() - 1);
        replaceWithSnapshot(newSnapshot);
    }

    /**
     * Records a snapshot the host took of its own state machine at {@code index} (which it has
     * applied) and discards the entries it covers.
     */
    public void compact(long index, ConfState conf, Bytes data) {
        Invariants.check(index > firstIndex() - 1 && index <= lastIndex(),
                "compact(%s) outside (%s, %s]", index, firstIndex() - 1, lastIndex());
        compactToSnapshot(new Snapshot(new SnapshotMeta(index, term(index), conf), data));
    }
}
