package io.cairn.multiraft;

import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.Invariants;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.EntryId;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.HardState;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.Ready;
import io.cairn.consensus.Snapshot;
import io.cairn.consensus.SnapshotMeta;
import io.cairn.wal.FileIo;
import io.cairn.wal.Wal;
import io.cairn.wal.WalOptions;
import io.cairn.wal.WalRecord;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

/**
 * The durable Raft logs of every group on a node, over one shared {@link Wal}: the Readies of
 * all groups are persisted with one append and at most one fsync ({@link #persist}).
 *
 * <p>Records: an ENTRY per log entry (a later entry at the same index replaces it and all after
 * it, as the Raft log does), a HARD_STATE, and a SNAPSHOT naming a snapshot file under
 * {@code snapshots/} (the data is too large for a record, and is checksummed in the record).
 * Compaction writes a fresh SNAPSHOT and HARD_STATE record and then releases the WAL behind the
 * snapshot, so the newest copy of each always survives segment deletion. A DROP record ends a
 * group on this node (its replica was removed): replay forgets everything of the group before
 * it, so a later replica of the same group starts from an empty log.
 *
 * <p>Before a group is dropped, its {@link Tombstone} (term, vote and last log entry) is written
 * to the {@code tombstones} file, which segment release never deletes. A later replica of the
 * group starts from that term and vote and refuses votes below that entry (RaftConfig#voteFloor):
 * Raft's vote check assumes a voter never loses its log, and a wipe would break that.
 *
 * <p>Every file operation, the snapshot files and the tombstones file included, goes through one
 * {@link FileIo}, so the simulator's disk loses or tears whatever was not synced at a crash.
 */
public final class WalLogStore implements Closeable {
    private static final byte ENTRY = 1;
    private static final byte HARD_STATE = 2;
    private static final byte SNAPSHOT = 3;
    private static final byte DROP = 4;

    /** What a dropped replica of a group left behind for the next one on this node. */
    public record Tombstone(HardState hardState, EntryId lastEntry) {}

    /** A group's Ready paired with its id, for {@link #persist}. */
    public record GroupReady(GroupId group, Ready ready) {}

    private final FileIo io;
    private final Path snapshotDir;
    private final Path tombstoneFile;
    private final Wal wal;
    private final TreeMap<GroupId, GroupLog> groups = new TreeMap<>();
    private final TreeMap<GroupId, Tombstone> tombstones;

    private WalLogStore(FileIo io, Path snapshotDir, Path tombstoneFile, Wal wal, TreeMap<GroupId, GroupLog> recovered,
                        TreeMap<GroupId, Tombstone> tombstones) {
        this.io = io;
        this.snapshotDir = snapshotDir;
        this.tombstoneFile = tombstoneFile;
        this.wal = wal;
        this.groups.putAll(recovered);
        this.tombstones = tombstones;
    }

    /** Opens (or creates) the store under {@code dir}, replaying the WAL into each group's log. */
    public static WalLogStore open(Path dir, WalOptions options) throws IOException {
        return open(dir, options, new io.cairn.wal.NioFileIo());
    }

    /** As {@link #open(Path, WalOptions)}, with the WAL's file operations going through {@code io}. */
    public static WalLogStore open(Path dir, WalOptions options, FileIo io) throws IOException {
        Path snapshots = dir.resolve("snapshots");
        io.createDirectories(snapshots);
        Replay replay = new Replay(io, snapshots);
        Wal wal = Wal.open(dir.resolve("wal"), options, io, replay::accept);
        TreeMap<GroupId, GroupLog> recovered = replay.finish();
        // A group dropped for good must not hold back the segments behind its DROP record.
        for (GroupId dropped : replay.dropped) {
            if (!recovered.containsKey(dropped)) {
                wal.release(dropped, Long.MAX_VALUE);
            }
        }
        removeUnusedSnapshots(io, snapshots, recovered);
        Path tombstoneFile = dir.resolve("tombstones");
        return new WalLogStore(io, snapshots, tombstoneFile, wal, recovered, readTombstones(io, tombstoneFile));
    }

