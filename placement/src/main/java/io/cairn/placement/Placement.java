package io.cairn.placement;

import io.cairn.common.Invariants;
import io.cairn.common.NodeId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * Which nodes hold each shard: {@code replicas.get(s)} is shard {@code s}'s ordered replica list
 * (the first is the preferred leader). {@code nodes} is the membership it was computed from,
 * sorted by id, so that members holding nothing still count.
 */
public record Placement(int shardCount, int replicationFactor, List<NodeId> nodes, List<List<NodeId>> replicas) {
    /** Default load slack of {@link #compute(Collection, int, int, int)}: see package docs. */
    public static final double DEFAULT_LOAD_SLACK = 0.10;

    public Placement {
        if (replicas.size() != shardCount) {
            throw new IllegalArgumentException(replicas.size() + " replica lists for " + shardCount + " shards");
        }
        nodes = List.copyOf(nodes);
        List<List<NodeId>> copy = new ArrayList<>(shardCount);
        for (List<NodeId> list : replicas) {
            if (new HashSet<>(list).size() != list.size()) {
                throw new IllegalArgumentException("replicas of a shard must be distinct: " + list);
            }
            copy.add(List.copyOf(list));
        }
        replicas = List.copyOf(copy);
    }

    /**
     * Placement with bounded loads and {@link #DEFAULT_LOAD_SLACK}: shards are placed in id order,
     * each from its evenly spaced ring position, skipping nodes already holding {@code ceil(mean * (1 + slack))} replicas.
     */
    public static Placement compute(Collection<Member> members, int shardCount, int rf, int vnodesPerNode) {
        return compute(members, shardCount, rf, vnodesPerNode, DEFAULT_LOAD_SLACK);
    }

    /**
     * Places {@code shardCount} shards with {@code min(rf, members)} replicas each. A finite
     * {@code loadSlack} (at least 0) bounds each node at {@code ceil(mean * (1 + loadSlack))}
     * replicas unless zone spread needs more; {@link Double#POSITIVE_INFINITY} is plain
     * consistent hashing. The result depends only on the arguments, not on the members' order.
     */
    public static Placement compute(
            Collection<Member> members, int shardCount, int rf, int vnodesPerNode, double loadSlack) {
        if (shardCount < 1) {
            throw new IllegalArgumentException("shard count must be positive: " + shardCount);
        }
        if (!(loadSlack >= 0)) {
            throw new IllegalArgumentException("load slack must be >= 0: " + loadSlack);
        }
        Ring ring = Ring.of(members, vnodesPerNode);
        int nodeCount = ring.members().size();
        int perShard = Math.min(rf, nodeCount);
        int capacity = Integer.MAX_VALUE;
        if (loadSlack != Double.POSITIVE_INFINITY) {
            double mean = (double) shardCount * perShard / nodeCount;
            capacity = (int) Math.min(Integer.MAX_VALUE, Math.ceil(mean * (1 + loadSlack)));
        }
        int[] loads = new int[nodeCount];
        List<int[]> picks = new ArrayList<>(shardCount);
        for (int shard = 0; shard < shardCount; shard++) {
            // Evenly spaced start positions remove the sampling noise of hashed ones (see package docs).
            int[] picked = ring.pickAt(Ring.stratifiedShardPosition(shard, shardCount), rf, loads, capacity);
            for (int m : picked) {
                loads[m]++;
            }
            picks.add(picked);
        }
        if (loadSlack != Double.POSITIVE_INFINITY) {
            double mean = (double) shardCount * perShard / nodeCount;
            fillUnderloaded(ring, picks, loads, (int) Math.floor(mean * (1 - loadSlack)));
        }
        List<List<NodeId>> replicas = new ArrayList<>(shardCount);
        for (int[] picked : picks) {
            replicas.add(ring.toIds(picked));
        }
        List<NodeId> nodes = new ArrayList<>(nodeCount);
        for (Member member : ring.members()) {
            nodes.add(member.id());
        }
        return new Placement(shardCount, rf, nodes, replicas);
    }

    /**
     * Bounded loads cap the busiest nodes; a node with few ring arcs can still end up well below
     * the mean (16% below at 40 nodes). This lifts every node to {@code floor}: it takes, one at a
     * time, a replica of the most loaded node (the first shard in id order that it does not hold
     * already and whose zone spread it keeps), in the same slot of the replica list. The result
     * stays a function of the membership alone.
     */
    private static void fillUnderloaded(Ring ring, List<int[]> picks, int[] loads, int floor) {
        int nodeCount = loads.length;
        for (int round = 0; round < picks.size() * nodeCount; round++) {
            int under = -1;
            int over = -1;
            for (int m = 0; m < nodeCount; m++) {
                if (loads[m] < floor && (under < 0 || loads[m] < loads[under])) {
                    under = m;
                }
                if (over < 0 || loads[m] > loads[over]) {
                    over = m;
                }
            }
            if (under < 0 || loads[over] - loads[under] < 2 || !moveOne(ring, picks, over, under)) {
                return;
            }
            loads[over]--;
            loads[under]++;
        }
    }

    /** Moves one replica from node {@code from} to node {@code to}; false if no shard allows it. */
    private static boolean moveOne(Ring ring, List<int[]> picks, int from, int to) {
        for (int[] picked : picks) {
            int slot = -1;
            boolean holdsTo = false;
            for (int i = 0; i < picked.length; i++) {
                slot = picked[i] == from ? i : slot;
                holdsTo |= picked[i] == to;
            }
            if (slot < 0 || holdsTo || !keepsZoneSpread(ring, picked, slot, to)) {
                continue;
            }
            picked[slot] = to;
            return true;
        }
        return false;
    }

    private static boolean keepsZoneSpread(Ring ring, int[] picked, int slot, int to) {
        java.util.TreeSet<String> before = new java.util.TreeSet<>();
        java.util.TreeSet<String> after = new java.util.TreeSet<>();
        for (int i = 0; i < picked.length; i++) {
            before.add(ring.members().get(picked[i]).zone());
            after.add(ring.members().get(i == slot ? to : picked[i]).zone());
        }
        return after.size() >= before.size();
    }

    /** The ordered replicas of {@code shard}, in [0, shardCount). */
    public List<NodeId> replicasOf(int shard) {
        return replicas.get(shard);
    }

    /** Replica count per node, including nodes holding none. */
    public SortedMap<NodeId, Integer> loadByNode() {
        SortedMap<NodeId, Integer> loads = new TreeMap<>();
        for (NodeId node : nodes) {
            loads.put(node, 0);
        }
        for (List<NodeId> list : replicas) {
            for (NodeId node : list) {
                Integer previous = loads.put(node, loads.getOrDefault(node, 0) + 1);
                Invariants.check(previous != null, "replica on non-member %s", node);
            }
        }
        return loads;
    }

    /** Total replicas across all shards. */
    public int replicaCount() {
        int total = 0;
        for (List<NodeId> list : replicas) {
            total += list.size();
        }
        return total;
    }

    /** Distinct shards held by {@code node}, ascending. */
    public List<Integer> shardsOf(NodeId node) {
        List<Integer> shards = new ArrayList<>();
        for (int s = 0; s < shardCount; s++) {
            if (replicas.get(s).contains(node)) {
                shards.add(s);
            }
        }
        return shards;
    }

    static Set<NodeId> asSet(List<NodeId> list) {
        return new java.util.TreeSet<>(list);
    }
}
