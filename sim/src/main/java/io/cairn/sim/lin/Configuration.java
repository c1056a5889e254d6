package io.cairn.sim.lin;

import java.util.Arrays;
import java.util.Objects;

/**
 * A memo key: which completed operations are placed, the state reached and, when the last
 * placed operation is pending, that operation and the state before it (the moves allowed next
 * depend on them; see {@link PartitionSearch}). Equality is by content; the hash is computed once
 * because every lookup needs it.
 *
 * <p>{@code completedPlaced} is in the form of {@link LongBits#compact()} and must not change
 * after construction.
 */
final class Configuration<S> {
    /** The value of {@code lastPending} when the last placed operation is not pending. */
    static final int NO_PENDING = -1;

    private final long[] completedPlaced;
    private final S state;
    private final int lastPending;
    private final S stateBeforeLastPending;
    private final int hash;

    /** A key for a configuration whose last placed operation is completed, or the first one. */
    Configuration(long[] completedPlaced, S state) {
        this(completedPlaced, state, NO_PENDING, null);
    }

    /**
     * A key for a configuration whose last placed operation is pending operation number
     * {@code lastPending}, placed in {@code stateBeforeLastPending}.
     */
    Configuration(long[] completedPlaced, S state, int lastPending, S stateBeforeLastPending) {
        this.completedPlaced = completedPlaced;
        this.state = state;
        this.lastPending = lastPending;
        this.stateBeforeLastPending = stateBeforeLastPending;
        int h = 31 * Arrays.hashCode(completedPlaced) + state.hashCode();
        this.hash = 31 * (31 * h + lastPending) + Objects.hashCode(stateBeforeLastPending);
    }

    @Override
    public boolean equals(Object other) {
        if (this == other) {
            return true;
        }
        if (!(other instanceof Configuration<?> that)) {
            return false;
        }
        // The hash first: it is free and rejects nearly every other key in the bucket.
        return hash == that.hash
                && lastPending == that.lastPending
                && Arrays.equals(completedPlaced, that.completedPlaced)
                && state.equals(that.state)
                && Objects.equals(stateBeforeLastPending, that.stateBeforeLastPending);
    }

    @Override
    public int hashCode() {
        return hash;
    }
}
