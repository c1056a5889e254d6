package io.cairn.consensus;

import io.cairn.common.NodeId;

/**
 * The part of a node's consensus state that must survive a crash: the current term, the vote
 * cast in it ({@code null} when none), and the commit index (persisting the commit index is an
 * optimisation that shortens replay; losing it is safe, losing term or vote is not).
 */
public record HardState(long term, NodeId votedFor, long commit) {
    public static final HardState EMPTY = new HardState(0, null, 0);

    public HardState {
        if (term < 0 || commit < 0) {
            throw new IllegalArgumentException("term and commit must not be negative");
        }
    }

    /** Whether going from {@code previous} to this state needs an fsync before replying. */
    public boolean needsSyncAfter(HardState previous) {
        return term != previous.term || !java.util.Objects.equals(votedFor, previous.votedFor);
    }

    @Override
    public String toString() {
        return "term=" + term + " vote=" + (votedFor == null ? "-" : votedFor) + " commit=" + commit;
    }
}
