package io.cairn.raft;

import io.cairn.common.NodeId;

/**
 * Settings of one Raft node. Times are in ticks; the host decides how long a tick is (the
 * server uses 100 ms ticks by default; the simulator, 10 ms of virtual time).
 *
 * @param id this node
 * @param electionTicks minimum election timeout; each timeout is drawn from
 *     [electionTicks, 2 * electionTicks)
 * @param heartbeatTicks leader heartbeat interval; must be below electionTicks
 * @param preVote campaign only after a pre-vote round shows the node could win
 * @param checkQuorum a leader steps down when a quorum has not answered within electionTicks,
 *     and followers ignore votes while they hear from a leader; required for lease reads
 * @param maxInflightMsgs appends in flight per follower in the replicate state
 * @param maxEntriesPerMsg entries per append message
 * @param maxBytesPerMsg bytes per append message (at least one entry is always sent)
 * @param maxSnapshotChunkBytes bytes per snapshot chunk
 * @param maxApplyBytesPerReady committed entry bytes handed out per Ready
 * @param maxPendingReads reads waiting for confirmation at the leader
 * @param appliedIndex index the host's state machine has applied, at or after the snapshot;
 *     0 means "the snapshot's index"
 */
public record RaftConfig(
        NodeId id,
        int electionTicks,
        int heartbeatTicks,
        boolean preVote,
        boolean checkQuorum,
        int maxInflightMsgs,
        int maxEntriesPerMsg,
        long maxBytesPerMsg,
        int maxSnapshotChunkBytes,
        long maxApplyBytesPerReady,
        int maxPendingReads,
        long appliedIndex) {

    public RaftConfig {
        if (id == null) {
            throw new IllegalArgumentException("id is required");
        }
        if (heartbeatTicks < 1 || electionTicks <= heartbeatTicks) {
            throw new IllegalArgumentException("need 1 <= heartbeatTicks < electionTicks, got "
                    + heartbeatTicks + " and " + electionTicks);
        }
        if (maxInflightMsgs < 1 || maxEntriesPerMsg < 1 || maxBytesPerMsg < 1
                || maxSnapshotChunkBytes < 1 || maxApplyBytesPerReady < 1 || maxPendingReads < 1) {
            throw new IllegalArgumentException("limits must be positive");
        }
        if (appliedIndex < 0) {
            throw new IllegalArgumentException("appliedIndex must not be negative");
        }
    }

    /** Defaults: election 10 ticks, heartbeat 1, PreVote and CheckQuorum on. */
    public static RaftConfig defaults(NodeId id) {
        return new RaftConfig(id, 10, 1, true, true, 256, 1024, 1 << 20, 1 << 20, 64L << 20, 4096, 0);
    }

    public RaftConfig withElection(int electionTicks, int heartbeatTicks) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxEntriesPerMsg, maxBytesPerMsg, maxSnapshotChunkBytes, maxApplyBytesPerReady,
                maxPendingReads, appliedIndex);
    }

    public RaftConfig withAppliedIndex(long appliedIndex) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxEntriesPerMsg, maxBytesPerMsg, maxSnapshotChunkBytes, maxApplyBytesPerReady,
                maxPendingReads, appliedIndex);
    }
}
