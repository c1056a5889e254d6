package io.cairn.multiraft;

import io.cairn.consensus.ConfState;
import io.cairn.consensus.HardState;
import io.cairn.consensus.ListLogStorage;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.Snapshot;

/**
 * One group's durable log as the engine reads it. The entries after the snapshot are kept in
 * memory (the compaction policy bounds them); the WAL is where they are durable, and
 * {@link WalLogStore} rebuilds this view from it on start. Mutated only by the store, on the
 * host's thread.
 */
public final class GroupLog extends ListLogStorage {
    GroupLog(ConfState initialConf) {
        super(initialConf);
    }

    void setHardState(HardState hs) {
        storeHardState(hs);
    }

    void append(LogEntry e) {
        storeEntry(e);
    }

    /** A snapshot from the leader (or the newest one, on recovery into an empty log). */
    void replaceWithLeaderSnapshot(Snapshot s) {
        replaceWithSnapshot(s);
    }

    /** A snapshot of this node's own state at an index of this log. */
    void compactTo(Snapshot s) {
        compactToSnapshot(s);
    }
}
