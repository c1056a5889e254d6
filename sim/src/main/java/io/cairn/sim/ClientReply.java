package io.cairn.sim;

import io.cairn.common.NodeId;
import io.cairn.sim.kv.OpResult;

/**
 * A node's answer to a {@link ClientRequest}.
 *
 * @param result set when outcome is OK
 * @param leaderHint who the node believes leads, when NOT_LEADER; may be null
 */
public record ClientReply(int client, long seq, int attempt, Outcome outcome, OpResult result, NodeId leaderHint) {
    public enum Outcome {
        OK,
        /** This node does not lead; try the hint. */
        NOT_LEADER,
        /** The request was lost here (another entry took its log slot, a read expired); retry. */
        RETRY
    }

    @Override
    public String toString() {
        String tail = switch (outcome) {
            case OK -> String.valueOf(result);
            case NOT_LEADER -> "not-leader hint=" + (leaderHint == null ? "-" : leaderHint);
            case RETRY -> "retry";
        };
        return "c" + client + "#" + seq + "." + attempt + " " + tail;
    }
}
