package io.cairn.placement;

import io.cairn.common.Invariants;
import io.cairn.common.NodeId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

/**
 * A consistent-hashing ring with virtual nodes. Immutable; a pure function of its members.
 *
 * <p>Each member gets {@code vnodesPerNode} points. Point {@code i} of node {@code n} sits at
 * {@code mix64(mix64(n ^ NODE_DOMAIN) + (i + 1) * GOLDEN)}, where {@code mix64} is the SplitMix64
 * finaliser and {@code n} the node's numeric id: the position depends only on (node id, i), so
 * a node keeps its points when others join or leave. Points are ordered as signed longs, ties
 * (which practically never happen) by node id. A shard starts its walk at
 * {@link #shardPosition(int)}.
 *
 * <p>{@link #replicasFor(int, int)} walks clockwise and picks distinct nodes. When members carry
 * at least two distinct zone labels, it first picks only nodes of zones not yet used, then, if
 * there are fewer zones than the replication factor, fills up with any distinct node.
 */
public final class Ring {
    public static final int DEFAULT_VNODES = 256;
    /** Upper bound on points per node, so that a ring stays a few MiB at most. */
    public static final int MAX_VNODES = 4096;

    private static final long GOLDEN = 0x9E3779B97F4A7C15L;
    private static final long NODE_DOMAIN = 0x4E4F44455F524E47L;
    private static final long SHARD_DOMAIN = 0x5348415244504F53L;

    private final List<Member> members;
    private final int[] zoneOfMember;
    private final boolean useZones;
    private final long[] points;
    private final int[] ownerOfPoint;

    private Ring(List<Member> members, int vnodesPerNode) {
        this.members = members;
        this.zoneOfMember = new int[members.size()];
        TreeMap<String, Integer> zoneIndex = new TreeMap<>();
        for (int m = 0; m < members.size(); m++) {
            String zone = members.get(m).zone();
            zoneIndex.putIfAbsent(zone, zoneIndex.size());
            zoneOfMember[m] = zoneIndex.get(zone);
        }
        this.useZones = zoneIndex.size() > 1;
        int total = members.size() * vnodesPerNode;
        long[] hashes = new long[total];
        Integer[] order = new Integer[total];
        for (int m = 0; m < members.size(); m++) {
            long nodeSeed = mix64(members.get(m).id().value() ^ NODE_DOMAIN);
            for (int i = 0; i < vnodesPerNode; i++) {
                int p = m * vnodesPerNode + i;
                hashes[p] = mix64(nodeSeed + (i + 1) * GOLDEN);
                order[p] = p;
            }
        }
        // Members are sorted by id, so p / vnodes orders ties by node id.
        Arrays.sort(order, Comparator.<Integer>comparingLong(p -> hashes[p]).thenComparingInt(p -> p));
        this.points = new long[total];
        this.ownerOfPoint = new int[total];
        for (int k = 0; k < total; k++) {
            points[k] = hashes[order[k]];
            ownerOfPoint[k] = order[k] / vnodesPerNode;
        }
    }

    /**
     * A ring of {@code members} (non-empty, distinct node ids, any order) with
     * {@code vnodesPerNode} points each, in [1, {@link #MAX_VNODES}].
     */
    public static Ring of(Collection<Member> members, int vnodesPerNode) {
        if (members == null || members.isEmpty()) {
            throw new IllegalArgumentException("a ring needs at least one member");
        }
        if (vnodesPerNode < 1 || vnodesPerNode > MAX_VNODES) {
            throw new IllegalArgumentException(
                    "vnodes per node must be in [1, " + MAX_VNODES + "]: " + vnodesPerNode);
        }
        TreeMap<NodeId, Member> byId = new TreeMap<>();
        for (Member member : members) {
            if (byId.put(member.id(), member) != null) {
                throw new IllegalArgumentException("duplicate member " + member.id());
            }
        }
        return new Ring(List.copyOf(byId.values()), vnodesPerNode);
    }

    /** Members sorted by node id. */
    public List<Member> members() {
        return members;
    }

    /**
     * The {@code min(rf, members)} distinct nodes holding {@code shardId}, in walk order (the
     * first is the preferred leader). Plain consistent hashing: no load bound.
     */
    public List<NodeId> replicasFor(int shardId, int rf) {
        return toIds(pick(shardId, rf, null, Integer.MAX_VALUE));
    }

