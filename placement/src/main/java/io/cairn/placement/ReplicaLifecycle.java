package io.cairn.placement;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import io.cairn.consensus.ConsensusMessage;
import java.util.Optional;

/**
 * When a node opens a replica of a shard (or of the metadata group) it does not hold yet, and
 * when it drops one it holds: the two rules every host (the server and the simulator) applies.
 */
public final class ReplicaLifecycle {
    /**
     * What a shard's leader last reported of its group (via the metadata leader): its term, the
     * index it had applied, the configuration as of that index (committed, so final), and how long
     * it had led with that configuration ({@link ConfTenure}).
     */
    public record LeaderReport(long term, long appliedIndex, ConfState conf, long confAgeMillis) {}

    private ReplicaLifecycle() {}

    /**
     * Whether a message for a group this node does not host opens an empty replica: the current
     * placement gives the shard to this node, and a leader sent it (the leader is adding this
     * node as a learner and will send it the log or a snapshot).
     */
    public static boolean shouldOpen(Topology topology, GroupId group, NodeId self, ConsensusMessage message) {
        if (topology.epoch == 0 || !message.isFromLeader()) {
            return false;
        }
        int shard = ShardGroups.shardOfGroup(group);
        boolean known = group.equals(ShardGroups.META_GROUP) || (shard >= 0 && shard < topology.shardCount());
        return known && topology.replicasOf(group).contains(self);
    }

    /**
     * How long, in election timeouts, the leader must have led with the configuration that
     * leaves a replica out before that replica is dropped. The report proves the change that
     * removed it is committed, not that the other members know it yet: a member still applying
     * the joint configuration campaigns in it and needs the removed node's vote. Had the leader
     * died right after reporting, its followers might never learn it (the simulator found shards
     * stuck that way, the outgoing voter's replica already wiped). A leader that has kept the
     * configuration for several election timeouts has kept a quorum answering its heartbeats,
     * which carry the commit index.
     */
    public static final int DROP_AFTER_ELECTION_TIMEOUTS = 3;

    /**
     * Whether a replica this node holds, and does not lead, is dropped: the placement has moved
     * the shard away, and its leader reports a configuration without this node, held for at
     * least {@code graceMillis} ({@link #DROP_AFTER_ELECTION_TIMEOUTS} election timeouts). The
     * placement alone may be ahead of the leader, which still needs this replica until its
     * replacement has caught up.
     *
     * <p>{@code localConf} is the replica's own applied configuration and
     * {@code outsideOwnConfMillis} how long it has not contained the replica (0 when it does).
     *
     * <p>The report must also be at least as new as what the replica knows: a term no older than
     * the last entry in the replica's log (not its current term, which a replica that campaigned
     * alone after its removal has raised for nothing), and an applied index no lower than the
     * replica's commit index. A replica that has received
     * anything knows a commit index at or past the entry that added it, so a report taken before
     * it was added (the simulator caught one: the node was dropped while a joint change was making
     * it a voter) never removes it; a report after its removal committed eventually does.
     *
     * <p>{@code addedByIndex} covers a replica opened here by a leader's message while it replays
     * the group's log: the highest commit index a leader's append announced to it since then
     * (its addition is at or below it; 0: no append yet), or {@link #ADDED_BY_UNKNOWN} for a
     * replica not opened that way (a founder's, or one reopened from disk). Replaying, such a
     * replica applies old configurations, and one from an earlier stint in the group names it: a
     * report must then be at least as new as {@code addedByIndex} (the simulator found, seed
     * 302635, a re-added replica dropped on a report from just before its addition, then promoted
     * by its leader: the group lost its quorum when another machine died).
     */
    public static boolean shouldDrop(Topology topology, GroupId group, NodeId self, long localLastLogTerm,
                                     long localCommitIndex, Optional<LeaderReport> report, long graceMillis,
                                     ConfState localConf, long outsideOwnConfMillis, long addedByIndex) {
        if (topology.epoch == 0 || topology.replicasOf(group).contains(self) || report.isEmpty()) {
            return false;
        }
        LeaderReport r = report.get();
        boolean evidence = addedByIndex != 0; // opened by a message, and no append seen yet: nothing orders it
        boolean newEnough = r.term() >= localLastLogTerm && r.appliedIndex() >= localCommitIndex
                && r.appliedIndex() >= addedByIndex;
        boolean settled = r.confAgeMillis() >= graceMillis;
        // Until a new replica has applied the entry that added it, nothing it knows orders the
        // report after its addition: a report from just before it would read as its removal
        // (the simulator found a learner, already promoted in a joint change, dropped that way).
        // Such a replica goes only after a long time, for moves that were called off.
        boolean knowsItsAddition = (evidence && localConf.members().contains(self))
                || outsideOwnConfMillis >= UNADDED_DROP_FACTOR * graceMillis;
        return newEnough && settled && knowsItsAddition && !r.conf().members().contains(self);
    }

    /** {@code addedByIndex} of a replica this host did not open on a leader's message. */
    public static final long ADDED_BY_UNKNOWN = -1;

    /** A replica that never applied its own addition is dropped only after this many graces. */
    public static final int UNADDED_DROP_FACTOR = 20;
}
