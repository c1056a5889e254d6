package io.cairn.common;

/**
 * Identity of a Cairn node. Node ids are small positive integers inside the consensus core;
 * the server maps operator-facing names such as {@code n1} to them.
 */
public record NodeId(long value) implements Comparable<NodeId> {
    public NodeId {
        if (value <= 0) {
            throw new IllegalArgumentException("node id must be positive: " + value);
        }
    }

    public static NodeId of(long value) {
        return new NodeId(value);
    }

    @Override
    public int compareTo(NodeId other) {
        return Long.compare(value, other.value);
    }

    @Override
    public String toString() {
        return "n" + value;
    }
}
