package io.cairn.sim;

import io.cairn.common.NodeId;
import io.cairn.common.RandomSource;
import io.cairn.consensus.ReadMode;
import io.cairn.raft.RaftConfig;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * Every knob of one run, drawn from the seed (TigerBeetle's VOPR does the same): probabilities,
 * delays, gaps between faults, Raft limits, workload shape. Printed at the top of a trace so a
 * reader knows what the run was exposed to. A disabled fault has probability 0 or gap 0.
 */
public record SimParams(
        EnumSet<Fault> faults,
        int voters,
        int spares,
        int clients,
        int keys,
        ReadMode readMode,
        boolean followerReads,
        double dropProbability,
        double duplicateProbability,
        long minDelayMicros,
        long maxDelayMicros,
        double spikeProbability,
        long spikeMaxMicros,
        long partitionGapMicros,
        boolean oneWayPartitions,
        boolean symmetricPartitions,
        long crashGapMicros,
        long maxDowntimeMicros,
        double crashReadyProbability,
        long membershipGapMicros,
        long transferGapMicros,
        long compactGapMicros,
        long thinkMaxMicros,
        int maxInflightMsgs,
        int maxEntriesPerMsg,
        long maxBytesPerMsg,
        int maxSnapshotChunkBytes,
        long maxApplyBytesPerReady,
        int maxPendingReads,
        long clientAttemptTimeoutMicros,
        double clientWanderProbability,
        long clockDriftPpmMax,
        long diskFullGapMicros) {

    public static final long TICK_MICROS = 10_000;
    public static final long CLIENT_ABANDON_MICROS = 3_000_000;
    /**
     * The servers' transaction timeout here: a tenth of the default (2 s), as the election
     * timeout is. An intent older than this is pushed by whoever meets it.
     */
    public static final long TXN_TIMEOUT_MILLIS = 200;
    public static final int SPARE_NODES = 2;
    /**
     * How far a node's clock rate may stray from true time, in parts per million, for leases and
     * BOUNDED reads to keep their promises (docs/consistency.md derives it: a leader's lease of
     * E - 2 of its ticks must end before E - 1 ticks of any follower, (1 + b) / (1 - b) <= 9 / 8
     * at E = 10). SKEW draws drifts within it; the CLOCK_DRIFT sabotage far beyond.
     */
    public static final long CLOCK_DRIFT_PPM_BOUND = 50_000;
    /** The CLOCK_DRIFT sabotage: clocks up to 60 % fast or slow, a lease outlives its followers' patience. */
    public static final long CLOCK_DRIFT_PPM_SABOTAGE = 900_000;

    /** Draws the knobs; the order of draws is part of the seed's meaning, so only append. */
    public static SimParams derive(SimOptions options, RandomSource random) {
        int voters = options.nodes() != 0 ? options.nodes() : (random.chance(0.5) ? 3 : 5);
        EnumSet<Fault> faults = activeFaults(options.faults(), random);
        boolean small = random.chance(0.5);
        boolean delay = faults.contains(Fault.DELAY);
        long minDelay = delay ? 100 + random.nextLong(1_900) : 1_000;
        long maxDelay = delay ? minDelay + 1_000 + random.nextLong(20_000) : 1_000;
        return new SimParams(
                faults,
                voters,
                SPARE_NODES,
                3 + random.nextInt(3),
                3 + random.nextInt(3),
                random.chance(0.5) && options.sabotage() != SimOptions.Sabotage.CLOCK_DRIFT
                        && options.sabotage() != SimOptions.Sabotage.LEASE_AFTER_PAUSE ? ReadMode.READ_INDEX : ReadMode.LEASE,
                random.chance(0.5),
                faults.contains(Fault.DROP) ? 0.005 + random.nextDouble() * 0.095 : 0,
                faults.contains(Fault.DUP) ? 0.005 + random.nextDouble() * 0.045 : 0,
                minDelay,
                maxDelay,
                delay ? 0.002 + random.nextDouble() * 0.02 : 0,
                delay ? 50_000 + random.nextLong(250_000) : 0,
                gap(faults, random, Fault.PARTITION, Fault.ONEWAY, 200_000, 1_500_000),
                faults.contains(Fault.ONEWAY),
                faults.contains(Fault.PARTITION),
                gap(faults, random, Fault.CRASH, Fault.CRASH, 300_000, 2_000_000),
                20_000 + random.nextLong(1_500_000),
                faults.contains(Fault.CRASHREADY) ? 0.0005 + random.nextDouble() * 0.003 : 0,
                gap(faults, random, Fault.MEMBERSHIP, Fault.MEMBERSHIP, 300_000, 1_500_000),
                gap(faults, random, Fault.TRANSFER, Fault.TRANSFER, 300_000, 2_000_000),
                gap(faults, random, Fault.COMPACT, Fault.COMPACT, 100_000, 800_000),
                5_000 + random.nextLong(40_000),
                small ? 1 + random.nextInt(8) : 256,
                small ? 1 + random.nextInt(4) : 1024,
                small ? 64 + random.nextLong(4_096) : 1 << 20,
                small ? 16 + random.nextInt(241) : 1 << 20,
                small ? 64 + random.nextLong(1_024) : 64L << 20,
                small ? 2 + random.nextInt(7) : 4096,
                // Short timeouts and wandering clients find a new leader while an old one still
                // believes it leads: that is when stale reads would show.
                20_000 + random.nextLong(280_000),
                random.nextDouble() * 0.5,
                options.sabotage() == SimOptions.Sabotage.CLOCK_DRIFT ? CLOCK_DRIFT_PPM_SABOTAGE
                        : faults.contains(Fault.SKEW) ? CLOCK_DRIFT_PPM_BOUND : 0,
                gap(faults, random, Fault.DISKFULL, Fault.DISKFULL, 500_000, 3_000_000));
    }

    /**
     * Node {@code id}'s clock drift, within {@link #clockDriftPpmMax} either way. Past the bound
     * (the CLOCK_DRIFT sabotage) odd nodes run slow and even ones fast, so a slow leader's lease
     * regularly outlasts fast followers' election timeouts.
     */
    public long drawClockDriftPpm(int id, RandomSource random) {
        if (clockDriftPpmMax > CLOCK_DRIFT_PPM_BOUND) {
            return id % 2 == 1 ? -clockDriftPpmMax : clockDriftPpmMax;
        }
        return clockDriftPpmMax == 0 ? 0 : random.nextLong(2 * clockDriftPpmMax + 1) - clockDriftPpmMax;
    }

    /** A mean gap between injections of a fault, or 0 when neither named fault is active. */
    private static long gap(EnumSet<Fault> faults, RandomSource random, Fault a, Fault b, long min, long max) {
        long drawn = min + random.nextLong(max - min);
        return faults.contains(a) || faults.contains(b) ? drawn : 0;
    }

    /**
     * The faults this seed injects: each enabled one with probability 0.6, at least one. Seeds
     * with few faults at once matter: under every fault together many operations end pending,
     * which makes the history easy to linearize and hides narrow windows such as stale reads.
     */
    static EnumSet<Fault> activeFaults(EnumSet<Fault> enabled, RandomSource random) {
        EnumSet<Fault> active = EnumSet.noneOf(Fault.class);
        List<Fault> candidates = new ArrayList<>(enabled);
        // PAUSE draws from a stream of its own (Simulation.Stalls), so older seeds keep their draws.
        candidates.remove(Fault.PAUSE);
        for (Fault fault : candidates) {
            if (random.chance(0.6)) {
                active.add(fault);
            }
        }
        if (active.isEmpty() && !candidates.isEmpty()) {
            active.add(candidates.get(random.nextInt(candidates.size())));
        }
        return active;
    }

    /** The node ids that start as voters: 1..voters. */
    public int firstSpareId() {
        return voters + 1;
    }

    public int maxNodeId() {
        return voters + spares;
    }

    /** Raft settings for one node: the defaults with the seed's limits. */
    public RaftConfig raftConfig(NodeId id) {
        RaftConfig d = RaftConfig.defaults(id);
        return new RaftConfig(id, d.electionTicks(), d.heartbeatTicks(), d.preVote(), d.checkQuorum(),
                maxInflightMsgs, maxEntriesPerMsg, maxBytesPerMsg, maxSnapshotChunkBytes,
                maxApplyBytesPerReady, maxPendingReads, 0, RaftConfig.NO_FLOOR);
    }
}
