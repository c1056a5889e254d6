package io.cairn.transport.grpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.cairn.api.proto.AppendResponse;
import io.cairn.api.proto.Heartbeat;
import io.cairn.api.proto.HeartbeatResponse;
import io.cairn.api.proto.InstallSnapshot;
import io.cairn.api.proto.RaftEnvelope;
import io.cairn.api.proto.ReadIndexRequest;
import io.cairn.api.proto.ReadIndexResponse;
import io.cairn.api.proto.SnapshotChunkResponse;
import io.cairn.api.proto.TimeoutNow;
import io.cairn.api.proto.VoteRequest;
import io.cairn.api.proto.VoteResponse;
import io.cairn.common.Bytes;
import io.cairn.common.GroupId;
import io.cairn.common.InvariantViolation;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.EntryType;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.SnapshotMeta;
import io.cairn.raft.RaftMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;

/**
 * Converts {@link RaftMessage} records to their proto form ({@code cairn/raft.proto}) and back.
 * {@code decode(encode(m)).equals(m)} holds for every message.
 *
 * <p>Decoding validates: a message that is malformed or of a kind this node does not know (a
 * newer peer) fails with {@link IllegalArgumentException}, which the receiver counts and drops.
 *
 * <p>Payloads cost one copy each way: {@link Bytes} does not lend out its array, so encoding
 * copies it once ({@link Bytes#toArray()}) and hands the copy to protobuf without another
 * ({@link UnsafeByteOperations#unsafeWrap}); decoding copies out of the {@link ByteString} once
 * and hands that array to {@link Bytes#wrap}.
 */
public final class RaftCodec {
    /**
     * Bytes a message may take on the wire beyond its payloads, as an upper bound: three ids of at
     * most 10 bytes each, up to six more varints, tags and lengths. Used for queue limits.
     */
    static final int MESSAGE_OVERHEAD_BYTES = 128;
    /** Per-entry wire bytes beyond its data, as an upper bound: two varints, type, tags, lengths. */
    static final int ENTRY_OVERHEAD_BYTES = 40;

    private RaftCodec() {}

    public static RaftEnvelope encode(GroupId group, RaftMessage message) {
        return RaftEnvelope.newBuilder().setGroupId(group.value()).setMessage(encode(message)).build();
    }

    public static io.cairn.api.proto.RaftMessage encode(RaftMessage message) {
        io.cairn.api.proto.RaftMessage.Builder b = io.cairn.api.proto.RaftMessage.newBuilder()
                .setFromNode(message.from().value())
                .setToNode(message.to().value())
                .setTerm(message.term());
        // Java 17 has no pattern switch: RaftCodecTest checks that every permitted kind is here.
        if (message instanceof RaftMessage.VoteRequest m) {
            b.setVoteRequest(VoteRequest.newBuilder().setPreVote(m.preVote())
                    .setLastLogIndex(m.lastLogIndex()).setLastLogTerm(m.lastLogTerm()).setTransfer(m.transfer()));
        } else if (message instanceof RaftMessage.VoteResponse m) {
            b.setVoteResponse(VoteResponse.newBuilder().setPreVote(m.preVote()).setGranted(m.granted())
                    .setCommit(m.commit()).setCommitTerm(m.commitTerm()));
        } else if (message instanceof RaftMessage.AppendEntries m) {
            b.setAppendEntries(encodeAppend(m));
        } else if (message instanceof RaftMessage.AppendResponse m) {
            b.setAppendResponse(AppendResponse.newBuilder().setIndex(m.index()).setReject(m.reject())
                    .setHintIndex(m.hintIndex()).setHintTerm(m.hintTerm()));
        } else if (message instanceof RaftMessage.Heartbeat m) {
            b.setHeartbeat(Heartbeat.newBuilder().setCommit(m.commit()).setSeq(m.seq()).setSentTick(m.sentTick()));
        } else if (message instanceof RaftMessage.HeartbeatResponse m) {
            b.setHeartbeatResponse(HeartbeatResponse.newBuilder().setSeq(m.seq()).setSentTick(m.sentTick()));
        } else if (message instanceof RaftMessage.InstallSnapshot m) {
            b.setInstallSnapshot(InstallSnapshot.newBuilder().setMeta(encode(m.meta())).setOffset(m.offset())
                    .setChunk(encode(m.chunk())).setLast(m.last()));
        } else if (message instanceof RaftMessage.SnapshotChunkResponse m) {
            b.setSnapshotChunkResponse(SnapshotChunkResponse.newBuilder().setSnapshotIndex(m.snapshotIndex())
                    .setNextOffset(m.nextOffset()));
        } else if (message instanceof RaftMessage.TimeoutNow) {
            b.setTimeoutNow(TimeoutNow.getDefaultInstance());
        } else if (message instanceof RaftMessage.ReadIndexRequest m) {
            b.setReadIndexRequest(ReadIndexRequest.newBuilder().setContext(m.context()));
        } else if (message instanceof RaftMessage.ReadIndexResponse m) {
            b.setReadIndexResponse(ReadIndexResponse.newBuilder().setContext(m.context()).setIndex(m.index()));
        } else {
            throw new InvariantViolation("no encoding for Raft message kind " + message.getClass().getName());
        }
        return b.build();
    }

