package io.cairn.placement;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * Spreads leadership over the nodes, one transfer at a time, from what one node sees: the
 * leader and voters of every group it replicates. If this node leads a group one of whose
 * voters leads at least two groups fewer (counted over the groups this node sees), it hands
 * that group over. Each transfer narrows the gap between two nodes, and nothing moves while
 * every gap is below two, so leaders settle instead of bouncing.
 */
public final class LeaderBalancer {
    /** What this node knows of one group it replicates. */
    public record GroupView(NodeId leader, SortedSet<NodeId> voters) {}

    /** A transfer to make: {@code group}'s leadership from this node to {@code target}. */
    public record Transfer(GroupId group, NodeId target) {}

    private LeaderBalancer() {}

    public static Optional<Transfer> next(NodeId self, Map<GroupId, GroupView> groups) {
        TreeMap<NodeId, Integer> leads = new TreeMap<>();
        for (GroupView g : groups.values()) {
            g.voters().forEach(v -> leads.putIfAbsent(v, 0));
            if (g.leader() != null) {
                leads.merge(g.leader(), 1, Integer::sum);
            }
        }
        int mine = leads.getOrDefault(self, 0);
        Transfer best = null;
        int bestLeads = Integer.MAX_VALUE;
        // Groups in id order and voters in id order: the choice is the same on every run.
        for (Map.Entry<GroupId, GroupView> e : new TreeMap<>(groups).entrySet()) {
            if (!self.equals(e.getValue().leader())) {
                continue;
            }
            for (NodeId voter : e.getValue().voters()) {
                int theirs = leads.getOrDefault(voter, 0);
                if (!voter.equals(self) && mine - theirs >= 2 && theirs < bestLeads) {
                    best = new Transfer(e.getKey(), voter);
                    bestLeads = theirs;
                }
            }
        }
        return Optional.ofNullable(best);
    }
}
