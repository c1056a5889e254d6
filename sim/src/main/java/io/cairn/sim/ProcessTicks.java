package io.cairn.sim;

import io.cairn.multiraft.TickSchedule;
import java.util.function.BooleanSupplier;

/**
 * A simulated process's ticks and lease trust in a run that stalls processes, by the server
 * loop's {@link TickSchedule}: made at the process's first tick (as the loop makes it when it
 * starts), replaying a short stall's owed ticks and skipping a long one's.
 */
final class ProcessTicks {
    private final long tickNanos;
    private final int electionTicks;
    private final Coverage coverage;
    private TickSchedule schedule;

    ProcessTicks(long tickNanos, int electionTicks, Coverage coverage) {
        this.tickNanos = tickNanos;
        this.electionTicks = electionTicks;
        this.coverage = coverage;
    }

    /** A tick event at {@code nowNanos}: runs {@code tickOnce} for every tick due, while {@code running}. */
    void tick(long nowNanos, BooleanSupplier running, Runnable tickOnce) {
        if (schedule == null) {
            schedule = new TickSchedule(tickNanos, electionTicks, nowNanos, nowNanos);
        }
        boolean replayed = false;
        while (running.getAsBoolean() && schedule.takeDue(nowNanos)) {
            if (replayed) {
                coverage.add(Coverage.Item.TICKS_REPLAYED);
            }
            tickOnce.run();
            replayed = true;
        }
    }

    /** Whether a lease counted in ticks may be used at {@code nowNanos}: never before the first tick. */
    boolean leaseTrusted(long nowNanos) {
        return schedule != null && schedule.leaseTrusted(nowNanos);
    }
}