    /** A decoded envelope: the message and the group it belongs to. */
    public record Addressed(GroupId group, RaftMessage message) {}

    /** Throws IllegalArgumentException when the envelope is malformed. */
    public static Addressed decode(RaftEnvelope envelope) {
        if (!envelope.hasMessage()) {
            throw new IllegalArgumentException("envelope for group " + envelope.getGroupId() + " has no message");
        }
        return new Addressed(new GroupId(envelope.getGroupId()), decode(envelope.getMessage()));
    }

    public static RaftMessage decode(io.cairn.api.proto.RaftMessage p) {
        NodeId from = NodeId.of(p.getFromNode());
        NodeId to = NodeId.of(p.getToNode());
        long term = p.getTerm();
        return switch (p.getKindCase()) {
            case VOTE_REQUEST -> {
                VoteRequest m = p.getVoteRequest();
                yield new RaftMessage.VoteRequest(from, to, term, m.getPreVote(), m.getLastLogIndex(),
                        m.getLastLogTerm(), m.getTransfer());
            }
            case VOTE_RESPONSE -> new RaftMessage.VoteResponse(from, to, term,
                    p.getVoteResponse().getPreVote(), p.getVoteResponse().getGranted(),
                    p.getVoteResponse().getCommit(), p.getVoteResponse().getCommitTerm());
            case APPEND_ENTRIES -> decodeAppend(from, to, term, p.getAppendEntries());
            case APPEND_RESPONSE -> {
                AppendResponse m = p.getAppendResponse();
                yield new RaftMessage.AppendResponse(from, to, term, m.getIndex(), m.getReject(),
                        m.getHintIndex(), m.getHintTerm());
            }
            case HEARTBEAT -> {
                Heartbeat m = p.getHeartbeat();
                yield new RaftMessage.Heartbeat(from, to, term, m.getCommit(), m.getSeq(), m.getSentTick());
            }
            case HEARTBEAT_RESPONSE -> new RaftMessage.HeartbeatResponse(from, to, term,
                    p.getHeartbeatResponse().getSeq(), p.getHeartbeatResponse().getSentTick());
            case INSTALL_SNAPSHOT -> {
                InstallSnapshot m = p.getInstallSnapshot();
                yield new RaftMessage.InstallSnapshot(from, to, term, decode(m.getMeta()), m.getOffset(),
                        decode(m.getChunk()), m.getLast());
            }
            case SNAPSHOT_CHUNK_RESPONSE -> new RaftMessage.SnapshotChunkResponse(from, to, term,
                    p.getSnapshotChunkResponse().getSnapshotIndex(), p.getSnapshotChunkResponse().getNextOffset());
            case TIMEOUT_NOW -> new RaftMessage.TimeoutNow(from, to, term);
            case READ_INDEX_REQUEST -> new RaftMessage.ReadIndexRequest(from, to, term,
                    p.getReadIndexRequest().getContext());
            case READ_INDEX_RESPONSE -> new RaftMessage.ReadIndexResponse(from, to, term,
                    p.getReadIndexResponse().getContext(), p.getReadIndexResponse().getIndex());
            case KIND_NOT_SET -> throw new IllegalArgumentException(
                    "Raft message of unknown kind from " + from + " (a newer peer?)");
        };
    }

