package io.cairn.sim;

import java.util.EnumSet;
import java.util.Locale;

/** The faults the simulator can inject, chosen with {@code --faults}. */
public enum Fault {
    /** Messages are lost. */
    DROP,
    /** Messages take a random time (so they reorder) and sometimes much longer. */
    DELAY,
    /** Messages arrive twice. */
    DUP,
    /** The nodes split into two sides that cannot talk. */
    PARTITION,
    /** Some links work in one direction only. */
    ONEWAY,
    /** Nodes crash at random moments and restart from their disk. */
    CRASH,
    /**
     * Nodes crash between sending a Ready's messages and persisting it, right after a commit, or
     * in place of a persist's fsync (its unsynced writes torn).
     */
    CRASHREADY,
    /** Learners are added and promoted, voters and learners removed. */
    MEMBERSHIP,
    /** Leadership is handed to another voter. */
    TRANSFER,
    /** Nodes compact their logs into snapshots, so laggards need InstallSnapshot. */
    COMPACT,
    /**
     * Node clocks run fast or slow (within {@link SimParams#CLOCK_DRIFT_PPM_BOUND}): ticks, leases
     * and BOUNDED reads' freshness are measured on them. Single-group runs only so far.
     */
    SKEW,
    /**
     * A node's disk fills up for a while: its process dies at its next write, and cannot start
     * again until space is freed.
     */
    DISKFULL,
    /**
     * Processes stall: a whole process stops (SIGSTOP, a GC pause; up to six election timeouts
     * in single-group runs, up to 2.5 s in sharded ones, past the dead-node timeout) and takes
     * the input that waited once it resumes; now and then an fsync takes up to 150 ms, holding up
     * its process.
     */
    PAUSE;

    /** Parses "all", "none" or a comma list such as "drop,crash". */
    public static EnumSet<Fault> parse(String text) {
        String trimmed = text.trim().toLowerCase(Locale.ROOT);
        if (trimmed.equals("all")) {
            return EnumSet.allOf(Fault.class);
        }
        EnumSet<Fault> faults = EnumSet.noneOf(Fault.class);
        if (trimmed.equals("none") || trimmed.isEmpty()) {
            return faults;
        }
        for (String part : trimmed.split(",")) {
            try {
                faults.add(Fault.valueOf(part.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown fault '" + part + "'; use all, none or a list of "
                        + EnumSet.allOf(Fault.class).toString().toLowerCase(Locale.ROOT));
            }
        }
        return faults;
    }

    /** The inverse of {@link #parse}, for replay lines. */
    public static String format(EnumSet<Fault> faults) {
        if (faults.equals(EnumSet.allOf(Fault.class))) {
            return "all";
        }
        if (faults.isEmpty()) {
            return "none";
        }
        StringBuilder sb = new StringBuilder();
        for (Fault f : faults) {
            sb.append(sb.length() == 0 ? "" : ",").append(f.name().toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }
}
