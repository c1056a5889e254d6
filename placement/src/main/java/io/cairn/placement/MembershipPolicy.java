package io.cairn.placement;

import io.cairn.common.NodeId;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the placement driver changes next in the membership, as a pure function of what it
 * knows: the stored members, the pending joins and removals, and how long each node has been
 * silent. One change at a time, so every step is its own epoch and a driver that loses the
 * metadata leadership mid-way leaves a consistent membership behind:
 * <ol>
 *   <li>an empty membership becomes the founders, all UP;</li>
 *   <li>a join that {@link Admission#refuseJoin} allows (a new node, or a DEAD one back at its
 *       address) makes the node UP; one it refuses is never applied, whatever asked for it;</li>
 *   <li>a replacement makes a DEAD member UP at its new address, once no shard's leader
 *       reports it (a voter's id handed to a fresh machine while a group still counts the old
 *       one would let that group count a vote the new machine never cast);</li>
 *   <li>a removal makes an UP or DEAD node LEAVING;</li>
 *   <li>an UP node silent for longer than the dead-node timeout becomes DEAD, unless fewer than
 *       {@link Topology#REPLICATION_FACTOR} others would stay UP (its replicas could not be
 *       rebuilt anyway, and the remaining nodes would be asked to carry more than they can);</li>
 *   <li>a DEAD node heard from again becomes UP;</li>
 *   <li>a LEAVING node that no shard's leader reports any more becomes REMOVED.</li>
 * </ol>
 */
public final class MembershipPolicy {
    /** What the driver knows of each node's liveness and replicas, as of now. */
    public interface Liveness {
        /** How long the driver has not heard from {@code node}, counted from its own leadership at most. */
        long silentMillis(NodeId node);

        /** Whether {@code node} was heard from within the last few seconds of this leadership. */
        boolean heardRecently(NodeId node);

        /** Whether fresh reports of every shard's leader leave {@code node} out of its group. */
        boolean holdsNothing(NodeId node);
    }

    private MembershipPolicy() {}

    /**
     * The next membership, or empty when nothing changes. Joins and removals that are already
     * in effect change nothing; the caller forgets them once the stored membership shows them.
     */
    public static Optional<List<MemberInfo>> next(Collection<MemberInfo> stored, List<MemberInfo> founders,
                                                  Collection<MemberInfo> joins, Collection<MemberInfo> replacements,
                                                  Collection<NodeId> leaves,
                                                  Liveness liveness, long deadNodeTimeoutMillis) {
        TreeMap<NodeId, MemberInfo> members = new TreeMap<>();
        stored.forEach(m -> members.put(m.id(), m));
        if (members.isEmpty()) {
            founders.forEach(m -> members.put(m.id(), m));
            return Optional.of(List.copyOf(members.values()));
        }
        TreeMap<NodeId, MemberInfo> joinsById = new TreeMap<>();
        joins.forEach(j -> joinsById.put(j.id(), j));
        for (MemberInfo join : joinsById.values()) {
            if (!isUpAt(members.get(join.id()), join.address())
                    && Admission.refuseJoin(members.values(), join.id(), join.address()).isEmpty()) {
                members.put(join.id(), join.withState(MemberInfo.State.UP));
                return Optional.of(List.copyOf(members.values()));
            }
        }
        for (MemberInfo r : replacements) {
            MemberInfo had = members.get(r.id());
            if (had != null && had.state() == MemberInfo.State.DEAD && liveness.holdsNothing(r.id())
                    && Admission.refuseReplace(members.values(), r.id(), r.address()).isEmpty()) {
                members.put(r.id(), r.withState(MemberInfo.State.UP));
                return Optional.of(List.copyOf(members.values()));
            }
        }
        for (NodeId id : new java.util.TreeSet<>(leaves)) {
            MemberInfo had = members.get(id);
            if (had != null && (had.state() == MemberInfo.State.UP || had.state() == MemberInfo.State.DEAD)) {
                members.put(id, had.withState(MemberInfo.State.LEAVING));
                return Optional.of(List.copyOf(members.values()));
            }
        }
        long up = members.values().stream().filter(m -> m.state() == MemberInfo.State.UP).count();
        for (MemberInfo m : members.values()) {
            MemberInfo.State next = nextState(m, liveness, deadNodeTimeoutMillis, up);
            if (next != m.state()) {
                members.put(m.id(), m.withState(next));
                return Optional.of(List.copyOf(members.values()));
            }
        }
        return Optional.empty();
    }

    /** Whether {@code member} is UP at {@code address}: a join for it is in effect. */
    public static boolean isUpAt(MemberInfo member, String address) {
        return member != null && member.state() == MemberInfo.State.UP && member.address().equals(address);
    }

    private static MemberInfo.State nextState(MemberInfo m, Liveness liveness, long deadNodeTimeoutMillis, long up) {
        switch (m.state()) {
            case UP -> {
                boolean silentTooLong = liveness.silentMillis(m.id()) > deadNodeTimeoutMillis;
                boolean othersCanCarry = up - 1 >= Topology.REPLICATION_FACTOR;
                return silentTooLong && othersCanCarry ? MemberInfo.State.DEAD : m.state();
            }
            case DEAD -> {
                return liveness.heardRecently(m.id()) ? MemberInfo.State.UP : m.state();
            }
            case LEAVING -> {
                return liveness.holdsNothing(m.id()) ? MemberInfo.State.REMOVED : m.state();
            }
            default -> {
                return m.state();
            }
        }
    }
}
