package io.cairn.consensus;

import io.cairn.common.NodeId;
import java.util.List;

/**
 * A requested membership change, applied by joint consensus: the engine first commits the
 * joint configuration (old and new voter sets both required), then on its own the final one.
 */
public record ConfChange(List<Change> changes) {
    public ConfChange {
        changes = List.copyOf(changes);
        if (changes.isEmpty()) {
            throw new IllegalArgumentException("a configuration change needs at least one change");
        }
    }

    public static ConfChange of(Change... changes) {
        return new ConfChange(List.of(changes));
    }

    public enum Type {
        /** Make the node a voter; a learner is promoted. */
        ADD_VOTER,
        /** Make a new node a learner. Demoting a voter is not supported. */
        ADD_LEARNER,
        /** Remove a voter or a learner. */
        REMOVE
    }

    public record Change(Type type, NodeId node) {
        public static Change addVoter(NodeId node) {
            return new Change(Type.ADD_VOTER, node);
        }

        public static Change addLearner(NodeId node) {
            return new Change(Type.ADD_LEARNER, node);
        }

        public static Change remove(NodeId node) {
            return new Change(Type.REMOVE, node);
        }
    }
}