    /**
     * Deletes the files in the snapshot directory no group's log stands on: a snapshot written
     * just before a crash that kept its record from the WAL, a temporary file, the file of a
     * replaced snapshot or of a dropped group whose deletion the crash interrupted. Nothing ever
     * reads them, and each would otherwise hold its bytes for good.
     */
    private static void removeUnusedSnapshots(FileIo io, Path dir, Map<GroupId, GroupLog> groups) throws IOException {
        java.util.Set<Path> used = new java.util.TreeSet<>();
        groups.forEach((g, log) -> {
            long index = log.snapshot().meta().index();
            if (index > 0) {
                used.add(snapshotFile(dir, g, index));
            }
        });
        for (Path file : io.list(dir)) {
            if (!used.contains(file)) {
                deleteIfExists(io, file);
            }
        }
    }

    /** What the last dropped replica of {@code id} on this node left behind, if one was dropped. */
    public java.util.Optional<Tombstone> tombstone(GroupId id) {
        return java.util.Optional.ofNullable(tombstones.get(id));
    }

    public io.cairn.wal.RecoveryReport recoveryReport() {
        return wal.recoveryReport();
    }

    /** The WAL's counters since it was opened (appends, records, bytes, fdatasyncs). */
    public io.cairn.wal.WalStats walStats() {
        return wal.stats();
    }

    /** The group's log, or null if the store has never seen it. */
    public GroupLog group(GroupId id) {
        return groups.get(id);
    }

    /**
     * Creates a group's empty log with its bootstrap configuration, durably: an empty snapshot
     * at index 0 carries the configuration across restarts until the first compaction.
     */
    public GroupLog createGroup(GroupId id, ConfState initialConf) throws IOException {
        Invariants.check(!groups.containsKey(id), "group %s exists", id);
        wal.resetRelease(id);
        Snapshot bootstrap = new Snapshot(new SnapshotMeta(0, 0, initialConf), Bytes.EMPTY);
        List<WalRecord> records = new ArrayList<>(List.of(snapshotRecord(id, bootstrap, false)));
        Tombstone t = tombstones.get(id);
        HardState inherited = t == null ? null : new HardState(t.hardState().term(), t.hardState().votedFor(), 0);
        if (inherited != null) {
            // The new replica must not vote again in a term its predecessor voted in.
            records.add(new WalRecord(id, HARD_STATE, 0, encodeHardState(inherited)));
        }
        wal.appendAndSync(records);
        GroupLog log = new GroupLog(initialConf);
        if (inherited != null) {
            log.setHardState(inherited);
        }
        groups.put(id, log);
        return log;
    }

    /**
     * Ends {@code id} on this node, durably: its log and hard state are forgotten now and on every
     * later replay, its snapshot file is deleted, and the WAL no longer keeps segments for it.
     */
    public void dropGroup(GroupId id) throws IOException {
        GroupLog log = groups.get(id);
        Invariants.check(log != null, "drop of unknown group %s", id);
        EntryId last = new EntryId(log.term(log.lastIndex()), log.lastIndex());
        Tombstone earlier = tombstones.get(id);
        if (earlier != null && earlier.lastEntry().compareTo(last) > 0) {
            last = earlier.lastEntry(); // a replica that never got past its predecessor's log
        }
        // The commit index is not kept: the file holds term and vote, and memory must say what a restart reads.
        HardState hs = log.hardState();
        tombstones.put(id, new Tombstone(new HardState(hs.term(), hs.votedFor(), 0), last));
        writeTombstones(); // before the DROP record: a crash in between leaves a harmless tombstone
        groups.remove(id);
        wal.appendAndSync(List.of(new WalRecord(id, DROP, 0, Bytes.EMPTY)));
        wal.release(id, Long.MAX_VALUE);
        long snapshotIndex = log.snapshot().meta().index();
        if (snapshotIndex > 0) {
            deleteIfExists(snapshotFile(snapshotDir, id, snapshotIndex));
        }
    }

