package io.cairn.placement;

import io.cairn.common.NodeId;
import io.cairn.consensus.ConfChange;
import io.cairn.consensus.ConfState;
import java.util.List;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.function.ToLongFunction;

/**
 * What a shard's leader does next to turn its group's configuration into the placement's target
 * replica set, one step at a time: add a missing replica as a learner, promote it once it has
 * caught up (removing a replica that is no longer wanted in the same joint change), remove what
 * is left over, and hand leadership away before its own replica goes. A pure function, so the
 * order of steps is tested without a cluster.
 *
 * <p>No step takes a group below a quorum of the replicas that stay: a voter is removed only in
 * the same change that promotes its caught-up replacement, or when the target's replicas are all
 * voters already; joint consensus needs a majority of both the old and the new voter sets.
 */
public final class ReplicaReconciler {
    /** A learner this close to the leader's commit index is promoted. */
    public static final long CAUGHT_UP_LAG_ENTRIES = 100;

    public sealed interface Step {}

    public record Change(ConfChange change) implements Step {}

    public record TransferLeadership(NodeId target) implements Step {}

    private ReplicaReconciler() {}

    /**
     * The next step for the leader {@code self} of a group with configuration {@code conf} and
     * commit index {@code commitIndex}, towards {@code target}; empty when there is nothing to do
     * now. {@code matchIndex} gives how far the leader knows each member's log to match its own.
     */
    public static Optional<Step> next(NodeId self, ConfState conf, List<NodeId> target, long commitIndex,
                               ToLongFunction<NodeId> matchIndex) {
        return next(self, conf, target, commitIndex, matchIndex, java.util.Set.of());
    }

    /**
     * As above, never handing leadership to a node in {@code avoid}: one a recent transfer did
     * not reach. A dead node can look caught up in a quiet group, and every transfer to it stalls
     * the group's proposals for an election timeout; retried forever, that kept a metadata group
     * from ever recording the death (found by the sharded simulator, seed 306181).
     */
    public static Optional<Step> next(NodeId self, ConfState conf, List<NodeId> target, long commitIndex,
                               ToLongFunction<NodeId> matchIndex, java.util.Set<NodeId> avoid) {
        if (conf.isJoint() || target.isEmpty()) {
            return Optional.empty(); // the core leaves the joint configuration by itself
        }
        TreeSet<NodeId> wanted = new TreeSet<>(target);
        for (NodeId learner : conf.learners()) {
            if (!wanted.contains(learner)) {
                return change(ConfChange.Change.remove(learner));
            }
        }
        SortedSet<NodeId> voters = conf.voters();
        TreeSet<NodeId> unwanted = new TreeSet<>(voters);
        unwanted.removeAll(wanted);
        for (NodeId learner : conf.learners()) {
            if (!caughtUp(learner, commitIndex, matchIndex)) {
                continue;
            }
            NodeId outgoing = firstOtherThan(unwanted, self);
            return outgoing == null
                    ? change(ConfChange.Change.addVoter(learner))
                    : change(ConfChange.Change.addVoter(learner), ConfChange.Change.remove(outgoing));
        }
        if (!conf.learners().isEmpty()) {
            return Optional.empty(); // one replica is built at a time; wait for it to catch up
        }
        for (NodeId node : wanted) {
            if (!voters.contains(node)) {
                return change(ConfChange.Change.addLearner(node));
            }
        }
        // Every wanted replica is a voter now: the rest can go, ourselves last.
        NodeId outgoing = firstOtherThan(unwanted, self);
        if (outgoing != null) {
            return change(ConfChange.Change.remove(outgoing));
        }
        if (unwanted.contains(self)) {
            for (NodeId node : wanted) {
                if (!avoid.contains(node) && caughtUp(node, commitIndex, matchIndex)) {
                    return Optional.of(new TransferLeadership(node));
                }
            }
        }
        return Optional.empty();
    }

    /**
     * Whether {@code node} has acknowledged entries up to near the commit index. It must have
     * acknowledged something: in a young group (fewer than {@link #CAUGHT_UP_LAG_ENTRIES} entries)
     * the lag alone would call a learner that never answered, a machine that is down, caught up,
     * and promote it (the simulator found that).
     */
    static boolean caughtUp(NodeId node, long commitIndex, ToLongFunction<NodeId> matchIndex) {
        long match = matchIndex.applyAsLong(node);
        return match > 0 && match >= commitIndex - CAUGHT_UP_LAG_ENTRIES;
    }

    private static NodeId firstOtherThan(SortedSet<NodeId> nodes, NodeId self) {
        for (NodeId n : nodes) {
            if (!n.equals(self)) {
                return n;
            }
        }
        return null;
    }

    private static Optional<Step> change(ConfChange.Change... changes) {
        return Optional.of(new Change(ConfChange.of(changes)));
    }
}
