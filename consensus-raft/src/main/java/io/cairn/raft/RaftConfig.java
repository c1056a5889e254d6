package io.cairn.raft;

import io.cairn.common.NodeId;
import io.cairn.consensus.EntryId;

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
 * @param voteFloor the last log entry an earlier replica of this group on this node held before
 *     it was removed and its log wiped ({@code 0/0}: none). No vote is granted to a candidate whose
 *     log is behind it: Raft's vote check assumes a voter never loses its log, and a stale
 *     candidate whose configuration still lists the old replica would otherwise win with the new,
 *     empty one's vote (the sharded simulator found exactly that).
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
        long appliedIndex,
        EntryId voteFloor) {

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
        if (voteFloor == null) {
            throw new IllegalArgumentException("voteFloor is required (0/0 for none)");
        }
    }

    /** No earlier replica: every up-to-date candidate may get this node's vote. */
    public static final EntryId NO_FLOOR = new EntryId(0, 0);

    /** Defaults: election 10 ticks, heartbeat every 3 ({@link #heartbeatTicksFor}), PreVote and CheckQuorum on. */
    public static RaftConfig defaults(NodeId id) {
        return new RaftConfig(id, 10, heartbeatTicksFor(10), true, true, 256, 1024, 1 << 20, 1 << 20, 64L << 20, 4096, 0,
                NO_FLOOR);
    }

    /**
     * The heartbeat interval of an idle group for an election timeout: a third of it (at least
     * one tick), as CockroachDB spaces them. Three heartbeats must go missing before a follower
     * may campaign and a CheckQuorum window sees at least two, while an idle group sends a third
     * of the messages of one heartbeat a tick. A leader with work that a heartbeat retries after
     * a lost message (reads waiting on a round, a follower behind, a transfer) heartbeats every
     * tick, and a read sends its own round at once.
     */
    public static int heartbeatTicksFor(int electionTicks) {
        if (electionTicks < 2) {
            throw new IllegalArgumentException("an election timeout of at least 2 ticks, got " + electionTicks);
        }
        return Math.max(1, electionTicks / 3);
    }

    /** This configuration with election timeout {@code electionTicks} and the heartbeat interval for it. */
    public RaftConfig withElection(int electionTicks) {
        return withElection(electionTicks, heartbeatTicksFor(electionTicks));
    }

    public RaftConfig withElection(int electionTicks, int heartbeatTicks) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxEntriesPerMsg, maxBytesPerMsg, maxSnapshotChunkBytes, maxApplyBytesPerReady,
                maxPendingReads, appliedIndex, voteFloor);
    }

    public RaftConfig withAppliedIndex(long appliedIndex) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxEntriesPerMsg, maxBytesPerMsg, maxSnapshotChunkBytes, maxApplyBytesPerReady,
                maxPendingReads, appliedIndex, voteFloor);
    }

    public RaftConfig withVoteFloor(EntryId voteFloor) {
        return new RaftConfig(id, electionTicks, heartbeatTicks, preVote, checkQuorum, maxInflightMsgs,
                maxEntriesPerMsg, maxBytesPerMsg, maxSnapshotChunkBytes, maxApplyBytesPerReady,
                maxPendingReads, appliedIndex, voteFloor);
    }
}