    /** The groups this store holds a log for, in id order. */
    public List<GroupId> groupIds() {
        return List.copyOf(groups.keySet());
    }

    /**
     * Persists the Readies of many groups: snapshot files first, then one WAL append of every
     * record, with one fsync if any Ready needs it. When this returns, the messages that
     * waited for the persist may be sent.
     */
    public void persist(List<GroupReady> batch) throws IOException {
        List<WalRecord> records = new ArrayList<>();
        boolean sync = false;
        for (GroupReady gr : batch) {
            Ready rd = gr.ready();
            if (rd.snapshot() != null) {
                records.add(snapshotRecord(gr.group(), rd.snapshot(), true));
            }
            for (LogEntry e : rd.entries()) {
                records.add(new WalRecord(gr.group(), ENTRY, e.index(), encodeEntry(e)));
            }
            if (rd.hardState() != null) {
                records.add(new WalRecord(gr.group(), HARD_STATE, 0, encodeHardState(rd.hardState())));
            }
            sync |= rd.mustSync();
        }
        // A Ready that needs no sync only moves the commit index. Writing it would cost an fsync
        // of its own (the WAL's group commit runs on the caller), so it stays in memory until a
        // synced hard state carries it. Losing it in a crash is safe: the node restarts from the
        // last written commit index and its state machine's applied index, and the leader
        // tells it the rest.
        if (sync) {
            wal.appendAndSync(records);
        }
        for (GroupReady gr : batch) {
            long previousSnapshot = groups.get(gr.group()).snapshot().meta().index();
            applyToMemory(gr.group(), gr.ready());
            Snapshot installed = gr.ready().snapshot();
            if (installed != null && previousSnapshot > 0 && previousSnapshot != installed.meta().index()) {
                // The leader's snapshot is recorded: the one it replaced is read from no more.
                deleteIfExists(io, snapshotFile(snapshotDir, gr.group(), previousSnapshot));
            }
        }
    }

    private void applyToMemory(GroupId id, Ready rd) {
        GroupLog log = groups.get(id);
        Invariants.check(log != null, "persist for unknown group %s", id);
        if (rd.snapshot() != null) {
            log.replaceWithLeaderSnapshot(rd.snapshot());
        }
        for (LogEntry e : rd.entries()) {
            log.append(e);
        }
        if (rd.hardState() != null) {
            log.setHardState(rd.hardState());
        }
    }

    /**
     * Records a snapshot the host took of its own state machine at {@code index} (applied, and
     * made durable in the state machine), drops the entries it covers, and frees WAL segments.
     */
    public void compact(GroupId id, long index, ConfState conf, Bytes data) throws IOException {
        GroupLog log = groups.get(id);
        Invariants.check(index > log.firstIndex() - 1 && index <= log.lastIndex(),
                "compact(%s) outside the log of %s", index, id);
        Snapshot s = new Snapshot(new SnapshotMeta(index, log.term(index), conf), data);
        List<WalRecord> records = List.of(snapshotRecord(id, s, false),
                new WalRecord(id, HARD_STATE, 0, encodeHardState(log.hardState())));
        wal.appendAndSync(records);
        long previous = log.snapshot().meta().index();
        log.compactTo(s);
        // Released below the snapshot's own index, not past it: the SNAPSHOT record just written
        // carries that index, so its segment (with the HARD_STATE beside it) is still needed. A
        // group that compacts and then stays quiet would otherwise lose both once busier groups
        // release the segments around them, and come back from a restart without its term and
        // vote, or not at all.
        wal.release(id, index);
        if (previous > 0) {
            deleteIfExists(snapshotFile(snapshotDir, id, previous));
        }
    }

