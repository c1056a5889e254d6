package io.cairn.placement;

import io.cairn.common.GroupId;

/** How shards map to consensus groups, the same on every node. */
public final class ShardGroups {
    /** The metadata group: membership and, derived from it, the placement of every shard. */
    public static final GroupId META_GROUP = new GroupId(0);

    /** The group of shard 0; with one shard, the only data group. */
    public static final GroupId DATA_GROUP = groupOfShard(0);

    /** Shard {@code s} is Raft group {@code s + 1}. */
    public static GroupId groupOfShard(int shard) {
        return new GroupId(shard + 1L);
    }

    public static int shardOfGroup(GroupId group) {
        return (int) (group.value() - 1);
    }

    private ShardGroups() {}

    /** How messages name a group: "shard 3" or "the metadata group", never its internal id. */
    public static String describe(GroupId group) {
        return group.equals(META_GROUP) ? "the metadata group" : "shard " + shardOfGroup(group);
    }
}
