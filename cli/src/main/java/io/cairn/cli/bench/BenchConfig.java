package io.cairn.cli.bench;

import io.cairn.client.CairnClient;
import io.cairn.client.Consistency;
import java.time.Duration;

/**
 * The settings of one run, checked when built: a bad one is an {@link IllegalArgumentException}
 * before anything is sent.
 *
 * @param workload what the requests do
 * @param clients requests in flight at most, in {@code [1, CLIENTS_MAX]}
 * @param seconds length of the measured window, after the warm-up
 * @param warmupSeconds length of the unrecorded warm-up, may be 0
 * @param valueBytes size of each written value, in {@code [1, 1 MiB]}
 * @param keys keys written and read: {@code bench/0000000000} up to this many, exclusive
 * @param keyDist how a request picks its key among them
 * @param ratePerSecond 0: closed loop (each finished request starts the next); else open loop,
 *     requests due on a {@link FixedRateSchedule} with latency measured from when each was due
 * @param consistency of the reads (get, mixed, the read before a CAS, scan)
 * @param casKeys keys the {@code cas} workload contends on, and locks the {@code lock} workload does
 * @param scanKeys keys per scan
 * @param seed the one seed of every random choice (keys, values, read or write)
 * @param requestTimeout the client's request timeout: bounds how long the end of a run waits
 */
public record BenchConfig(Workload workload, int clients, int seconds, int warmupSeconds, int valueBytes, long keys,
                          KeyDistribution.Kind keyDist, long ratePerSecond, Consistency consistency, int casKeys,
                          int scanKeys, long seed, Duration requestTimeout) {
    public static final int CLIENTS_MAX = 10_000;
    /** A day: beyond that a run is a soak test, better split. */
    public static final int SECONDS_MAX = 86_400;
    /** Zipfian set-up sums over every key: about a second per 100 million. */
    public static final long KEYS_MAX = 100_000_000L;
    public static final int CAS_KEYS_MAX = 1_000;
    public static final int SCAN_KEYS_MAX = 1_000;

    public BenchConfig {
        requireIn("--clients", clients, 1, CLIENTS_MAX);
        requireIn("--seconds", seconds, 1, SECONDS_MAX);
        requireIn("--warmup", warmupSeconds, 0, SECONDS_MAX);
        requireIn("--value-size", valueBytes, 1, CairnClient.VALUE_BYTES_MAX_DEFAULT);
        requireIn("--keys", keys, 1, KEYS_MAX);
        requireIn(workload != null && workload.kind() == Workload.Kind.LOCK ? "--locks" : "--cas-keys", casKeys, 1, CAS_KEYS_MAX);
        requireIn("--scan-length", scanKeys, 1, SCAN_KEYS_MAX);
        if (ratePerSecond != 0) {
            requireIn("--rate", ratePerSecond, 1, FixedRateSchedule.RATE_PER_SECOND_MAX);
        }
        if (workload == null || keyDist == null || consistency == null || requestTimeout == null) {
            throw new IllegalArgumentException("workload, key distribution, consistency and timeout are required");
        }
    }

    /** Whether requests follow a fixed schedule rather than each other. */
    public boolean openLoop() {
        return ratePerSecond > 0;
    }

    /** The keys requests pick from: the contended few for {@code cas}, else {@link #keys}. */
    public long keysPicked() {
        return workload.kind().contended() ? casKeys : keys;
    }

    private static void requireIn(String option, long value, long min, long max) {
        if (value < min || value > max) {
            throw new IllegalArgumentException(option + " must be in [" + min + ", " + max + "]: " + value);
        }
    }
}
