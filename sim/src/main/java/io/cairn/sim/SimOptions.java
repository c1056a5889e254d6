package io.cairn.sim;

import java.util.EnumSet;

/**
 * What the user chose for a run or a batch, as opposed to {@link SimParams}, which the seed
 * decides. {@link #replayArgs()} prints the options so that a failure can be replayed exactly.
 *
 * @param nodes initial voters, 3 or 5; 0 lets each seed choose
 * @param faults the fault mix
 * @param faultPhaseMicros virtual time during which faults are injected
 * @param livenessBoundMicros how long after healing the cluster has to quiesce
 * @param sabotage a deliberate host bug, to prove the checkers catch it (tests only)
 * @param sharded run many groups ({@link ShardedSimulation}) instead of one
 * @param workload what the clients do: key-value operations, or most of them locks (see {@link LockClient})
 * @param unfencedLocks the lock workload's negative control: register writes go without the fence
 */
public record SimOptions(int nodes, EnumSet<Fault> faults, long faultPhaseMicros, long livenessBoundMicros,
                         Sabotage sabotage, boolean sharded, Workload workload, boolean unfencedLocks) {
    public static final long DEFAULT_FAULT_PHASE_MICROS = 10_000_000;
    public static final long DEFAULT_LIVENESS_BOUND_MICROS = 5_000_000;

    /** Host bugs the simulator can plant; each must be caught by some checker. */
    public enum Sabotage {
        NONE,
        /**
         * Acknowledge before fsync: a node sends the messages that must wait for its persist
         * (votes, append acknowledgements) before persisting, so a crash in between loses what it
         * promised: a vote given twice in a term, an entry a quorum acknowledged gone.
         */
        ACK_BEFORE_FSYNC,
        /**
         * Writes go without a client session ({@code CommandEnvelope.NO_SESSION}), so kv-state
         * applies every retry of a write that commits again.
         */
        SKIP_DEDUP,
        /**
         * Heartbeats are answered without {@code Admission}'s checks, so a node started with
         * another shard count joins (sharded runs only).
         */
        ADMIT_ANY,
        /**
         * Node clocks drift far past {@link SimParams#CLOCK_DRIFT_PPM_BOUND} and every read uses the
         * leader lease: a deposed leader's lease outlives the election of the next one, and
         * LEASE and BOUNDED reads can be stale (single-group runs).
         */
        CLOCK_DRIFT,
        /**
         * Watchers resume a broken stream one revision late, as a client that took the last
         * revision it had as the first it lacks would: the watch checker must see the gap.
         */
        WATCH_RESUME_GAP,
        /** Reads ignore TTL deadlines: an expired key shows until it is removed; the TTL check must see it. */
        TTL_IGNORED,
        /**
         * Transactions lose their comparisons before they are proposed (as the fault suite's
         * {@code --unsafe-unchecked-txns} does at a server's edge): concurrent transfers overwrite
         * each other and the bank check must see the total move.
         */
        UNCHECKED_TXNS,
        /**
         * Aggregations read every shard once and take that as a cut, without checking the shards
         * again (as the fault suite's {@code --unsafe-uncut-aggregates} does): a round can straddle
         * a write and the aggregate check must see a state no instant held.
         */
        UNCUT_AGGREGATES,
        /**
         * A leader trusts its lease right after a stall, as a loop that forgot the ticks it
         * skipped would, and every read uses the lease; stalls are on. A leader paused past an
         * election timeout wakes up believing its lease, while another leader took writes: the
         * linearizability check must see the stale read (single-group runs).
         */
        LEASE_AFTER_PAUSE,
        /**
         * A node that pushes a stale intent resolves it as committed without asking the
         * transaction's record (cross-bank runs): a transaction whose coordinator aborted it, or
         * died before deciding, is applied in the shards nobody had resolved yet, and the bank
         * check must see money appear or vanish.
         */
        PUSH_WITHOUT_RECORD
    }

    /** What the simulated clients do. */
    public enum Workload {
        /** Random puts, gets, compare-and-sets and deletes over a few keys, checked for linearizability. */
        KV,
        /**
         * All clients but the last run {@link LockClient}'s lock-and-fenced-write loop, checked by
         * {@link LockCheck}; the last keeps the key-value workload.
         */
        LOCK,
        /**
         * {@link #LOCK} with the lock held by each client's session, kept alive by keep-alives
         * and ended by the shard leader when they stop; requests wait in line.
         */
        SESSION_LOCK,
        /**
         * All clients but the last run {@link BankClient}'s optimistic transfers and audits,
         * checked by {@link BankCheck}; the last keeps the key-value workload.
         */
        BANK,
        /**
         * All clients but the last run {@link ListAppendClient}'s transactions of reads and appends
         * to lists, checked by {@code ListAppendCheck} for Adya's anomalies; the last keeps the
         * key-value workload.
         */
        LIST_APPEND,
        /**
         * All clients but the last move money between accounts spread over the shards with the
         * Java client's cross-shard coordinator, whose rounds the nodes apply and whose stale
         * intents they push ({@link CrossBankClient}); sharded runs only. The last keeps the
         * key-value workload.
         */
        CROSS_BANK,
        /**
         * Elle's list-append transactions over lists in different shards, committed by the Java
         * client's cross-shard coordinator ({@link CrossListAppendClient}) and checked by
         * {@code ListAppendCheck}; sharded runs only. The last client keeps the key-value workload.
         */
        CROSS_LIST_APPEND,
        /**
         * One client raises a counter per shard in shard order, all others but the last aggregate
         * them over every shard at a consistent cut ({@link AggregateWorkload}); the last keeps the
         * key-value workload.
         */
        AGGREGATE;

        /** Whether the clients commit through the cross-shard coordinator (sharded runs only). */
        public boolean crossShard() {
            return this == CROSS_BANK || this == CROSS_LIST_APPEND;
        }

        /** Whether the clients run the lock workload, with or without sessions. */
        public boolean locks() {
            return this == LOCK || this == SESSION_LOCK;
        }
    }

    public SimOptions {
        if (workload == null) {
            throw new IllegalArgumentException("workload is required");
        }
        if (unfencedLocks && !workload.locks()) {
            throw new IllegalArgumentException("unfenced locks are a variant of the lock workload");
        }
        if (nodes != 0 && nodes != 3 && nodes != 5) {
            throw new IllegalArgumentException("--nodes must be 3 or 5, got " + nodes);
        }
        faults = EnumSet.copyOf(faults.isEmpty() ? EnumSet.noneOf(Fault.class) : faults);
        if (faultPhaseMicros <= 0 || livenessBoundMicros <= 0) {
            throw new IllegalArgumentException("phase lengths must be positive");
        }
    }

    public static SimOptions defaults() {
        return new SimOptions(0, EnumSet.allOf(Fault.class), DEFAULT_FAULT_PHASE_MICROS,
                DEFAULT_LIVENESS_BOUND_MICROS, Sabotage.NONE, false, Workload.KV, false);
    }

    public SimOptions withNodes(int nodes) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded, workload,
                unfencedLocks);
    }

    public SimOptions withFaults(EnumSet<Fault> faults) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded, workload,
                unfencedLocks);
    }

    public SimOptions withFaultPhaseMicros(long faultPhaseMicros) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded, workload,
                unfencedLocks);
    }

    public SimOptions withSabotage(Sabotage sabotage) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded, workload,
                unfencedLocks);
    }

    /** Runs a sharded cluster ({@link ShardedSimulation}) instead of one group. */
    public SimOptions withSharded(boolean sharded) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded, workload,
                unfencedLocks);
    }

    public SimOptions withWorkload(Workload workload) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded, workload,
                unfencedLocks);
    }

    /**
     * The lock workload's negative control: lock clients write the register without the fence,
     * as a client that trusts its lease would. Implies {@code --workload lock}.
     */
    public SimOptions withUnfencedLocks(boolean unfencedLocks) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded,
                unfencedLocks && !workload.locks() ? Workload.LOCK : workload, unfencedLocks);
    }

    /** The run these options describe, for {@code seed}. */
    public SimResult run(long seed, java.io.PrintStream trace) {
        return sharded ? new ShardedSimulation(seed, this, trace).run()
                : new Simulation(seed, this, CoreFactory.RAFT, trace).run();
    }

    public boolean has(Fault fault) {
        return faults.contains(fault);
    }

    /** The options as command-line arguments, omitting defaults. */
    public String replayArgs() {
        StringBuilder sb = new StringBuilder();
        if (sharded) {
            sb.append(" --sharded");
        }
        if (nodes != 0) {
            sb.append(" --nodes ").append(nodes);
        }
        if (!faults.equals(EnumSet.allOf(Fault.class))) {
            sb.append(" --faults ").append(Fault.format(faults));
        }
        if (faultPhaseMicros != DEFAULT_FAULT_PHASE_MICROS) {
            sb.append(" --fault-ms ").append(faultPhaseMicros / 1000);
        }
        if (workload != Workload.KV) {
            sb.append(" --workload ").append(workload.name().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
        }
        if (unfencedLocks) {
            sb.append(" --unsafe-unfenced-locks");
        }
        if (sabotage != Sabotage.NONE) {
            sb.append(" --sabotage ").append(sabotage.name().toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }
}
