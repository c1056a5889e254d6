package io.cairn.sim;

import io.cairn.common.RandomSource;
import java.util.Locale;

/**
 * Each node's wall clock: true (virtual) time plus a fixed offset and a small rate drift, both
 * drawn from the seed. The wall clock is what a server reads with {@code Clock.epochMillis()}: the
 * leader's stamp on every entry (from which the state machine's clock, TTL keys' deadlines and TTL
 * lock grants' expiries come), Expire's cutoff and the time reads judge expiry by. It is not the
 * monotonic clock ({@code Clock.nanoTime()}) that ticks Raft and measures keep-alives and session
 * expiry: the server reads those from a separate clock, so skewing one leaves the other alone
 * (the existing {@link Fault#SKEW} fault drifts the tick rate, a separate matter).
 *
 * <p>Clients keep true time, so a checker comparing a client's send time with a leader's
 * timestamp must allow {@link #largestMicros} either way. Lock runs only, from a generator of
 * its own ({@link SimRun#clockSkew}), so the other workloads' seeds keep their meaning and a lock
 * seed keeps its fault schedule.
 *
 * @param offsetMicros by node id (index 0 unused): how far ahead of true time the node's wall clock
 *                     starts (negative: behind)
 * @param driftPpm     by node id: how much faster than true time it runs, in parts per million
 */
record ClockSkew(long[] offsetMicros, long[] driftPpm) {
    /** A skew of tens of ms: what NTP keeps servers within on a bad day, and a fair share of a lock TTL. */
    static final long OFFSET_MAX_MICROS = 50_000;
    /** Disciplined clocks stray by tens of ppm; a few hundred is a generous bound. */
    static final long DRIFT_MAX_PPM = 200;

    static final ClockSkew NONE = new ClockSkew(new long[0], new long[0]);

    /**
     * Offsets within ±B for a bound B drawn per seed (so some runs have nearly none and others
     * the full {@link #OFFSET_MAX_MICROS}), and drifts within ±{@link #DRIFT_MAX_PPM}.
     */
    static ClockSkew derive(RandomSource random, int maxNodeId) {
        long bound = random.nextLong(OFFSET_MAX_MICROS + 1);
        long[] offsets = new long[maxNodeId + 1];
        long[] drifts = new long[maxNodeId + 1];
        for (int id = 1; id <= maxNodeId; id++) {
            offsets[id] = random.nextLong(2 * bound + 1) - bound;
            drifts[id] = random.nextLong(2 * DRIFT_MAX_PPM + 1) - DRIFT_MAX_PPM;
        }
        return new ClockSkew(offsets, drifts);
    }

    /** Node {@code id}'s wall clock at true time {@code nowMicros}; never before the epoch of the run. */
    long wallMicros(int id, long nowMicros) {
        if (id >= offsetMicros.length) {
            return nowMicros;
        }
        return Math.max(0, nowMicros + skewMicros(id, nowMicros));
    }

    /** How far ahead of true time node {@code id}'s wall clock is at {@code nowMicros} (negative: behind). */
    long skewMicros(int id, long nowMicros) {
        return offsetMicros[id] + nowMicros / 1_000_000 * driftPpm[id] + nowMicros % 1_000_000 * driftPpm[id] / 1_000_000;
    }

    /**
     * The largest distance between any node's wall clock and true time from the start of the run
     * until {@code untilMicros}: the skew is linear in time, so it is largest at one end.
     */
    long largestMicros(long untilMicros) {
        long largest = 0;
        for (int id = 1; id < offsetMicros.length; id++) {
            largest = Math.max(largest, Math.max(Math.abs(skewMicros(id, 0)), Math.abs(skewMicros(id, untilMicros))));
        }
        return largest;
    }

    @Override
    public String toString() {
        if (offsetMicros.length == 0) {
            return "clock skew none";
        }
        StringBuilder sb = new StringBuilder("clock skew");
        for (int id = 1; id < offsetMicros.length; id++) {
            sb.append(String.format(Locale.ROOT, " n%d=%+.3fms%+dppm", id, offsetMicros[id] / 1_000.0, driftPpm[id]));
        }
        return sb.toString();
    }
}
