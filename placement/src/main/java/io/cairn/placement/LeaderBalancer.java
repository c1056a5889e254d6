package io.cairn.placement;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import java.util.Map;
import java.util.Optional;
import java.util.SortedSet;
import java.util.TreeMap;

/**
 * Spreads leadership over the nodes, one transfer at a time. A node that leads a group hands it
 * to one of that group's eligible voters which leads at least two groups fewer, counted over the
 * whole cluster. Each transfer narrows the gap between two nodes by two, and nothing moves while
 * every gap is below two, so leaders settle instead of bouncing.
 *
 * <p>The counts must be the same on every node, or two nodes that each see only their own groups
 * can hand one group back and forth for ever (each sees the other lead fewer): the simulator
 * found exactly that with the metadata group. So they come from the shard leaders' reports that
 * the metadata leader relays to everyone ({@link #leadsByNode}), not from the groups a node
 * happens to replicate.
 */
public final class LeaderBalancer {
    /**
     * What this node knows of one group it replicates: its leader, and the voters that could take
     * leadership now (on the leader: voters the placement keeps and that have caught up, so a
     * dead or lagging voter is never chosen).
     */
    public record GroupView(NodeId leader, SortedSet<NodeId> candidates) {}

    /** A transfer to make: {@code group}'s leadership from this node to {@code target}. */
    public record Transfer(GroupId group, NodeId target) {}

    private LeaderBalancer() {}

    /**
     * How many groups each node leads, cluster-wide: the leaders the reports name, overridden by
     * what this node knows first-hand of the groups it replicates.
     */
    public static TreeMap<NodeId, Integer> leadsByNode(Map<GroupId, NodeId> reportedLeaders, Map<GroupId, GroupView> local) {
        TreeMap<GroupId, NodeId> leaders = new TreeMap<>(reportedLeaders);
        local.forEach((group, view) -> {
            if (view.leader() != null) {
                leaders.put(group, view.leader());
            } else {
                leaders.remove(group);
            }
        });
        TreeMap<NodeId, Integer> leads = new TreeMap<>();
        leaders.values().forEach(n -> leads.merge(n, 1, Integer::sum));
        return leads;
    }

    public static Optional<Transfer> next(NodeId self, Map<GroupId, GroupView> groups, Map<NodeId, Integer> leadsByNode) {
        int mine = leadsByNode.getOrDefault(self, 0);
        Transfer best = null;
        int bestLeads = Integer.MAX_VALUE;
        // Groups in id order and candidates in id order: the choice is the same on every run.
        for (Map.Entry<GroupId, GroupView> e : new TreeMap<>(groups).entrySet()) {
            if (!self.equals(e.getValue().leader())) {
                continue;
            }
            for (NodeId candidate : e.getValue().candidates()) {
                int theirs = leadsByNode.getOrDefault(candidate, 0);
                if (!candidate.equals(self) && mine - theirs >= 2 && theirs < bestLeads) {
                    best = new Transfer(e.getKey(), candidate);
                    bestLeads = theirs;
                }
            }
        }
        return Optional.ofNullable(best);
    }
}
