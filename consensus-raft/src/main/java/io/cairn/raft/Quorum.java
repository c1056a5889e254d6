package io.cairn.raft;

import io.cairn.common.NodeId;
import io.cairn.consensus.ConfState;
import java.util.Arrays;
import java.util.Map;
import java.util.Set;
import java.util.function.ToLongFunction;

/**
 * Majority arithmetic, for simple and joint configurations. Under joint consensus a decision
 * needs a majority of the incoming AND of the outgoing voter set.
 */
final class Quorum {
    enum VoteResult { PENDING, WON, LOST }

    private Quorum() {}

    /**
     * The highest value that a majority of the configuration has reached (for match indexes:
     * the highest index replicated on a quorum).
     */
    static long committed(ConfState conf, ToLongFunction<NodeId> acked) {
        long incoming = majorityValue(conf.voters(), acked);
        if (!conf.isJoint()) {
            return incoming;
        }
        return Math.min(incoming, majorityValue(conf.votersOutgoing(), acked));
    }

    private static long majorityValue(Set<NodeId> voters, ToLongFunction<NodeId> acked) {
        if (voters.isEmpty()) {
            return Long.MAX_VALUE; // an empty set agrees to anything, so joint min() ignores it
        }
        long[] values = new long[voters.size()];
        int i = 0;
        for (NodeId id : voters) {
            values[i++] = acked.applyAsLong(id);
        }
        Arrays.sort(values);
        // With n sorted ascending, values[n - (n/2 + 1)] is reached by n/2 + 1 members.
        return values[values.length - (values.length / 2 + 1)];
    }

    static VoteResult voteResult(ConfState conf, Map<NodeId, Boolean> votes) {
        VoteResult incoming = majorityVote(conf.voters(), votes);
        if (!conf.isJoint()) {
            return incoming;
        }
        VoteResult outgoing = majorityVote(conf.votersOutgoing(), votes);
        if (incoming == VoteResult.LOST || outgoing == VoteResult.LOST) {
            return VoteResult.LOST;
        }
        if (incoming == VoteResult.WON && outgoing == VoteResult.WON) {
            return VoteResult.WON;
        }
        return VoteResult.PENDING;
    }

    private static VoteResult majorityVote(Set<NodeId> voters, Map<NodeId, Boolean> votes) {
        if (voters.isEmpty()) {
            return VoteResult.WON;
        }
        int granted = 0;
        int rejected = 0;
        for (NodeId id : voters) {
            Boolean v = votes.get(id);
            if (v == null) {
                continue;
            }
            if (v) {
                granted++;
            } else {
                rejected++;
            }
        }
        int majority = voters.size() / 2 + 1;
        if (granted >= majority) {
            return VoteResult.WON;
        }
        if (rejected > voters.size() - majority) {
            return VoteResult.LOST;
        }
        return VoteResult.PENDING;
    }

    /** Whether a majority of the configuration satisfies the predicate. */
    static boolean hasQuorum(ConfState conf, java.util.function.Predicate<NodeId> ok) {
        return committed(conf, id -> ok.test(id) ? 1 : 0) >= 1;
    }
}
