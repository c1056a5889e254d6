package io.cairn.placement;

import io.cairn.common.NodeId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Who may take part in a cluster, and which membership changes an operator may ask for: the
 * rules the metadata group applies before it accepts a join, an {@code add-node}, a
 * {@code replace-node} or a heartbeat, once for the server and the simulator. Each refusal is a
 * sentence that names what differs and what to do instead, because the person reading it typed
 * the command a moment ago.
 *
 * <p>Why each rule exists:
 * <ul>
 *   <li>Nodes with another shard count or founders' list map the same key to another shard and
 *       place replicas elsewhere, so one of them answers "not found" for a key the other holds.</li>
 *   <li>An id is a Raft voter's identity. Giving a live member's id another address leaves its
 *       groups with a voter nobody can reach while the old process still votes under that id;
 *       only a DEAD member whose replicas were all rebuilt elsewhere can hand its id on.</li>
 *   <li>A removal is final: a REMOVED node that came back would be counted by groups that
 *       already forgot it, so its id is never reused and its process is told to stop.</li>
 * </ul>
 */
public final class Admission {
    /**
     * The version of the formats nodes write and speak. Nodes of different versions are never
     * members of one cluster.
     */
    public static final int FORMAT_VERSION = 1;

    /** What every member of one cluster must agree on. */
    public record Params(int shardCount, SortedMap<NodeId, String> founders, int formatVersion) {
        public Params {
            if (shardCount < 1) {
                throw new IllegalArgumentException("shardCount must be positive: " + shardCount);
            }
            founders = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(founders));
        }

