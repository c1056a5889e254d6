package io.cairn.server;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What happened on this node that an operator looks for first, kept for the dashboard: the
 * leaderships it took and the replicas it opened or removed, newest last, at most
 * {@link #EVENTS_MAX} of them; and per shard the leader changes its replica has seen, for
 * {@code cairn_raft_leader_changes_seen_total}. Summing the nodes' leaderships gives the
 * cluster's leader changes without counting one change once per replica. Any thread.
 */
final class NodeEvents {
    static final int EVENTS_MAX = 100;

    /** One event; {@code kind} is "leader" or "replica". */
    record Event(long timeMillis, String node, String kind, String shard, String text) {}

    private final NodeId self;
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private final Map<GroupId, Long> leaderChangesSeen = new TreeMap<>();

    NodeEvents(NodeId self) {
        this.self = self;
    }

    /** This node's replica of {@code group} now leads it. */
    void becameLeader(GroupId group, long term) {
        add("leader", group, self + " became leader of " + label(group) + " (term " + term + ")");
    }

    /** This node's replica of {@code group} learned of a leader other than the one it knew last. */
    synchronized void leaderSeen(GroupId group) {
        leaderChangesSeen.merge(group, 1L, Long::sum);
    }

    synchronized long leaderChangesSeen(GroupId group) {
        return leaderChangesSeen.getOrDefault(group, 0L);
    }

    void replicaOpened(GroupId group) {
        add("replica", group, self + " opened a replica of " + label(group));
    }

    void replicaRemoved(GroupId group, String why) {
        add("replica", group, self + " removed its replica of " + label(group) + ": " + why);
    }

    /** The events kept, newest first. */
    synchronized List<Event> recent() {
        List<Event> newestFirst = new ArrayList<>(events);
        java.util.Collections.reverse(newestFirst);
        return newestFirst;
    }

    private synchronized void add(String kind, GroupId group, String text) {
        if (events.size() == EVENTS_MAX) {
            events.removeFirst();
        }
        events.addLast(new Event(System.currentTimeMillis(), self.toString(), kind, NodeMetrics.shardLabel(group), text));
    }

    private static String label(GroupId group) {
        String shard = NodeMetrics.shardLabel(group);
        return shard.equals("meta") ? "the metadata group" : "shard " + shard;
    }
}