    private WalRecord snapshotRecord(GroupId id, Snapshot s, boolean replacesLog) throws IOException {
        if (s.meta().index() > 0) {
            // A new group's starting point (index 0) has no data: nothing reads a file of it.
            writeDurably(snapshotFile(snapshotDir, id, s.meta().index()), s.data());
        }
        Bytes conf = s.meta().conf().encode();
        ByteBuffer buf = ByteBuffer.allocate(8 + 1 + 4 + conf.size() + 4 + 4);
        buf.putLong(s.meta().term()).put((byte) (replacesLog ? 1 : 0)).putInt(conf.size());
        buf.put(conf.toArray()).putInt(s.data().size()).putInt(crc(s.data()));
        return new WalRecord(id, SNAPSHOT, s.meta().index(), Bytes.wrap(buf.array()));
    }

    private static Path snapshotFile(Path dir, GroupId id, long index) {
        return dir.resolve(String.format("%d-%020d.snap", id.value(), index));
    }

    /** Writes {@code file} whole or not at all: a synced temporary file renamed over it, then a directory sync. */
    private void writeDurably(Path file, Bytes data) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        deleteIfExists(tmp); // left by a crash mid-write
        try (FileIo.Handle h = io.create(tmp)) {
            h.write(ByteBuffer.wrap(data.toArray()), 0);
            h.force();
        }
        io.rename(tmp, file);
        io.syncDirectory(file.getParent());
    }

    private void deleteIfExists(Path file) throws IOException {
        deleteIfExists(io, file);
    }

    private static void deleteIfExists(FileIo io, Path file) throws IOException {
        try {
            io.delete(file);
        } catch (java.nio.file.NoSuchFileException alreadyGone) {
            // Nothing to delete.
        }
    }

    private static Bytes readAll(FileIo io, Path file) throws IOException {
        try (FileIo.Handle h = io.open(file)) {
            ByteBuffer buf = ByteBuffer.allocate(Math.toIntExact(h.size()));
            h.read(buf, 0);
            return Bytes.wrap(buf.array());
        }
    }

    private static int crc(Bytes data) {
        CRC32C c = new CRC32C();
        c.update(data.toArray());
        return (int) c.getValue();
    }

    static Bytes encodeEntry(LogEntry e) {
        ByteBuffer buf = ByteBuffer.allocate(8 + 1 + e.data().size());
        buf.putLong(e.term()).put((byte) e.type().code());
        e.data().copyTo(buf.array(), 9);
        return Bytes.wrap(buf.array());
    }

    static LogEntry decodeEntry(long index, Bytes payload) {
        byte[] a = payload.toArray();
        ByteBuffer buf = ByteBuffer.wrap(a);
        long term = buf.getLong();
        EntryType type = EntryType.ofCode(buf.get());
        return new LogEntry(index, term, type, Bytes.copyOf(a, 9, a.length - 9));
    }

    /**
     * A header line, then one line per group: id, term, vote (0: none), last entry's term and
     * index, then the CRC32C of those five fields (as written, with their spaces) in hex. A
     * flipped bit in a number would otherwise read as another number: a lower vote floor, a
     * forgotten vote. The header says every line has its CRC: without it, a flipped bit that
     * turns a space into a digit (merging two fields) could leave a line that reads as one of an
     * older release, which had no CRC. Files of older releases (no header) are read as they
     * were, and rewritten in this form at the next drop.
     */
    private void writeTombstones() throws IOException {
        StringBuilder sb = new StringBuilder(TOMBSTONES_HEADER).append('\n');
        tombstones.forEach((g, t) -> {
            String fields = g.value() + " " + t.hardState().term() + " "
                    + (t.hardState().votedFor() == null ? 0 : t.hardState().votedFor().value()) + " "
                    + t.lastEntry().term() + " " + t.lastEntry().index();
            sb.append(fields).append(' ').append(Integer.toHexString(lineCrc(fields))).append('\n');
        });
        writeDurably(tombstoneFile, Bytes.wrap(sb.toString().getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    /** The first line of a tombstones file whose every line carries its CRC. */
    private static final String TOMBSTONES_HEADER = "cairn tombstones 2";
    /** Five decimal fields, then the CRC in lower-case hex. */
    private static final java.util.regex.Pattern TOMBSTONE_LINE =
            java.util.regex.Pattern.compile("[0-9]{1,19}( [0-9]{1,19}){4} [0-9a-f]{1,8}");
    /** A line of an older release, without the header: five decimal fields, then a CRC or (older still) none. */
    private static final java.util.regex.Pattern OLDER_TOMBSTONE_LINE =
            java.util.regex.Pattern.compile("[0-9]{1,19}( [0-9]{1,19}){4}( [0-9a-f]{1,8})?");

    private static int lineCrc(String fields) {
        return crc(Bytes.wrap(fields.getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
    }

    private static TreeMap<GroupId, Tombstone> readTombstones(FileIo io, Path file) throws IOException {
        TreeMap<GroupId, Tombstone> out = new TreeMap<>();
        String text;
        try {
            text = new String(readAll(io, file).toArray(), java.nio.charset.StandardCharsets.US_ASCII);
        } catch (java.nio.file.NoSuchFileException neverDropped) {
            return out;
        }
        List<String> lines = text.lines().toList();
        boolean headed = !lines.isEmpty() && lines.get(0).equals(TOMBSTONES_HEADER);
        java.util.regex.Pattern shape = headed ? TOMBSTONE_LINE : OLDER_TOMBSTONE_LINE;
        for (String line : headed ? lines.subList(1, lines.size()) : lines) {
            // Exactly as written, nothing trimmed: any flipped bit then breaks the line's shape or its CRC.
            if (!shape.matcher(line).matches()) {
                throw new IOException(file + " is corrupt: '" + line + "'");
            }
            String[] f = line.split(" ");
            try {
                if (f.length == 6 && Integer.parseUnsignedInt(f[5], 16)
                        != lineCrc(String.join(" ", java.util.Arrays.asList(f).subList(0, 5)))) {
                    throw new IOException(file + " is corrupt (CRC32C mismatch): '" + line + "'");
                }
                long vote = Long.parseLong(f[2]);
                out.put(new GroupId(Long.parseLong(f[0])), new Tombstone(
                        new HardState(Long.parseLong(f[1]), vote == 0 ? null : NodeId.of(vote), 0),
                        new EntryId(Long.parseLong(f[3]), Long.parseLong(f[4]))));
            } catch (NumberFormatException e) {
                throw new IOException(file + " is corrupt: '" + line + "'", e);
            }
        }
        return out;
    }

    static Bytes encodeHardState(HardState hs) {
        ByteBuffer buf = ByteBuffer.allocate(24);
        buf.putLong(hs.term()).putLong(hs.votedFor() == null ? 0 : hs.votedFor().value()).putLong(hs.commit());
        return Bytes.wrap(buf.array());
    }

    static HardState decodeHardState(Bytes payload) {
        ByteBuffer buf = ByteBuffer.wrap(payload.toArray());
        long term = buf.getLong();
        long vote = buf.getLong();
        return new HardState(term, vote == 0 ? null : NodeId.of(vote), buf.getLong());
    }

    @Override
    public void close() throws IOException {
        wal.close();
    }

    /**
     * Rebuilds each group from the records in write order. Segments at the front may be gone
     * (released), so entries are gathered in a map and checked for gaps only at the end.
     */
    private static final class Replay {
        private final FileIo io;
        private final Path snapshotDir;
        private final TreeMap<GroupId, TreeMap<Long, LogEntry>> entries = new TreeMap<>();
        private final TreeMap<GroupId, HardState> hardStates = new TreeMap<>();
        private final TreeMap<GroupId, PendingSnapshot> snapshots = new TreeMap<>();
        /** Groups that saw a DROP record; one recreated after it is in {@link #entries} again. */
        final java.util.TreeSet<GroupId> dropped = new java.util.TreeSet<>();

        private record PendingSnapshot(SnapshotMeta meta, int size, int crc) {}

        Replay(FileIo io, Path snapshotDir) {
            this.io = io;
            this.snapshotDir = snapshotDir;
        }

        void accept(WalRecord r) {
            GroupId g = r.groupId();
            TreeMap<Long, LogEntry> log = entries.computeIfAbsent(g, k -> new TreeMap<>());
            switch (r.kind()) {
                case ENTRY -> {
                    log.tailMap(r.index(), true).clear(); // a rewrite replaces the suffix
                    log.put(r.index(), decodeEntry(r.index(), r.payload()));
                }
                case HARD_STATE -> hardStates.put(g, decodeHardState(r.payload()));
                case SNAPSHOT -> acceptSnapshot(g, r, log);
                case DROP -> {
                    entries.remove(g);
                    hardStates.remove(g);
                    snapshots.remove(g);
                    dropped.add(g);
                }
                default -> throw new IllegalStateException("unknown WAL record kind " + r.kind() + " for " + g);
            }
        }

        private void acceptSnapshot(GroupId g, WalRecord r, TreeMap<Long, LogEntry> log) {
            ByteBuffer buf = ByteBuffer.wrap(r.payload().toArray());
            long term = buf.getLong();
            boolean replacesLog = buf.get() == 1;
            byte[] conf = new byte[buf.getInt()];
            buf.get(conf);
            int size = buf.getInt();
            int crc = buf.getInt();
            if (replacesLog) {
                log.clear(); // a snapshot from the leader: our own entries after it are stale
            } else {
                log.headMap(r.index(), true).clear();
            }
            // Only the newest snapshot's file still exists; older ones are read from no more.
            snapshots.put(g, new PendingSnapshot(new SnapshotMeta(r.index(), term, ConfState.decode(Bytes.wrap(conf))), size, crc));
        }

        private Snapshot load(GroupId g, PendingSnapshot p) {
            if (p.meta().index() == 0) {
                return new Snapshot(p.meta(), Bytes.EMPTY);
            }
            Path file = snapshotFile(snapshotDir, g, p.meta().index());
            Bytes data;
            try {
                data = readAll(io, file);
            } catch (IOException e) {
                throw new IllegalStateException("snapshot file " + file + " named in the WAL is unreadable: " + e, e);
            }
            if (data.size() != p.size() || crc(data) != p.crc()) {
                throw new IllegalStateException("snapshot file " + file + " is damaged (size or CRC32C mismatch)");
            }
            return new Snapshot(p.meta(), data);
        }

        TreeMap<GroupId, GroupLog> finish() {
            TreeMap<GroupId, GroupLog> out = new TreeMap<>();
            for (Map.Entry<GroupId, TreeMap<Long, LogEntry>> e : entries.entrySet()) {
                GroupId g = e.getKey();
                PendingSnapshot s = snapshots.get(g);
                GroupLog log = new GroupLog(ConfState.EMPTY);
                if (s != null) {
                    log.replaceWithLeaderSnapshot(load(g, s));
                }
                long expected = log.lastIndex() + 1;
                for (LogEntry entry : e.getValue().values()) {
                    if (entry.index() < expected) {
                        continue; // covered by the snapshot
                    }
                    if (entry.index() != expected) {
                        throw new IllegalStateException("log of " + g + " has a gap: entry " + expected
                                + " is missing before " + entry.index());
                    }
                    log.append(entry);
                    expected++;
                }
                log.setHardState(hardStates.getOrDefault(g, HardState.EMPTY));
                out.put(g, log);
            }
            return out;
        }
    }
}