    /**
     * An upper bound on the message's encoded size, computed without encoding it, for the
     * sender's queue limit. Payloads dominate; the overheads are generous constants.
     */
    public static long sizeUpperBoundBytes(RaftMessage message) {
        long size = MESSAGE_OVERHEAD_BYTES;
        if (message instanceof RaftMessage.AppendEntries m) {
            for (LogEntry e : m.entries()) {
                size += ENTRY_OVERHEAD_BYTES + e.data().size();
            }
        } else if (message instanceof RaftMessage.InstallSnapshot m) {
            ConfState conf = m.meta().conf();
            int ids = conf.voters().size() + conf.votersOutgoing().size() + conf.learners().size();
            size += 11L * ids + m.chunk().size();
        }
        return size;
    }

    private static io.cairn.api.proto.AppendEntries encodeAppend(RaftMessage.AppendEntries m) {
        io.cairn.api.proto.AppendEntries.Builder b = io.cairn.api.proto.AppendEntries.newBuilder()
                .setPrevIndex(m.prevIndex()).setPrevTerm(m.prevTerm()).setCommit(m.commit());
        for (LogEntry e : m.entries()) {
            b.addEntries(io.cairn.api.proto.LogEntry.newBuilder().setIndex(e.index()).setTerm(e.term())
                    .setType(encode(e.type())).setData(encode(e.data())));
        }
        return b.build();
    }

    private static RaftMessage.AppendEntries decodeAppend(NodeId from, NodeId to, long term,
                                                          io.cairn.api.proto.AppendEntries p) {
        List<LogEntry> entries = new ArrayList<>(p.getEntriesCount());
        for (io.cairn.api.proto.LogEntry e : p.getEntriesList()) {
            entries.add(new LogEntry(e.getIndex(), e.getTerm(), decode(e.getType()), decode(e.getData())));
        }
        return new RaftMessage.AppendEntries(from, to, term, p.getPrevIndex(), p.getPrevTerm(), entries,
                p.getCommit());
    }

    private static io.cairn.api.proto.EntryType encode(EntryType type) {
        return switch (type) {
            case NORMAL -> io.cairn.api.proto.EntryType.ENTRY_TYPE_NORMAL;
            case CONFIG -> io.cairn.api.proto.EntryType.ENTRY_TYPE_CONFIG;
        };
    }

    private static EntryType decode(io.cairn.api.proto.EntryType type) {
        return switch (type) {
            case ENTRY_TYPE_NORMAL -> EntryType.NORMAL;
            case ENTRY_TYPE_CONFIG -> EntryType.CONFIG;
            case ENTRY_TYPE_UNSPECIFIED, UNRECOGNIZED -> throw new IllegalArgumentException(
                    "log entry of unknown type " + type);
        };
    }

    private static io.cairn.api.proto.SnapshotMeta encode(SnapshotMeta meta) {
        ConfState conf = meta.conf();
        io.cairn.api.proto.ConfState.Builder c = io.cairn.api.proto.ConfState.newBuilder();
        conf.voters().forEach(id -> c.addVoters(id.value()));
        conf.votersOutgoing().forEach(id -> c.addVotersOutgoing(id.value()));
        conf.learners().forEach(id -> c.addLearners(id.value()));
        return io.cairn.api.proto.SnapshotMeta.newBuilder().setIndex(meta.index()).setTerm(meta.term())
                .setConf(c).build();
    }

    private static SnapshotMeta decode(io.cairn.api.proto.SnapshotMeta p) {
        io.cairn.api.proto.ConfState c = p.getConf();
        ConfState conf = new ConfState(nodeIds(c.getVotersList()), nodeIds(c.getVotersOutgoingList()),
                nodeIds(c.getLearnersList()));
        return new SnapshotMeta(p.getIndex(), p.getTerm(), conf);
    }

    private static SortedSet<NodeId> nodeIds(List<Long> values) {
        TreeSet<NodeId> ids = new TreeSet<>();
        for (long value : values) {
            ids.add(NodeId.of(value));
        }
        return ids;
    }

    static ByteString encode(Bytes bytes) {
        return bytes.isEmpty() ? ByteString.EMPTY : UnsafeByteOperations.unsafeWrap(bytes.toArray());
    }

    static Bytes decode(ByteString bytes) {
        return bytes.isEmpty() ? Bytes.EMPTY : Bytes.wrap(bytes.toByteArray());
    }
}
