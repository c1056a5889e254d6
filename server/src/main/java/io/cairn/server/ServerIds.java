package io.cairn.server;

import io.cairn.common.GroupId;

/** Fixed identities inside a node. */
final class ServerIds {
    /** The metadata group: membership and, derived from it, the placement of every shard. */
    static final GroupId META_GROUP = new GroupId(0);

    /** The group of shard 0; with one shard, the only data group. */
    static final GroupId DATA_GROUP = groupOfShard(0);

    /** Shard {@code s} is Raft group {@code s + 1}. */
    static GroupId groupOfShard(int shard) {
        return new GroupId(shard + 1L);
    }

    static int shardOfGroup(GroupId group) {
        return (int) (group.value() - 1);
    }

    private ServerIds() {}
}
