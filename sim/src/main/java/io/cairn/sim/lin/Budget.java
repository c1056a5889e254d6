package io.cairn.sim.lin;

import io.cairn.common.Clock;
import java.time.Duration;
import java.util.Objects;

/**
 * How much search the checker may spend before it answers {@link CheckResult.Unknown}.
 *
 * <p>The step limit is deterministic: a step is one attempt to place an operation, so the same
 * history always gets the same answer. The optional time limit reads {@code clock}; with it an
 * {@code Unknown} answer depends on the machine's speed, but an {@code Ok} or {@code Illegal}
 * answer never does.
 *
 * @param maxStepsPerPartition steps each partition may take, positive
 * @param timeLimitNanos       wall time for the whole check, or {@link #NO_TIME_LIMIT}
 * @param clock                read only when there is a time limit
 */
public record Budget(long maxStepsPerPartition, long timeLimitNanos, Clock clock) {
    public static final long NO_TIME_LIMIT = Long.MAX_VALUE;

    /**
     * Five million steps per partition. Deciding a 5,000-operation history over 5 keys with 5
     * clients takes a few thousand steps per key; the budget is reached only by hopeless searches
     * (many clients hammering one key), which it stops after a few seconds, with the memo table
     * (under a hundred bytes per step) at a few hundred megabytes.
     */
    public static final Budget DEFAULT = steps(5_000_000);

    public Budget {
        if (maxStepsPerPartition <= 0) {
            throw new IllegalArgumentException("maxStepsPerPartition must be positive: " + maxStepsPerPartition);
        }
        if (timeLimitNanos <= 0) {
            throw new IllegalArgumentException("timeLimitNanos must be positive: " + timeLimitNanos);
        }
        Objects.requireNonNull(clock, "clock");
    }

    /** A deterministic budget of {@code maxStepsPerPartition} steps for each partition. */
    public static Budget steps(long maxStepsPerPartition) {
        return new Budget(maxStepsPerPartition, NO_TIME_LIMIT, Clock.SYSTEM);
    }

    /** This budget, also stopped once {@code timeLimit} has passed on {@code clock}. */
    public Budget withTimeLimit(Duration timeLimit, Clock clock) {
        if (timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("timeLimit must be positive: " + timeLimit);
        }
        return new Budget(maxStepsPerPartition, saturatedNanos(timeLimit), clock);
    }

    public boolean hasTimeLimit() {
        return timeLimitNanos != NO_TIME_LIMIT;
    }

    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException tooLong) {
            return NO_TIME_LIMIT;
        }
    }
}
