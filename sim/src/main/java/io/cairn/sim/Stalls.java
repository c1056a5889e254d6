package io.cairn.sim;

import io.cairn.common.SeededRandom;
import java.util.EnumSet;

/**
 * The PAUSE fault's knobs, drawn from a stream of the seed of its own (the fault came after seeds
 * were pinned, whose other draws stay where they were): whether the run stalls processes, how
 * often a whole process pauses and for how long, how often an fsync is slow. All its later draws
 * come from {@link #random} too.
 */
record Stalls(boolean active, long pauseGapMicros, double slowSyncProbability, SeededRandom random) {
    private static final long STREAM = 0x7061_7573_6573_0000L;
    /** A single-group pause: up to six election timeouts. */
    static final long PAUSE_MICROS_MAX = 600_000;
    /** A sharded pause: sometimes past the dead-node timeout (1.5 s), so the paused machine's replicas move. */
    static final long SHARDED_PAUSE_MICROS_MAX = 2_500_000;
    static final long SLOW_SYNC_MICROS_MAX = 150_000;

    static Stalls derive(long seed, EnumSet<Fault> enabled, boolean forced) {
        SeededRandom random = new SeededRandom(Hashing.combine(seed, STREAM));
        boolean drawn = random.chance(0.6);
        boolean active = forced || enabled.contains(Fault.PAUSE) && (enabled.size() == 1 || drawn);
        return new Stalls(active, 300_000 + random.nextLong(1_700_000), 0.002 + random.nextDouble() * 0.02, random);
    }

    /** The coin for a persist that syncs, while faults last: how long its fsync stalls the process (0: none). */
    long slowSyncMicros(boolean faultPhase) {
        if (!active || !faultPhase || !random.chance(slowSyncProbability)) {
            return 0;
        }
        return 2_000 + random.nextLong(SLOW_SYNC_MICROS_MAX);
    }

    /** The wait before the next whole-process pause. */
    long nextPauseGapMicros() {
        return pauseGapMicros / 2 + random.nextLong(pauseGapMicros + 1);
    }

    @Override
    public String toString() {
        return active ? String.format("stalls: a pause every %d ms on average, slow fsyncs p=%.4f",
                pauseGapMicros / 1_000, slowSyncProbability) : "stalls: none";
    }
}
