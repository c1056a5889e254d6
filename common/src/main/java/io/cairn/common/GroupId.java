package io.cairn.common;

/** Identity of one consensus group (a shard or the metadata group). */
public record GroupId(long value) implements Comparable<GroupId> {
    public GroupId {
        if (value < 0) {
            throw new IllegalArgumentException("group id must not be negative: " + value);
        }
    }

    @Override
    public int compareTo(GroupId other) {
        return Long.compare(value, other.value);
    }

    @Override
    public String toString() {
        return "g" + value;
    }
}
