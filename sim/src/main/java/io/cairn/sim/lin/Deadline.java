package io.cairn.sim.lin;

import io.cairn.common.Clock;

/** The instant a check must give up, or none. Reads the clock only when there is a limit. */
final class Deadline {
    private final Clock clock;
    private final long startNanos;
    private final long limitNanos;

    private Deadline(Clock clock, long startNanos, long limitNanos) {
        this.clock = clock;
        this.startNanos = startNanos;
        this.limitNanos = limitNanos;
    }

    /** Starts the budget's time limit now, if it has one. */
    static Deadline start(Budget budget) {
        if (!budget.hasTimeLimit()) {
            return new Deadline(budget.clock(), 0, Budget.NO_TIME_LIMIT);
        }
        return new Deadline(budget.clock(), budget.clock().nanoTime(), budget.timeLimitNanos());
    }

    boolean expired() {
        if (limitNanos == Budget.NO_TIME_LIMIT) {
            return false;
        }
        // Compare elapsed time, not instants: nanoTime may be negative and wraps.
        return clock.nanoTime() - startNanos >= limitNanos;
    }
}
