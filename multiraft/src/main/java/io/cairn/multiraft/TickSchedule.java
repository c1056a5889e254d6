package io.cairn.multiraft;

/**
 * When a host's Raft cores tick, and whether a leader lease counted in those ticks can be
 * trusted: the rule the server's loop and the simulator's nodes both run.
 *
 * <p>Ticks follow a schedule anchored in true time. A host that fell behind (a busy loop, a slow
 * fsync) owes ticks and replays them at once, while no more than {@link #REPLAY_TICKS_MAX} are
 * owed after the one it takes; after a longer stall (a GC pause, SIGSTOP) it takes one tick, skips
 * the rest and starts the schedule again from now. A lease is
 * trusted only while no tick is owed and more than an election timeout has passed since ticks
 * were last skipped (or the host started): a lease acknowledged before a pause would otherwise
 * look valid for its full length after it, while the followers may have elected another leader
 * during it. Not thread-safe: one host thread owns it.
 */
public final class TickSchedule {
    /** More ticks than this still owed after taking one are skipped rather than replayed. */
    public static final int REPLAY_TICKS_MAX = 10;

    private final long tickNanos;
    private final int electionTicks;
    private long nextTickNanos;
    private long skippedAtNanos;

    /** A schedule whose first tick is due at {@code firstTickNanos}; starting counts as a skip at {@code nowNanos}. */
    public TickSchedule(long tickNanos, int electionTicks, long nowNanos, long firstTickNanos) {
        if (tickNanos <= 0 || electionTicks <= 0) {
            throw new IllegalArgumentException("tickNanos and electionTicks must be positive: " + tickNanos + ", "
                    + electionTicks);
        }
        this.tickNanos = tickNanos;
        this.electionTicks = electionTicks;
        this.nextTickNanos = firstTickNanos;
        this.skippedAtNanos = nowNanos;
    }

    /** How long until the next tick is due; zero or less when one is owed. */
    public long nanosUntilDue(long nowNanos) {
        return nextTickNanos - nowNanos;
    }

    /**
     * Whether a tick is due at {@code nowNanos}; if so it is taken: the schedule moves on by one
     * tick, or, when more than {@link #REPLAY_TICKS_MAX} would still be owed, starts again from
     * now and remembers the skip. Call until false to replay what is owed.
     */
    public boolean takeDue(long nowNanos) {
        if (nowNanos - nextTickNanos < 0) {
            return false;
        }
        nextTickNanos += tickNanos;
        if (nowNanos - nextTickNanos > REPLAY_TICKS_MAX * tickNanos) {
            nextTickNanos = nowNanos + tickNanos;
            skippedAtNanos = nowNanos;
        }
        return true;
    }

    /**
     * Whether a lease counted in ticks is one in time at {@code nowNanos}: no tick owed, and more
     * than an election timeout (plus a tick) since ticks were last skipped.
     */
    public boolean leaseTrusted(long nowNanos) {
        return nextTickNanos - nowNanos > 0 && nowNanos - skippedAtNanos > tickNanos * (electionTicks + 1L);
    }
}
