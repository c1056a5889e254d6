package io.cairn.server;

import io.cairn.common.GroupId;

/** Fixed identities inside a node. */
final class ServerIds {
    /** The one data group until sharding arrives. */
    static final GroupId DATA_GROUP = new GroupId(1);

    private ServerIds() {}
}
