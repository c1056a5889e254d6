package io.cairn.placement;

import io.cairn.common.NodeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The replica changes that turn one {@link Placement} into another: for each shard whose replica
 * set changes, the nodes to add and the nodes to remove (both ascending by id). A change of
 * replica order alone (for example of the preferred leader) is not a move.
 *
 * @param shards changed shards in ascending shard order
 */
public record MovePlan(List<ShardMove> shards) {
    /** One shard's changes; {@code add} and {@code remove} are disjoint. */
    public record ShardMove(int shard, List<NodeId> add, List<NodeId> remove) {
        public ShardMove {
            add = List.copyOf(add);
            remove = List.copyOf(remove);
        }
    }

    public MovePlan {
        shards = List.copyOf(shards);
    }

    /** The plan from {@code from} to {@code to}, which must have the same shard count. */
    public static MovePlan between(Placement from, Placement to) {
        if (from.shardCount() != to.shardCount()) {
            throw new IllegalArgumentException(
                    "shard counts differ: " + from.shardCount() + " vs " + to.shardCount());
        }
        List<ShardMove> moves = new ArrayList<>();
        for (int s = 0; s < from.shardCount(); s++) {
            Set<NodeId> before = Placement.asSet(from.replicasOf(s));
            Set<NodeId> after = Placement.asSet(to.replicasOf(s));
            List<NodeId> add = new ArrayList<>();
            for (NodeId node : after) {
                if (!before.contains(node)) {
                    add.add(node);
                }
            }
            List<NodeId> remove = new ArrayList<>();
            for (NodeId node : before) {
                if (!after.contains(node)) {
                    remove.add(node);
                }
            }
            if (!add.isEmpty() || !remove.isEmpty()) {
                moves.add(new ShardMove(s, add, remove));
            }
        }
        return new MovePlan(moves);
    }

    /** Replica moves: the number of new replicas to build (each is one snapshot transfer). */
    public int totalMoves() {
        int total = 0;
        for (ShardMove move : shards) {
            total += move.add().size();
        }
        return total;
    }

    /** Replicas to remove in total; equals {@link #totalMoves()} when the replica count is kept. */
    public int totalRemovals() {
        int total = 0;
        for (ShardMove move : shards) {
            total += move.remove().size();
        }
        return total;
    }
}
