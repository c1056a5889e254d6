package io.cairn.multiraft;

import static org.assertj.core.api.Assertions.assertThat;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.HardState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Snapshot;
import io.cairn.consensus.SnapshotMeta;
import io.cairn.wal.WalOptions;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WalLogStoreTest {
    private static final GroupId G1 = new GroupId(1);
    private static final GroupId G2 = new GroupId(2);
    private static final ConfState CONF = ConfState.ofVoters(NodeId.of(1), NodeId.of(2), NodeId.of(3));
    private static final WalOptions SMALL_SEGMENTS = WalOptions.DEFAULTS.withSegmentBytesTarget(4096);

    @TempDir
    Path dir;

    private static Ready ready(HardState hs, List<LogEntry> entries, Snapshot snapshot) {
        return new Ready(hs, snapshot, entries, true, List.of(), List.of(), List.of(), List.of());
    }

    private static List<LogEntry> entries(long from, long to, long term) {
        List<LogEntry> out = new ArrayList<>();
        for (long i = from; i <= to; i++) {
            out.add(LogEntry.normal(i, term, Bytes.utf8("v" + i + "-" + term)));
        }
        return out;
    }

    @Test
    void groupsSurviveReopenWithOverwritesAndHardState() throws Exception {
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            store.createGroup(G1, CONF);
            store.createGroup(G2, CONF);
            store.persist(List.of(
                    new WalLogStore.GroupReady(G1, ready(new HardState(1, NodeId.of(1), 0), entries(1, 10, 1), null)),
                    new WalLogStore.GroupReady(G2, ready(new HardState(2, null, 0), entries(1, 3, 2), null))));
            // A new leader in term 3 overwrites g1's entries from 6 on.
            store.persist(List.of(new WalLogStore.GroupReady(G1,
                    ready(new HardState(3, NodeId.of(2), 5), entries(6, 8, 3), null))));
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            GroupLog g1 = store.group(G1);
            assertThat(g1.lastIndex()).isEqualTo(8);
            assertThat(g1.term(5)).isEqualTo(1);
            assertThat(g1.term(6)).isEqualTo(3);
            assertThat(g1.hardState()).isEqualTo(new HardState(3, NodeId.of(2), 5));
            assertThat(g1.snapshotConf()).isEqualTo(CONF);
            assertThat(store.group(G2).lastIndex()).isEqualTo(3);
        }
    }

    @Test
    void compactionKeepsTheTailAndReleasesSegments() throws Exception {
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            store.createGroup(G1, CONF);
            for (long i = 1; i <= 200; i += 10) {
                store.persist(List.of(new WalLogStore.GroupReady(G1,
                        ready(new HardState(1, NodeId.of(1), i), entries(i, i + 9, 1), null))));
            }
            store.compact(G1, 150, CONF, Bytes.utf8("state@150"));
            assertThat(store.group(G1).firstIndex()).isEqualTo(151);
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            GroupLog g1 = store.group(G1);
            assertThat(g1.firstIndex()).isEqualTo(151);
            assertThat(g1.lastIndex()).isEqualTo(200);
            assertThat(g1.snapshot().data()).isEqualTo(Bytes.utf8("state@150"));
            assertThat(g1.hardState().commit()).isEqualTo(191);
        }
    }

    @Test
    void aQuietGroupsSnapshotAndHardStateOutliveTheSegmentsBusyGroupsRelease() throws Exception {
        // Found by the simulator running this store (seed 4100090 --sharded): g1 compacts and then
        // stays quiet while g2 keeps writing and compacting. The segment holding g1's SNAPSHOT and
        // HARD_STATE records must stay, or a restart finds g1's later entries without a base, or
        // g1 gone with its term and vote.
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            store.createGroup(G1, CONF);
            store.createGroup(G2, CONF);
            store.persist(List.of(new WalLogStore.GroupReady(G1,
                    ready(new HardState(4, NodeId.of(2), 10), entries(1, 10, 4), null))));
            store.compact(G1, 10, CONF, Bytes.utf8("g1@10"));
            for (long i = 1; i <= 400; i += 10) {
                store.persist(List.of(new WalLogStore.GroupReady(G2,
                        ready(new HardState(1, NodeId.of(1), i + 9), entries(i, i + 9, 1), null))));
                store.compact(G2, i + 9, CONF, Bytes.utf8("g2@" + (i + 9)));
            }
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            GroupLog g1 = store.group(G1);
            assertThat(g1).as("g1 after reopen").isNotNull();
            assertThat(g1.snapshot().meta().index()).isEqualTo(10);
            assertThat(g1.snapshot().data()).isEqualTo(Bytes.utf8("g1@10"));
            assertThat(g1.hardState()).isEqualTo(new HardState(4, NodeId.of(2), 10));
            assertThat(store.group(G2).firstIndex()).isEqualTo(401);
        }
    }

    @Test
    void snapshotFromLeaderReplacesTheLog() throws Exception {
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            store.createGroup(G1, CONF);
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(1, null, 0), entries(1, 5, 1), null))));
            Snapshot fromLeader = new Snapshot(new SnapshotMeta(50, 4, CONF), Bytes.utf8("leader state"));
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(4, null, 50), List.of(), fromLeader))));
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(null, entries(51, 52, 4), null))));
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            GroupLog g1 = store.group(G1);
            assertThat(g1.firstIndex()).isEqualTo(51);
            assertThat(g1.lastIndex()).isEqualTo(52);
            assertThat(g1.term(50)).isEqualTo(4);
        }
    }

    /**
     * Only the snapshot a group's log stands on keeps its file: a leader's snapshot replaces the
     * compaction's, and files nothing refers to (left by a crash) are gone after a reopen.
     */
    @Test
    void onlyTheSnapshotAGroupStandsOnKeepsItsFile() throws Exception {
        Path snapshots = dir.resolve("snapshots");
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            store.createGroup(G1, CONF);
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(1, null, 5), entries(1, 5, 1), null))));
            store.compact(G1, 5, CONF, Bytes.utf8("state@5"));
            assertThat(java.nio.file.Files.list(snapshots).map(p -> p.getFileName().toString()).toList())
                    .containsExactly("1-00000000000000000005.snap");
            Snapshot fromLeader = new Snapshot(new SnapshotMeta(50, 4, CONF), Bytes.utf8("leader state"));
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(4, null, 50), List.of(), fromLeader))));
            assertThat(java.nio.file.Files.list(snapshots).map(p -> p.getFileName().toString()).toList())
                    .containsExactly("1-00000000000000000050.snap");
        }
        java.nio.file.Files.writeString(snapshots.resolve("1-00000000000000000070.snap"), "written, never recorded");
        java.nio.file.Files.writeString(snapshots.resolve("2-00000000000000000009.snap.tmp"), "half written");
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            assertThat(store.group(G1).snapshot().data()).isEqualTo(Bytes.utf8("leader state"));
            assertThat(java.nio.file.Files.list(snapshots).map(p -> p.getFileName().toString()).toList())
                    .containsExactly("1-00000000000000000050.snap");
        }
    }

    @Test
    void aDroppedGroupIsGoneAfterReopenAndStartsEmptyWhenRecreated() throws Exception {
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            store.createGroup(G1, CONF);
            store.createGroup(G2, CONF);
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(3, NodeId.of(1), 5), entries(1, 5, 3), null))));
            store.dropGroup(G1);
            assertThat(store.group(G1)).isNull();
            assertThat(store.groupIds()).containsExactly(G2);
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            assertThat(store.group(G1)).isNull();
            assertThat(store.groupIds()).containsExactly(G2);
            // The replica comes back: a learner with no configuration of its own, as a joining one.
            store.createGroup(G1, ConfState.EMPTY);
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(7, null, 2), entries(1, 2, 6), null))));
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            GroupLog g1 = store.group(G1);
            assertThat(g1.lastIndex()).isEqualTo(2);
            assertThat(g1.term(1)).isEqualTo(6);
            assertThat(g1.hardState()).isEqualTo(new HardState(7, null, 2));
            assertThat(g1.snapshotConf()).isEqualTo(ConfState.EMPTY);
        }
    }

    @Test
    void aDroppedGroupDoesNotHoldBackSegmentsAfterReopen() throws Exception {
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            store.createGroup(G1, CONF);
            store.createGroup(G2, CONF);
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(1, null, 0), entries(1, 50, 1), null))));
            store.dropGroup(G1);
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            for (long i = 1; i <= 200; i += 10) {
                store.persist(List.of(new WalLogStore.GroupReady(G2,
                        ready(new HardState(1, NodeId.of(1), i), entries(i, i + 9, 1), null))));
            }
            store.compact(G2, 200, CONF, Bytes.utf8("state@200"));
        }
        try (var files = java.nio.file.Files.list(dir.resolve("wal"))) {
            assertThat(files.count()).as("segments left once both groups released everything").isLessThanOrEqualTo(2);
        }
    }

    /**
     * A flipped bit in the tombstones file would read as another vote floor or vote: the store
     * refuses to open, naming the file and line, rather than start with it. A line of an older
     * release, without a CRC, still reads.
     */
    @Test
    void aTombstoneWithAFlippedBitStopsTheStoreAndAnOldLineStillReads() throws Exception {
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            store.createGroup(G1, CONF);
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(4, NodeId.of(2), 5), entries(1, 30, 4), null))));
            store.dropGroup(G1);
        }
        Path file = dir.resolve("tombstones");
        String text = java.nio.file.Files.readString(file);
        assertThat(text).matches("cairn tombstones 2\n1 4 2 4 30 [0-9a-f]+\n");
        int line = text.indexOf('\n') + 1;
        byte[] written = text.getBytes(java.nio.charset.StandardCharsets.US_ASCII);

        byte[] flipped = written.clone();
        flipped[line + 6] ^= 0x01; // the last entry's term: '4' becomes '5'
        java.nio.file.Files.write(file, flipped);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WalLogStore.open(dir, SMALL_SEGMENTS))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("tombstones is corrupt (CRC32C mismatch)")
                .hasMessageContaining("1 4 2 5 30");

        // Found by the sharded simulator (seed 68): a space turned into a digit merges two fields;
        // when the CRC's hex has only digits, the line then looked like an older release's.
        flipped = written.clone();
        flipped[line + 1] ^= 0x10; // "1 4 ..." becomes "104 ..."
        java.nio.file.Files.write(file, flipped);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WalLogStore.open(dir, SMALL_SEGMENTS))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("tombstones is corrupt");
        java.nio.file.Files.writeString(file, "cairn tombstones 2\n104 2 4 30 1234\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WalLogStore.open(dir, SMALL_SEGMENTS))
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("tombstones is corrupt: '104 2 4 30 1234'");

        java.nio.file.Files.writeString(file, "1 4 2 4 30\n");
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            assertThat(store.tombstone(G1).orElseThrow().lastEntry()).isEqualTo(new io.cairn.consensus.EntryId(4, 30));
        }
    }

    /** Found by the sharded simulator: a wiped replica re-added later voted for a stale candidate. */
    @Test
    void aRecreatedGroupInheritsTheDroppedReplicasTermVoteAndVoteFloor() throws Exception {
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            assertThat(store.tombstone(G1)).isEmpty();
            store.createGroup(G1, CONF);
            store.persist(List.of(new WalLogStore.GroupReady(G1, ready(new HardState(4, NodeId.of(2), 5), entries(1, 30, 4), null))));
            store.dropGroup(G1);
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            WalLogStore.Tombstone t = store.tombstone(G1).orElseThrow();
            assertThat(t.lastEntry()).isEqualTo(new io.cairn.consensus.EntryId(4, 30));
            GroupLog g1 = store.createGroup(G1, ConfState.EMPTY);
            assertThat(g1.hardState()).isEqualTo(new HardState(4, NodeId.of(2), 0));
            assertThat(g1.lastIndex()).isZero();
            // Dropped again before it got anywhere: the floor stays the older, higher one.
            store.dropGroup(G1);
            assertThat(store.tombstone(G1).orElseThrow().lastEntry()).isEqualTo(new io.cairn.consensus.EntryId(4, 30));
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            assertThat(store.group(G1)).isNull();
            assertThat(store.createGroup(G1, ConfState.EMPTY).hardState()).isEqualTo(new HardState(4, NodeId.of(2), 0));
        }
        try (WalLogStore store = WalLogStore.open(dir, SMALL_SEGMENTS)) {
            assertThat(store.group(G1).hardState()).as("the inherited hard state is durable").isEqualTo(new HardState(4, NodeId.of(2), 0));
        }
    }

    /** The stored entry format: term, then the type's explicit code (not its declaration order). */
    @Test
    void entryTypesAreStoredByExplicitCode() {
        record Row(LogEntry entry, int storedCode) {}
        List<Row> table = List.of(
                new Row(LogEntry.normal(7, 3, Bytes.utf8("x")), 0),
                new Row(new LogEntry(8, 3, io.cairn.consensus.EntryType.CONFIG, Bytes.utf8("c")), 1));
        for (Row row : table) {
            byte[] encoded = WalLogStore.encodeEntry(row.entry()).toArray();
            assertThat(encoded[8]).as("type byte of %s", row.entry()).isEqualTo((byte) row.storedCode());
            assertThat(WalLogStore.decodeEntry(row.entry().index(), Bytes.wrap(encoded))).isEqualTo(row.entry());
        }
        byte[] unknown = WalLogStore.encodeEntry(LogEntry.normal(9, 3, Bytes.utf8("y"))).toArray();
        unknown[8] = 7;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> WalLogStore.decodeEntry(9, Bytes.wrap(unknown)))
                .hasMessageContaining("unknown log entry type code 7");
    }
}
