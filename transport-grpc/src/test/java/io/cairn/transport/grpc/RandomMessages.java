package io.cairn.transport.grpc;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import io.cairn.common.RandomSource;
import io.cairn.common.SeededRandom;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.SnapshotMeta;
import io.cairn.raft.RaftMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Random Raft messages of every kind, drawn from one seed so a failure replays exactly. Scalars
 * favour the edges (0, 1, -1, the extremes) as often as uniform values: those are where a
 * signed/unsigned or varint mistake would show.
 */
final class RandomMessages {
    /** Kinds in a fixed order; {@link #kindCount()} of them, one per permitted record. */
    private static final int KINDS = 11;
    private static final long[] EDGES = {0, 1, -1, 127, 128, Long.MAX_VALUE, Long.MIN_VALUE};

    private final RandomSource random;

    RandomMessages(long seed) {
        this.random = new SeededRandom(seed);
    }

    static int kindCount() {
        return KINDS;
    }

    /** A message of kind {@code kind} in [0, kindCount()). */
    RaftMessage next(int kind) {
        NodeId from = node();
        NodeId to = node();
        long term = scalar();
        return switch (kind) {
            case 0 -> new RaftMessage.VoteRequest(from, to, term, flag(), scalar(), scalar(), flag());
            case 1 -> new RaftMessage.VoteResponse(from, to, term, flag(), flag(), term * 3, term);
            case 2 -> new RaftMessage.AppendEntries(from, to, term, scalar(), scalar(), entries(), scalar());
            case 3 -> new RaftMessage.AppendResponse(from, to, term, scalar(), flag(), scalar(), scalar());
            case 4 -> new RaftMessage.Heartbeat(from, to, term, scalar(), scalar(), scalar());
            case 5 -> new RaftMessage.HeartbeatResponse(from, to, term, scalar(), scalar());
            case 6 -> new RaftMessage.InstallSnapshot(from, to, term, snapshotMeta(), scalar(), bytes(), flag());
            case 7 -> new RaftMessage.SnapshotChunkResponse(from, to, term, scalar(), scalar());
            case 8 -> new RaftMessage.TimeoutNow(from, to, term);
            case 9 -> new RaftMessage.ReadIndexRequest(from, to, term, scalar());
            case 10 -> new RaftMessage.ReadIndexResponse(from, to, term, scalar(), scalar());
            default -> throw new IllegalArgumentException("no kind " + kind);
        };
    }

    /** Any long: message fields are plain longs, and every bit pattern must survive uint64. */
    long scalar() {
        return random.chance(0.5) ? EDGES[random.nextInt(EDGES.length)] : random.nextLong();
    }

    /** A value in [1, Long.MAX_VALUE], for fields that must be positive. */
    long positive() {
        long v = scalar() & Long.MAX_VALUE;
        return v == 0 ? 1 : v;
    }

    private NodeId node() {
        return random.chance(0.5) ? NodeId.of(1 + random.nextInt(7)) : NodeId.of(positive());
    }

    private boolean flag() {
        return random.chance(0.5);
    }

    private Bytes bytes() {
        byte[] data = new byte[random.chance(0.2) ? 0 : random.nextInt(300)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (byte) random.nextInt(256);
        }
        return Bytes.wrap(data);
    }

    private List<LogEntry> entries() {
        int n = random.nextInt(7);
        List<LogEntry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            EntryType type = random.chance(0.5) ? EntryType.NORMAL : EntryType.CONFIG;
            entries.add(new LogEntry(positive(), positive(), type, bytes()));
        }
        return entries;
    }

    private SnapshotMeta snapshotMeta() {
        TreeSet<NodeId> voters = nodeSet();
        TreeSet<NodeId> learners = nodeSet();
        learners.removeAll(voters);
        ConfState conf = new ConfState(voters, nodeSet(), learners);
        return new SnapshotMeta(positive() - 1, positive() - 1, conf);
    }

    private TreeSet<NodeId> nodeSet() {
        TreeSet<NodeId> ids = new TreeSet<>();
        int n = random.nextInt(6);
        for (int i = 0; i < n; i++) {
            ids.add(node());
        }
        return ids;
    }
}
