package io.cairn.placement;

import io.cairn.common.NodeId;

/**
 * A node taking part in placement, with an optional zone label (the empty string means none).
 * Replicas of one shard prefer distinct zones when labels are present.
 */
public record Member(NodeId id, String zone) implements Comparable<Member> {
    public Member {
        if (id == null) {
            throw new IllegalArgumentException("member id must not be null");
        }
        if (zone == null) {
            throw new IllegalArgumentException("zone must not be null; use \"\" for none");
        }
    }

    public static Member of(long id) {
        return new Member(NodeId.of(id), "");
    }

    public static Member of(long id, String zone) {
        return new Member(NodeId.of(id), zone);
    }

    @Override
    public int compareTo(Member other) {
        return id.compareTo(other.id);
    }
}
