package io.cairn.client;

import java.util.List;

/**
 * The cluster's shards as its members report them: each shard's hash slots, replicas, and the
 * leader with its applied index, taken from the replica that reports itself leader at the
 * highest term (or, with no leader, the most advanced replica that answered).
 *
 * @param epoch      the newest membership epoch any endpoint's placement was computed from (0:
 *                   the founders' placement)
 * @param shardCount how many shards the keyspace is cut into (fixed when the cluster is created)
 * @param answered   node ids that answered
 */
public record ShardsReport(long epoch, int shardCount, List<Shard> shards, List<Long> answered) {
    public ShardsReport {
        shards = List.copyOf(shards);
        answered = List.copyOf(answered);
    }

    /**
     * @param leader       node id of the leader; 0 when no answering replica knows one
     * @param appliedIndex the leader's applied index (or the highest any answering replica reported)
     * @param sizeBytes    approximate bytes of that replica's state
     */
    public record Shard(int id, int firstSlot, int endSlotExclusive, List<Long> replicas, long leader, long term,
                        long appliedIndex, long sizeBytes) {
        public Shard {
            replicas = List.copyOf(replicas);
        }
    }
}
