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
 */
public record SimOptions(int nodes, EnumSet<Fault> faults, long faultPhaseMicros, long livenessBoundMicros,
                         Sabotage sabotage, boolean sharded) {
    public static final long DEFAULT_FAULT_PHASE_MICROS = 10_000_000;
    public static final long DEFAULT_LIVENESS_BOUND_MICROS = 5_000_000;

    /** Host bugs the simulator can plant; each must be caught by some checker. */
    public enum Sabotage {
        NONE,
        /** A restarted node forgets whom it voted for (keeping its term): it can vote twice in a term. */
        FORGET_VOTE_ON_CRASH,
        /**
         * Writes go without a client session ({@code CommandEnvelope.NO_SESSION}), so kv-state
         * applies every retry of a write that commits again.
         */
        SKIP_DEDUP
    }

    public SimOptions {
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
                DEFAULT_LIVENESS_BOUND_MICROS, Sabotage.NONE, false);
    }

    public SimOptions withNodes(int nodes) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded);
    }

    public SimOptions withFaults(EnumSet<Fault> faults) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded);
    }

    public SimOptions withFaultPhaseMicros(long faultPhaseMicros) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded);
    }

    public SimOptions withSabotage(Sabotage sabotage) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded);
    }

    /** Runs a sharded cluster ({@link ShardedSimulation}) instead of one group. */
    public SimOptions withSharded(boolean sharded) {
        return new SimOptions(nodes, faults, faultPhaseMicros, livenessBoundMicros, sabotage, sharded);
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
        if (sabotage != Sabotage.NONE) {
            sb.append(" --sabotage ").append(sabotage.name().toLowerCase(java.util.Locale.ROOT));
        }
        return sb.toString();
    }
}