        /** The founders as {@code --initial-cluster} writes them: {@code n1=host:port,...}. */
        public String foundersSpec() {
            StringBuilder sb = new StringBuilder();
            founders.forEach((id, a) -> sb.append(sb.length() == 0 ? "" : ",").append(id).append('=').append(a));
            return sb.toString();
        }
    }

    private Admission() {}

    /**
     * Why a node started with {@code theirs} may not work with one started with {@code ours},
     * or empty when they agree. Every difference is named, ours first.
     */
    public static Optional<String> paramsDiffer(Params ours, Params theirs) {
        List<String> diffs = new ArrayList<>();
        if (ours.shardCount() != theirs.shardCount()) {
            diffs.add("the cluster has " + ours.shardCount() + (ours.shardCount() == 1 ? " shard" : " shards")
                    + ", the node was started with --shards " + theirs.shardCount());
        }
        if (!ours.founders().equals(theirs.founders())) {
            diffs.add("the cluster's founders are " + ours.foundersSpec() + ", the node was started with"
                    + " --initial-cluster " + theirs.foundersSpec());
        }
        if (ours.formatVersion() != theirs.formatVersion()) {
            diffs.add("the cluster speaks format version " + ours.formatVersion() + ", the node "
                    + theirs.formatVersion() + " (run the same Cairn release on every node)");
        }
        return diffs.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", diffs));
    }

    /**
     * Why {@code id} may not join (by {@code --join} or {@code add-node}) at {@code address}
     * given the stored {@code members}, or empty when it may. Joining again at the same address
     * is allowed (it is how a DEAD node comes back, and how a retried request stays harmless).
     */
    public static Optional<String> refuseJoin(Collection<MemberInfo> members, NodeId id, String address) {
        MemberInfo had = find(members, id);
        if (had != null && had.state() == MemberInfo.State.REMOVED) {
            return Optional.of(id + " was removed from the cluster, and a removed id is never used again"
                    + " (groups that forgot it would count it anew); give the new node an id no member has had");
        }
        if (had != null && !had.address().equals(address)) {
            return Optional.of(id + " is already a member at " + had.address() + " (" + stateName(had)
                    + "), not " + address + "; a member's address cannot change while it may be alive. If that"
                    + " machine is gone for good, wait until it is dead and use `cluster replace-node "
                    + id + "=" + address + "`");
        }
        if (had != null && had.state() == MemberInfo.State.LEAVING) {
            return Optional.of(id + " is being removed; it cannot join again");
        }
        for (MemberInfo m : members) {
            if (!m.id().equals(id) && m.address().equals(address) && m.state() != MemberInfo.State.REMOVED) {
                return Optional.of(address + " is the address of " + m.id() + " (" + stateName(m)
                        + "); two members cannot share an address");
            }
        }
        return Optional.empty();
    }

    /**
     * Why {@code id} may not be handed to a new machine at {@code address}, or empty when it may:
     * the member must exist and be DEAD. The change itself waits until no shard counts it
     * ({@link MembershipPolicy}); {@code address} must not be another member's.
     */
    public static Optional<String> refuseReplace(Collection<MemberInfo> members, NodeId id, String address) {
        MemberInfo had = find(members, id);
        if (had == null) {
            return Optional.of(id + " is not a member; a new node joins with --join or `cluster add-node`");
        }
        if (had.state() != MemberInfo.State.DEAD && !(had.state() == MemberInfo.State.UP && had.address().equals(address))) {
            return Optional.of(id + " is " + stateName(had) + " at " + had.address() + "; only a dead member can be"
                    + " replaced (stop it for good and wait for --dead-node-timeout until `cluster members` shows"
                    + " it dead)");
        }
        for (MemberInfo m : members) {
            if (!m.id().equals(id) && m.address().equals(address) && m.state() != MemberInfo.State.REMOVED) {
                return Optional.of(address + " is the address of " + m.id() + " (" + stateName(m) + ")");
            }
        }
        return Optional.empty();
    }

    /** How a member answers a node's heartbeat. */
    public sealed interface HeartbeatVerdict {
        /** Answer as usual. */
        record Answer() implements HeartbeatVerdict {}

        /**
         * Answer "not served" with no membership: the sender's settings differ, and only the
         * metadata leader speaks for the cluster (a misconfigured node asked by a correct one
         * must neither stop it nor pass on another cluster's membership).
         */
        record Ignore() implements HeartbeatVerdict {}

        /** Tell the sender it may not take part, and why; it stops. */
        record Refuse(String reason) implements HeartbeatVerdict {}
    }

    /**
     * The answer to a heartbeat from {@code from}, sent with {@code theirs}, by a member started
     * with {@code ours} that knows {@code members} and does ({@code serving}) or does not lead
     * the metadata group.
     */
    public static HeartbeatVerdict answerHeartbeat(Params ours, Params theirs, boolean serving,
                                                   Collection<MemberInfo> members, NodeId from, String address) {
        Optional<String> differs = paramsDiffer(ours, theirs);
        if (differs.isPresent()) {
            return serving ? new HeartbeatVerdict.Refuse(from + " does not belong to this cluster: " + differs.get())
                    : new HeartbeatVerdict.Ignore();
        }
        Optional<String> removed = refuseHeartbeat(members, from);
        if (removed.isPresent()) {
            return new HeartbeatVerdict.Refuse(removed.get());
        }
        MemberInfo had = find(members, from);
        // A founder at its founding address may listen on another (0.0.0.0:7401 for 10.0.0.1:7401).
        boolean founderAtHome = had != null && had.address().equals(ours.founders().get(from));
        if (serving && had != null && !founderAtHome && !had.address().equals(address)) {
            // Its peers send to the membership's address: this process would hold replicas that
            // never hear from their groups. It stops; the member at the other address goes dead
            // and its replicas are rebuilt, or the operator replaces it.
            return new HeartbeatVerdict.Refuse(from + " is a member at " + had.address() + ", but this node runs at "
                    + address + "; start it with --listen " + had.address() + ", or, once " + from
                    + " is dead, use `cluster replace-node " + from + "=" + address + "`");
        }
        return new HeartbeatVerdict.Answer();
    }

    /** Why a heartbeat from {@code id} is refused (it was removed), or empty. */
    public static Optional<String> refuseHeartbeat(Collection<MemberInfo> members, NodeId id) {
        MemberInfo had = find(members, id);
        if (had != null && had.state() == MemberInfo.State.REMOVED) {
            return Optional.of(id + " was removed from the cluster; it holds no data and must not serve."
                    + " Stop it; to add capacity start a node with a new id and --join");
        }
        return Optional.empty();
    }

    private static MemberInfo find(Collection<MemberInfo> members, NodeId id) {
        for (MemberInfo m : members) {
            if (m.id().equals(id)) {
                return m;
            }
        }
        return null;
    }

    private static String stateName(MemberInfo m) {
        return m.state().name().toLowerCase(java.util.Locale.ROOT);
    }
}
