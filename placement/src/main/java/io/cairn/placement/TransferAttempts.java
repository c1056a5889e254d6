package io.cairn.placement;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * The leadership transfers a node started recently. A transfer stalls its group's proposals
 * until it takes or an election timeout passes, so a node starts no other transfer of the group
 * meanwhile ({@link #pending}), and does not hand leadership again to a target that did not
 * take it for a while ({@link #avoid}): in a quiet group a dead voter looks caught up, and
 * transfers to it retried back to back kept a metadata group from recording the death. Not
 * thread-safe: one host thread owns it.
 */
public final class TransferAttempts {
    private record Attempt(NodeId target, long atMillis) {}

    private final TreeMap<GroupId, List<Attempt>> attempts = new TreeMap<>();
    private final long electionTimeoutMillis;
    private final long avoidMillis;

    /** @param avoidMillis how long a target that did not take leadership is passed over */
    public TransferAttempts(long electionTimeoutMillis, long avoidMillis) {
        if (electionTimeoutMillis < 1 || avoidMillis < electionTimeoutMillis) {
            throw new IllegalArgumentException("need 1 <= election timeout <= avoid period");
        }
        this.electionTimeoutMillis = electionTimeoutMillis;
        this.avoidMillis = avoidMillis;
    }

    public void started(GroupId group, NodeId target, long nowMillis) {
        attempts.computeIfAbsent(group, g -> new ArrayList<>()).add(new Attempt(target, nowMillis));
    }

    /** Whether a transfer of {@code group} started less than an election timeout ago. */
    public boolean pending(GroupId group, long nowMillis) {
        for (Attempt a : prune(group, nowMillis)) {
            if (nowMillis - a.atMillis() < electionTimeoutMillis) {
                return true;
            }
        }
        return false;
    }

    /** Targets of {@code group}'s recent transfers: this node still leads, so they did not take. */
    public Set<NodeId> avoid(GroupId group, long nowMillis) {
        TreeSet<NodeId> out = new TreeSet<>();
        prune(group, nowMillis).forEach(a -> out.add(a.target()));
        return out;
    }

    private List<Attempt> prune(GroupId group, long nowMillis) {
        List<Attempt> list = attempts.get(group);
        if (list == null) {
            return List.of();
        }
        list.removeIf(a -> nowMillis - a.atMillis() >= avoidMillis);
        if (list.isEmpty()) {
            attempts.remove(group);
        }
        return list;
    }
}
