package io.cairn.placement;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.placement.Member;
import io.cairn.placement.Placement;
import io.cairn.placement.Ring;
import io.cairn.placement.ShardMap;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One version of the cluster's layout: the members, which shard a key belongs to, and which
 * nodes should replicate each shard. It is a pure function of the membership and the shard
 * count, so every node that knows the same membership computes the same placement. Epoch 0 is
 * the founders' layout, known before anyone talked; later epochs are the versions of the
 * membership the metadata group stores. One shard is replicated on every founder (a plain Raft
 * cluster); more shards get three replicas each, placed by consistent hashing with bounded loads
 * over the members that are up.
 */
public final class Topology {
    public static final int REPLICATION_FACTOR = 3;
    /** The metadata group lives on this many founders (the lowest ids). */
    public static final int META_REPLICAS = 3;

    public final long epoch;
    private final SortedMap<NodeId, MemberInfo> members;
    private final ShardMap shardMap;
    private final List<List<NodeId>> replicas;
    private final List<NodeId> metaReplicas;

    private Topology(long epoch, SortedMap<NodeId, MemberInfo> members, ShardMap shardMap, List<List<NodeId>> replicas,
                     List<NodeId> metaReplicas) {
        this.epoch = epoch;
        this.members = members;
        this.shardMap = shardMap;
        this.replicas = replicas;
        this.metaReplicas = metaReplicas;
    }

    /** The founders' layout, epoch 0. */
    public static Topology initial(SortedMap<NodeId, String> founders, int shards) {
        return derive(0, foundingMembers(founders), shards);
    }

    /** The founders as members, all UP: the first membership the metadata group stores. */
    public static List<MemberInfo> foundingMembers(SortedMap<NodeId, String> founders) {
        List<MemberInfo> members = new ArrayList<>();
        founders.forEach((id, address) -> members.add(new MemberInfo(id, address, "", MemberInfo.State.UP)));
        return members;
    }

    /** The layout of membership version {@code epoch}. */
    public static Topology derive(long epoch, Collection<MemberInfo> memberList, int shards) {
        TreeMap<NodeId, MemberInfo> members = new TreeMap<>();
        for (MemberInfo m : memberList) {
            members.put(m.id(), m);
        }
        List<Member> up = new ArrayList<>();
        for (MemberInfo m : members.values()) {
            if (m.state() == MemberInfo.State.UP) {
                up.add(new Member(m.id(), m.zone()));
            }
        }
        List<List<NodeId>> replicas = new ArrayList<>(shards);
        if (shards == 1) {
            replicas.add(up.stream().map(Member::id).toList());
        } else {
            Placement placement = Placement.compute(up, shards, REPLICATION_FACTOR, Ring.DEFAULT_VNODES);
            for (int s = 0; s < shards; s++) {
                replicas.add(List.copyOf(placement.replicasOf(s)));
            }
        }
        // The metadata group lives on the lowest-id members that are up: the first founders while
        // they are, and it moves (like a shard) when one of them is dead or leaving.
        List<NodeId> meta = up.stream().map(Member::id).limit(META_REPLICAS).toList();
        return new Topology(epoch, Collections.unmodifiableSortedMap(members), ShardMap.of(shards), List.copyOf(replicas),
                meta);
    }

    /**
     * The founders that start the metadata group: the lowest ids, at most {@link #META_REPLICAS}.
     * Later epochs place it on the lowest-id members that are up ({@link #replicasOf}).
     */
    public static List<NodeId> metaVoters(SortedMap<NodeId, String> founders) {
        return founders.keySet().stream().limit(META_REPLICAS).toList();
    }

    public int shardCount() {
        return shardMap.shardCount();
    }

    public int firstSlot(int shard) {
        return shardMap.firstSlot(shard);
    }

    public int endSlotExclusive(int shard) {
        return shardMap.endSlotExclusive(shard);
    }

    /** The group of the shard that owns {@code key}. */
    public GroupId groupOfKey(byte[] key) {
        return ShardGroups.groupOfShard(shardMap.shardOfKey(key));
    }

    /** The nodes that should replicate {@code group} (a shard, or the metadata group), preferred leader first. */
    public List<NodeId> replicasOf(GroupId group) {
        return group.equals(ShardGroups.META_GROUP) ? metaReplicas : replicas.get(ShardGroups.shardOfGroup(group));
    }

    public SortedMap<NodeId, MemberInfo> members() {
        return members;
    }

    /** The member's address, or "" if it is not a member. */
    public String address(NodeId id) {
        MemberInfo m = members.get(id);
        return m == null ? "" : m.address();
    }

    /** The groups {@code node} should replicate, in id order. */
    public List<GroupId> groupsOf(NodeId node) {
        List<GroupId> out = new ArrayList<>();
        for (int s = 0; s < replicas.size(); s++) {
            if (replicas.get(s).contains(node)) {
                out.add(ShardGroups.groupOfShard(s));
            }
        }
        return out;
    }

    /** Every shard group, in id order. */
    public List<GroupId> allGroups() {
        List<GroupId> out = new ArrayList<>();
        for (int s = 0; s < replicas.size(); s++) {
            out.add(ShardGroups.groupOfShard(s));
        }
        return out;
    }
}
