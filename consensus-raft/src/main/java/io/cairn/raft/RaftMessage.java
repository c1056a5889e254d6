package io.cairn.raft;

import io.cairn.common.Bytes;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConsensusMessage;
import io.cairn.consensus.LogEntry;
import io.cairn.consensus.SnapshotMeta;
import java.util.List;

/** Every message Raft peers exchange. Records, so they compare and print by value. */
public sealed interface RaftMessage extends ConsensusMessage {

    @Override
    default boolean isFromLeader() {
        return this instanceof AppendEntries || this instanceof Heartbeat || this instanceof InstallSnapshot;
    }

    /** Only an append carries the leader's commit index as it is: a heartbeat's is capped at the member's match. */
    @Override
    default long leaderCommit() {
        return this instanceof AppendEntries a ? a.commit() : 0;
    }

    /** A (pre-)candidate asks for a vote. A pre-vote carries the term it would campaign in. */
    record VoteRequest(NodeId from, NodeId to, long term, boolean preVote, long lastLogIndex,
                       long lastLogTerm, boolean transfer) implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " " + (preVote ? "PreVote" : "Vote") + " term=" + term
                    + " last=" + lastLogTerm + "/" + lastLogIndex + (transfer ? " transfer" : "");
        }
    }

    /**
     * A (pre-)vote answer. It also carries the voter's commit index and the term of its entry
     * there: a candidate whose log holds that entry may take the index as committed (Log
     * Matching), so survivors of a leader that died before they learned a membership change was
     * committed can leave the old configuration and elect among themselves.
     */
    record VoteResponse(NodeId from, NodeId to, long term, boolean preVote, boolean granted, long commit,
                        long commitTerm) implements RaftMessage {
        public VoteResponse(NodeId from, NodeId to, long term, boolean preVote, boolean granted) {
            this(from, to, term, preVote, granted, 0, 0);
        }

        @Override
        public String toString() {
            return from + "->" + to + " " + (preVote ? "PreVoteResp" : "VoteResp") + " term=" + term
                    + (granted ? " granted" : " rejected");
        }
    }

    /** Entries after (prevTerm, prevIndex); an empty list still carries the commit index. */
    record AppendEntries(NodeId from, NodeId to, long term, long prevIndex, long prevTerm,
                         List<LogEntry> entries, long commit) implements RaftMessage {
        public AppendEntries {
            entries = List.copyOf(entries);
        }

        @Override
        public String toString() {
            return from + "->" + to + " App term=" + term + " prev=" + prevTerm + "/" + prevIndex
                    + " commit=" + commit + " entries=" + entries;
        }
    }

    /**
     * On success {@code index} is the follower's last index known to match the leader. On
     * rejection {@code index} is the rejected prevIndex and (hintTerm, hintIndex) the follower's
     * last entry whose term is at most the rejected prevTerm, so the leader can skip whole terms.
     */
    record AppendResponse(NodeId from, NodeId to, long term, long index, boolean reject,
                          long hintIndex, long hintTerm) implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " AppResp term=" + term + " index=" + index
                    + (reject ? " rejected hint=" + hintTerm + "/" + hintIndex : "");
        }
    }

    /**
     * Leader liveness and commit index (min of the follower's match and the leader's commit).
     * {@code seq} numbers heartbeat rounds for ReadIndex; {@code sentTick} is the leader's tick
     * at sending, echoed back to measure the leader lease.
     */
    record Heartbeat(NodeId from, NodeId to, long term, long commit, long seq, long sentTick)
            implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " Heartbeat term=" + term + " commit=" + commit + " seq=" + seq;
        }
    }

    record HeartbeatResponse(NodeId from, NodeId to, long term, long seq, long sentTick)
            implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " HeartbeatResp term=" + term + " seq=" + seq;
        }
    }

    /** One chunk of a snapshot, starting at byte {@code offset}; {@code last} ends it. */
    record InstallSnapshot(NodeId from, NodeId to, long term, SnapshotMeta meta, long offset,
                           Bytes chunk, boolean last) implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " Snapshot term=" + term + " meta=" + meta + " offset=" + offset
                    + " len=" + chunk.size() + (last ? " last" : "");
        }
    }

    /**
     * Acknowledges a non-final snapshot chunk: the follower wants the bytes from
     * {@code nextOffset} of the snapshot at {@code snapshotIndex}. The final chunk is answered
     * with an {@link AppendResponse} once the snapshot is persisted.
     */
    record SnapshotChunkResponse(NodeId from, NodeId to, long term, long snapshotIndex,
                                 long nextOffset) implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " SnapshotChunkResp term=" + term + " index=" + snapshotIndex
                    + " next=" + nextOffset;
        }
    }

    /** Leadership transfer: the target campaigns at once, bypassing pre-vote and leases. */
    record TimeoutNow(NodeId from, NodeId to, long term) implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " TimeoutNow term=" + term;
        }
    }

    /** A follower forwards a read to the leader. */
    record ReadIndexRequest(NodeId from, NodeId to, long term, long context) implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " ReadIndex term=" + term + " ctx=" + context;
        }
    }

    record ReadIndexResponse(NodeId from, NodeId to, long term, long context, long index)
            implements RaftMessage {
        @Override
        public String toString() {
            return from + "->" + to + " ReadIndexResp term=" + term + " ctx=" + context + " index=" + index;
        }
    }
}
