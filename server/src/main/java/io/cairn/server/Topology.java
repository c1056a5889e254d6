package io.cairn.server;

import io.cairn.common.GroupId;
import io.cairn.common.NodeId;
import io.cairn.placement.Member;
import io.cairn.placement.Placement;
import io.cairn.placement.Ring;
import io.cairn.placement.ShardMap;
import java.util.ArrayList;
import java.util.List;

/**
 * Which shard a key belongs to and which nodes replicate each shard, fixed when the cluster is
 * created: a pure function of the founding members and the shard count, so every node computes
 * the same without talking. One shard is replicated on every founder (a plain Raft cluster);
 * more shards get three replicas each, placed by consistent hashing with bounded loads.
 * Moving replicas afterwards is the placement driver's job (not yet built).
 */
final class Topology {
    static final int REPLICATION_FACTOR = 3;

    private final ShardMap shardMap;
    private final List<List<NodeId>> replicas;

    private Topology(ShardMap shardMap, List<List<NodeId>> replicas) {
        this.shardMap = shardMap;
        this.replicas = replicas;
    }

    static Topology of(ServerConfig config) {
        List<NodeId> founders = List.copyOf(config.initialCluster().addresses().keySet());
        int shards = config.shards();
        List<List<NodeId>> replicas = new ArrayList<>(shards);
        if (shards == 1) {
            replicas.add(founders);
        } else {
            List<Member> members = founders.stream().map(id -> new Member(id, "")).toList();
            Placement placement = Placement.compute(members, shards, REPLICATION_FACTOR, Ring.DEFAULT_VNODES);
            for (int s = 0; s < shards; s++) {
                replicas.add(List.copyOf(placement.replicasOf(s)));
            }
        }
        return new Topology(ShardMap.of(shards), List.copyOf(replicas));
    }

    int shardCount() {
        return shardMap.shardCount();
    }

    int firstSlot(int shard) {
        return shardMap.firstSlot(shard);
    }

    int endSlotExclusive(int shard) {
        return shardMap.endSlotExclusive(shard);
    }

    /** The group of the shard that owns {@code key}. */
    GroupId groupOfKey(byte[] key) {
        return ServerIds.groupOfShard(shardMap.shardOfKey(key));
    }

    List<NodeId> replicasOf(GroupId group) {
        return replicas.get(ServerIds.shardOfGroup(group));
    }

    /** The groups {@code node} replicates, in id order. */
    List<GroupId> groupsOf(NodeId node) {
        List<GroupId> out = new ArrayList<>();
        for (int s = 0; s < replicas.size(); s++) {
            if (replicas.get(s).contains(node)) {
                out.add(ServerIds.groupOfShard(s));
            }
        }
        return out;
    }

    /** Every group, in id order. */
    List<GroupId> allGroups() {
        List<GroupId> out = new ArrayList<>();
        for (int s = 0; s < replicas.size(); s++) {
            out.add(ServerIds.groupOfShard(s));
        }
        return out;
    }
}