    /**
     * Picks replicas for {@code shardId} as member indices. A node whose {@code loads} entry has
     * reached {@code capacity} is skipped while any other node can be taken (consistent hashing
     * with bounded loads); zone spread outranks the load bound. {@code loads} may be null.
     */
    int[] pick(int shardId, int rf, int[] loads, int capacity) {
        if (shardId < 0) {
            throw new IllegalArgumentException("shard id must not be negative: " + shardId);
        }
        return pickAt(shardPosition(shardId), rf, loads, capacity);
    }

    /** As {@link #pick}, with the walk starting at ring position {@code position}. */
    int[] pickAt(long position, int rf, int[] loads, int capacity) {
        if (rf < 1) {
            throw new IllegalArgumentException("replication factor must be positive: " + rf);
        }
        int want = Math.min(rf, members.size());
        int[] chosen = new int[want];
        int start = firstPointAtOrAfter(position);
        boolean bounded = loads != null && capacity != Integer.MAX_VALUE;
        int count = 0;
        // Passes in order of preference; each one keeps what earlier passes picked.
        if (useZones && bounded) {
            count = walk(start, chosen, count, true, loads, capacity);
        }
        if (useZones) {
            count = walk(start, chosen, count, true, null, Integer.MAX_VALUE);
        }
        if (bounded) {
            count = walk(start, chosen, count, false, loads, capacity);
        }
        count = walk(start, chosen, count, false, null, Integer.MAX_VALUE);
        Invariants.check(count == want, "picked %s of %s replicas", count, want);
        return chosen;
    }

    private int walk(int start, int[] chosen, int count, boolean distinctZones, int[] loads, int capacity) {
        boolean[] seen = new boolean[members.size()];
        int seenCount = 0;
        // Bounded: at most one lap, and stop once every member has been looked at.
        for (int step = 0; step < points.length && count < chosen.length && seenCount < seen.length; step++) {
            int member = ownerOfPoint[(start + step) % points.length];
            if (seen[member]) {
                continue;
            }
            seen[member] = true;
            seenCount++;
            if (acceptable(member, chosen, count, distinctZones, loads, capacity)) {
                chosen[count++] = member;
            }
        }
        return count;
    }

    private boolean acceptable(int member, int[] chosen, int count, boolean distinctZones, int[] loads, int capacity) {
        for (int c = 0; c < count; c++) {
            if (chosen[c] == member) {
                return false;
            }
            // A zone already holding a replica is skipped in the zone-spreading passes.
            if (distinctZones && zoneOfMember[chosen[c]] == zoneOfMember[member]) {
                return false;
            }
        }
        return loads == null || loads[member] < capacity;
    }

    private int firstPointAtOrAfter(long position) {
        int index = Arrays.binarySearch(points, position);
        if (index < 0) {
            index = -index - 1;
        }
        return index == points.length ? 0 : index;
    }

    List<NodeId> toIds(int[] memberIndices) {
        List<NodeId> ids = new ArrayList<>(memberIndices.length);
        for (int m : memberIndices) {
            ids.add(members.get(m).id());
        }
        return List.copyOf(ids);
    }

    /** Where shard {@code shardId}'s clockwise walk starts. */
    public static long shardPosition(int shardId) {
        return mix64(mix64(shardId ^ SHARD_DOMAIN) + GOLDEN);
    }

    /**
     * Where shard {@code shardId} of {@code shardCount} starts its walk when positions are spread
     * evenly: {@code Long.MIN_VALUE + shardId * floor(2^64 / shardCount)}, rotated by a fixed
     * offset so that shard 0 does not sit at the ring's seam.
     */
    public static long stratifiedShardPosition(int shardId, int shardCount) {
        if (shardId < 0 || shardId >= shardCount) {
            throw new IllegalArgumentException("shard out of range [0, " + shardCount + "): " + shardId);
        }
        long step = Long.divideUnsigned(-1L, shardCount);
        return Long.MIN_VALUE + shardId * step + (step >>> 1);
    }

    /** The SplitMix64 finaliser (Steele, Lea, Flood 2014): a bijective, well-mixing 64-bit map. */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
